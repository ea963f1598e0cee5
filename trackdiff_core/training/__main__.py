"""``python -m trackdiff_core.training`` (see :mod:`.cli`)."""

import sys

from .cli import main

sys.exit(main())

"""TrackDiff's host-agnostic core: track data, conversions, TrackGo point generation, previews (and, later, the
model modules). It never imports ComfyUI, so it can be used and tested anywhere.

Imports inside this package are relative, so it works both as the top-level package ``trackdiff_core`` and as a
sub-package of the ComfyUI custom-node folder, whatever that folder is called.
"""

from .errors import TrackDiffError
from .mask_arrow_document import MaskArrowDocument, MaskArrowObject
from .tracklet_document import BoxKeyframe, BoxObject, TrackletDocument
from .tracklets import Tracklets
from .trajectories import PointTrajectories

__version__ = "0.1.0"

__all__ = [
    "BoxKeyframe",
    "BoxObject",
    "MaskArrowDocument",
    "MaskArrowObject",
    "PointTrajectories",
    "TrackDiffError",
    "TrackletDocument",
    "Tracklets",
    "__version__",
]

"""``python -m bench``: the cost of each TrackDiff control against stock SVD, as ratios, in one markdown table.

Exact FLOPs and peak live bytes come from ComfyUI's own full-size SVD UNet built on the ``meta`` device (no weights, no
GPU); wall-clock ratios from interleaved stock / patched pairs on the tiny SVD on CPU (informational). Needs ComfyUI
(``COMFYUI_PATH``); without it, says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
from pathlib import Path

from .host import NoHost, import_host

log = logging.getLogger("bench")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "latest.md",
                        help="where to write the markdown report (default bench/latest.md)")
    parser.add_argument("--quick", action="store_true", help="fewer shapes and pairs (a smoke run)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        pack = import_host()
    except NoHost as exc:
        log.error("bench: %s", exc)
        return 2
    from .report import build_report

    text = build_report(pack, quick=args.quick)
    args.out.write_text(text)
    sys.stdout.write(text)
    log.info("written to %s (%s, %s)", args.out, platform.node(), platform.processor() or platform.machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())

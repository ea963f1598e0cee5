"""``python -m bench``: the cost of each TrackDiff control against stock SVD, as ratios, in one markdown table.

Exact FLOPs and peak live bytes come from ComfyUI's own full-size SVD UNet built on the ``meta`` device (no weights, no
GPU); wall-clock ratios from interleaved stock / patched pairs on the tiny SVD on CPU (informational). Needs ComfyUI
(``COMFYUI_PATH``); without it, says so and exits with status 2. The report is printed; it is written to a file only
with ``--out`` (the tracked ``bench/latest.md`` is refreshed deliberately, with ``--out bench/latest.md``).

``python -m bench tracking`` is a separate benchmark, of the point tracker (see :mod:`bench.tracking`); it needs no
ComfyUI.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
from pathlib import Path

from .host import NoHost, import_host

log = logging.getLogger("bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the markdown report to this file (default: print it only; the tracked "
                        "table is refreshed with --out bench/latest.md)")
    parser.add_argument("--quick", action="store_true", help="fewer shapes and pairs (a smoke run)")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["tracking"]:  # the point-tracking benchmark needs no ComfyUI
        from .tracking import main as tracking_main

        return tracking_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        pack = import_host()
    except NoHost as exc:
        log.error("bench: %s", exc)
        return 2
    from .report import build_report

    text = build_report(pack, quick=args.quick)
    sys.stdout.write(text)
    where = f"{platform.node()}, {platform.processor() or platform.machine()}"
    if args.out is None:
        log.info("printed only (%s); pass --out FILE to keep it", where)
        return 0
    args.out.write_text(text)
    log.info("written to %s (%s)", args.out, where)
    return 0


if __name__ == "__main__":
    sys.exit(main())

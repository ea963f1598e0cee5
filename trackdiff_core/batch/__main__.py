"""``python -m trackdiff_core.batch``: generate a labelled video dataset with running ComfyUI servers.

Example::

    python -m trackdiff_core.batch --workflow workflows/trackdiffusion_boxes.json --items my_frames/ \\
        --out dataset/ --server http://127.0.0.1:8188 --server http://127.0.0.1:8189

Each item (a first frame + tracks; see ``trackdiff_core/batch/items.py``) becomes one video and its labels (MOT and
COCO-VID / YouTube-VIS, aligned with the generated frames). Interrupt at any time and run the same command again to
resume: finished items are skipped, never overwritten. Exit status 0 when every item is finished, 1 when some failed
(their server errors are in ``<out>/failures.json``), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..errors import TrackDiffError
from .client import ComfyClient, ServerError
from .items import load_items
from .runner import BatchRunner
from .workflow import PromptTemplate, is_ui_workflow, ui_to_api

log = logging.getLogger("trackdiff_core.batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trackdiff_core.batch", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflow", required=True, type=Path,
                        help="a TrackDiff workflow, UI format (as saved) or API format (Export (API))")
    parser.add_argument("--items", required=True, type=Path,
                        help="a folder of first frames with same-stem .json (TrackDiff document) or .txt (MOT) tracks, "
                        "a MOT sequence folder, or a COCO-VID / YouTube-VIS .json file")
    parser.add_argument("--images-root", type=Path, help="where a COCO-VID / YouTube-VIS file's frame paths start")
    parser.add_argument("--out", required=True, type=Path, help="the dataset folder (created; resumed if it exists)")
    parser.add_argument("--server", action="append", dest="servers",
                        help="a ComfyUI server URL; repeat for several (default http://127.0.0.1:8188)")
    parser.add_argument("--retries", type=int, default=2, help="extra attempts per failed item (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="item i is sampled with seed + i (default 0)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds one item may take (default 3600)")
    parser.add_argument("--limit", type=int, help="generate at most this many items in this run")
    parser.add_argument("--output-node", help="id of the node whose images are the video (default: the SaveImage)")
    return parser


def load_template(path: Path, client: ComfyClient, output_node: str | None) -> PromptTemplate:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TrackDiffError("workflow", str(path), f"is not valid JSON ({exc.msg} at line {exc.lineno})",
                             "give a workflow saved by ComfyUI") from None
    prompt = ui_to_api(data, client.object_info()) if is_ui_workflow(data) else data
    return PromptTemplate(prompt, output_node)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    servers = args.servers or ["http://127.0.0.1:8188"]
    try:
        items = load_items(args.items, args.images_root)
        template = load_template(args.workflow, ComfyClient(servers[0]), args.output_node)
    except (TrackDiffError, ServerError, OSError) as exc:
        log.error("%s", exc)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    runner = BatchRunner(servers, template, items, args.out, args.retries, args.seed, args.timeout, args.limit)
    try:
        report = runner.run()
    except KeyboardInterrupt:
        return 130
    log.info("finished %d, already done %d, failed %d of %d items", len(report.finished), len(report.skipped),
             len(report.failed), report.total)
    for name, error in report.failed.items():
        log.error("failed: %s: %s", name, error)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

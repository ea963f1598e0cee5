"""Convert the released TrackDiffusion UNet (~6.95 GB fp32 diffusers file) to our compact file (~0.4 GB fp16).

Only the trained tensors are kept (box encoder, fusers, conv_in, conv_out, the 38 mix factors) with metadata: source,
stage and dims. The source is memory-mapped and read tensor by tensor; the stock SVD tensors are never loaded.

Usage::

    python -m trackdiff_core.trackdiffusion.convert SOURCE.safetensors [OUTPUT.safetensors] [--dtype float16]

Without OUTPUT the file is written next to the source as ``trackdiffusion_<stage>.<dtype>.safetensors``. The stage
(``stage1`` / ``stage2``) is read from the source's metadata or its file or folder name (``svd_stage2/…``); where
neither says, ``--stage`` must. ``--overwrite`` replaces only an earlier copy of the same source (a file TrackDiff
converted from a source of the same name), never an unrelated file that happens to have the output's name.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys

from ..errors import TrackDiffError
from .weights import Progress, load_weights
from .weights_format import DTYPES, FORMAT_NAME, save_weights

log = logging.getLogger("trackdiff.convert")

SHORT = {"float16": "fp16", "bfloat16": "bf16", "float32": "fp32"}
STAGES = ("auto", "stage1", "stage2")
STAGE_FIX = ("set stage to stage2 (the authors' svd_stage2, trained on clean frames) or stage1 (svd_stage1, which "
             "draws box outlines)")


def default_output(source: str, stage: str, dtype: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(source)), f"trackdiffusion_{stage}.{SHORT[dtype]}.safetensors")


def copied_from(path: str) -> str | None:
    """The source name recorded in a file this converter wrote, or ``None`` for any other file."""
    from safetensors import safe_open

    try:
        with safe_open(path, "pt") as handle:
            metadata = handle.metadata() or {}
    except Exception:  # noqa: BLE001 - any file that is not readable safetensors is "another file"
        return None
    return metadata.get("source") if metadata.get("format") == FORMAT_NAME else None


def convert(source: str, output: str | None = None, dtype: str = "float16", progress: Progress | None = None,
            overwrite: bool = False, stage: str = "auto"):
    """Convert ``source`` (released or ours) to our format; returns ``(output path, weights)``. Messages name files
    by their base name only."""
    if dtype not in DTYPES:
        raise TrackDiffError("dtype", dtype, "is not a supported dtype", f"use one of {', '.join(DTYPES)}")
    if stage not in STAGES:
        raise TrackDiffError("stage", stage, "is not a stage", f"use one of {', '.join(STAGES)}")
    weights = load_weights(source, progress, "source")
    if stage != "auto":
        weights = dataclasses.replace(weights, stage=stage)
    elif weights.stage not in ("stage1", "stage2"):
        raise TrackDiffError("stage", stage, f"cannot be told from {os.path.basename(source)!r} (neither its "
                             "metadata nor its name says stage1 or stage2)", STAGE_FIX)
    output = output or default_output(source, weights.stage, dtype)
    name = os.path.basename(output)
    if os.path.abspath(output) == os.path.abspath(source):
        raise TrackDiffError("output", name, "is the source file", "choose another output name")
    if os.path.exists(output):
        if not overwrite:
            raise TrackDiffError("output", name, "already exists", "choose another name, or allow overwriting")
        earlier = copied_from(output)
        if earlier != os.path.basename(source):
            what = f"a copy of {earlier!r}" if earlier else "not a copy this converter made"
            raise TrackDiffError("output", name, f"already exists and is {what}, so overwriting would lose it",
                                 "give another output name")
    try:
        save_weights(output, weights, DTYPES[dtype], source=os.path.basename(source))
    except OSError as exc:
        raise TrackDiffError("output", name, f"cannot be written ({exc.strerror or 'write error'})",
                             "check that the folder is writable and has space") from None
    return output, weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trackdiff_core.trackdiffusion.convert",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the released diffusion_pytorch_model.safetensors (or one of our files)")
    parser.add_argument("output", nargs="?", help="where to write the compact file")
    parser.add_argument("--dtype", default="float16", choices=sorted(DTYPES), help="tensor dtype (default float16)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--stage", default="auto", choices=STAGES,
                        help="which released stage the source is (default: from its metadata or name)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    state = {"last": -1}

    def progress(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent // 10 != state["last"] // 10 or done == total:
            state["last"] = percent
            log.info("reading tensors: %d / %d (%d%%)", done, total, percent)

    try:
        output, weights = convert(args.source, args.output, args.dtype, progress, args.overwrite, args.stage)
    except TrackDiffError as exc:
        log.error("%s", exc)
        return 2
    size = os.path.getsize(output)
    log.info("%s", weights.report.text() if weights.report else "")
    log.info("wrote %s (%.1f MB, %s)", output, size / 1e6, args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Convert the released TrackDiffusion UNet (~6.95 GB fp32 diffusers file) to our compact file (~0.4 GB fp16).

Only the trained tensors are kept (box encoder, fusers, conv_in, conv_out, the 38 mix factors) with metadata: source,
stage and dims. The source is memory-mapped and read tensor by tensor; the stock SVD tensors are never loaded.

Usage::

    python -m trackdiff_core.trackdiffusion.convert SOURCE.safetensors [OUTPUT.safetensors] [--dtype float16]

Without OUTPUT the file is written next to the source as ``trackdiffusion_<stage>.<dtype>.safetensors``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from ..errors import TrackDiffError
from .weights import Progress, load_weights
from .weights_format import DTYPES, save_weights

log = logging.getLogger("trackdiff.convert")

SHORT = {"float16": "fp16", "bfloat16": "bf16", "float32": "fp32"}


def default_output(source: str, stage: str, dtype: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(source)), f"trackdiffusion_{stage}.{SHORT[dtype]}.safetensors")


def convert(source: str, output: str | None = None, dtype: str = "float16", progress: Progress | None = None,
            overwrite: bool = False):
    """Convert ``source`` (released or ours) to our format; returns ``(output path, weights)``."""
    if dtype not in DTYPES:
        raise TrackDiffError("dtype", dtype, "is not a supported dtype", f"use one of {', '.join(DTYPES)}")
    weights = load_weights(source, progress, "source")
    output = output or default_output(source, weights.stage, dtype)
    if os.path.abspath(output) == os.path.abspath(source):
        raise TrackDiffError("output", output, "is the source file", "choose another output name")
    if os.path.exists(output) and not overwrite:
        raise TrackDiffError("output", output, "already exists", "choose another name, or allow overwriting")
    save_weights(output, weights, DTYPES[dtype], source=os.path.basename(source))
    return output, weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trackdiff_core.trackdiffusion.convert",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the released diffusion_pytorch_model.safetensors (or one of our files)")
    parser.add_argument("output", nargs="?", help="where to write the compact file")
    parser.add_argument("--dtype", default="float16", choices=sorted(DTYPES), help="tensor dtype (default float16)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    state = {"last": -1}

    def progress(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent // 10 != state["last"] // 10 or done == total:
            state["last"] = percent
            log.info("reading tensors: %d / %d (%d%%)", done, total, percent)

    try:
        output, weights = convert(args.source, args.output, args.dtype, progress, args.overwrite)
    except TrackDiffError as exc:
        log.error("%s", exc)
        return 2
    size = os.path.getsize(output)
    log.info("%s", weights.report.text() if weights.report else "")
    log.info("wrote %s (%.1f MB, %s)", output, size / 1e6, args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())

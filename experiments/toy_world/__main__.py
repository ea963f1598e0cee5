"""``python -m experiments.toy_world``: the toy-world proof that drawn motion becomes video motion (docs/toy-world.md).

    python -m experiments.toy_world init  --out runs/toy                  # the starting checkpoint (random UNet)
    python -m experiments.toy_world train backbone --out runs/toy/backbone ...   # the pack's training CLI, tiny SVD known

``train`` passes everything after the task name to ``python -m trackdiff_core.training`` unchanged, in a process where
ComfyUI knows the tiny SVD, so every training uses the pack's own entry point.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .host import use_comfyui, training_cli

log = logging.getLogger("toy_world")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m experiments.toy_world")
    parser.add_argument("--comfyui", default=None, help="ComfyUI's folder (default: $COMFYUI_PATH)")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write the starting checkpoint: random tiny SVD UNet + fixed colour VAE")
    init.add_argument("--out", required=True)
    init.add_argument("--seed", type=int, default=0)
    train = commands.add_parser("train", help="run the pack's training CLI with the tiny SVD known to ComfyUI")
    train.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    use_comfyui(args.comfyui)
    if args.command == "init":
        from trackdiff_test_support.toy_vae import write_toy_svd

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        log.info("wrote %s", write_toy_svd(str(out / "toy_init.safetensors"), args.seed))
        return 0
    return training_cli().main(args.args)


if __name__ == "__main__":
    sys.exit(main())

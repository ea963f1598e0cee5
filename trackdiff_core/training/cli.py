"""``python -m trackdiff_core.training``: train TrackDiff's modules, or write synthetic clips.

    python -m trackdiff_core.training trackgo --checkpoint svd_xt.safetensors --comfyui ~/ComfyUI \\
        --data synthetic --frames 14 --width 512 --height 320 --steps 20000 --out runs/trackgo
    python -m trackdiff_core.training synth --out data/synthetic --count 1000 --frames 14 --width 256 --height 256
    torchrun --nproc_per_node 8 -m trackdiff_core.training trackgo ... --batch-size 1 --precision bf16 --checkpointing

Each task listed in :mod:`.tasks` is a sub-command with the common options below plus its own. See
``docs/training.md``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

from .tasks import TASKS

log = logging.getLogger(__name__)


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("run")
    group.add_argument("--out", required=True, help="output folder: log.jsonl, checkpoints/, the final file")
    group.add_argument("--steps", type=int, default=1000, help="optimizer steps in all (a resumed run continues to it)")
    group.add_argument("--lr", type=float, default=1e-4, help="AdamW learning rate")
    group.add_argument("--weight-decay", type=float, default=0.0)
    group.add_argument("--grad-clip", type=float, default=1.0, help="gradient norm clip (0: none)")
    group.add_argument("--seed", type=int, default=0, help="seeds every step's clip, noise, sigma and points")
    group.add_argument("--save-every", type=int, default=500, help="checkpoint every N steps (and at the end)")
    group.add_argument("--keep", type=int, default=3, help="checkpoints to keep")
    group.add_argument("--eval-every", type=int, default=0, help="evaluate on fixed held-out clips every N steps")
    group.add_argument("--eval-clips", type=int, default=4)
    group.add_argument("--log-every", type=int, default=10, help="log a line every N steps (log.jsonl gets every one)")
    group.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    group.add_argument("--init", default=None, help="start from these weights (our format) instead of fresh ones")
    group.add_argument("--batch-size", type=int, default=1,
                       help="clips per rank per micro-step (their graphs are kept together for one backward)")
    group.add_argument("--grad-accum", type=int, default=1,
                       help="micro-steps per optimizer step, per rank (a step sees world size x batch x this clips)")
    group.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                       help="bf16: the forward runs under bfloat16 autocast (the trained weights stay float32)")
    group.add_argument("--checkpointing", action="store_true",
                       help="gradient checkpointing of the frozen model's blocks: their activations are recomputed in "
                            "backward instead of kept (less memory, about one more forward of time)")
    group = parser.add_argument_group("data")
    group.add_argument("--data", default="synthetic",
                       help='"synthetic" or "toy" (generated on the fly: textured shapes, or the toy world of '
                            'docs/toy-world.md), or a folder of clips')
    group.add_argument("--frames", type=int, default=14, help="frames per clip")
    group.add_argument("--width", type=int, default=256, help="training width in pixels (multiple of 8)")
    group.add_argument("--height", type=int, default=256, help="training height in pixels (multiple of 8)")
    group.add_argument("--max-objects", type=int, default=3, help="synthetic data: shapes per clip, at most")
    group = parser.add_argument_group("model")
    group.add_argument("--backend", default="comfyui", help='"comfyui", or "package.module:Class" for another backend')
    group.add_argument("--checkpoint", default=None, help="the SVD checkpoint (e.g. svd_xt.safetensors)")
    group.add_argument("--comfyui", default=None, help="ComfyUI's folder, when it is not importable already")
    group.add_argument("--device", default=None, help='"cpu" to force the CPU (default: ComfyUI\'s choice)')
    group.add_argument("--unet-dtype", default=None, choices=["fp32", "fp16", "bf16"], help="frozen UNet's dtype")
    group.add_argument("--fps", type=int, default=6, help="SVD's fps conditioning")
    group.add_argument("--motion-bucket-id", type=int, default=127, help="SVD's motion bucket conditioning")
    group.add_argument("--augmentation-level", type=float, default=0.0, help="SVD's conditioning-frame noise")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trackdiff_core.training", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, task in sorted(TASKS.items()):
        sub = commands.add_parser(name, help=task.help, description=task.help)
        _common(sub)
        task.add_arguments(sub)
    synth = commands.add_parser("synth", help="write synthetic clips (safetensors) to a folder")
    synth.add_argument("--out", required=True)
    synth.add_argument("--count", type=int, default=100)
    synth.add_argument("--frames", type=int, default=14)
    synth.add_argument("--width", type=int, default=256)
    synth.add_argument("--height", type=int, default=256)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--max-objects", type=int, default=3)
    synth.add_argument("--points-per-object", type=int, default=64)
    synth.add_argument("--world", choices=["synthetic", "toy"], default="synthetic",
                       help="textured shapes, or the toy world of docs/toy-world.md")
    _prepare_parser(commands)
    _evaluate_parser(commands)
    return parser


def _evaluate_parser(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="score held-out clips sampled through a running ComfyUI (ObjMC)",
                                   description="Sample held-out clips through ComfyUI's /prompt with no control, a "
                                               "TrackGo adapter and cut-and-drag, and score the motion against the "
                                               "drawing (docs/training.md).")
    evaluate.add_argument("--server", default="http://127.0.0.1:8188", help="the ComfyUI server's address")
    evaluate.add_argument("--data", required=True, help="a folder of held-out clip files")
    evaluate.add_argument("--clips", type=int, default=16, help="how many of them (0: all)")
    evaluate.add_argument("--checkpoint-name", required=True, help="the SVD checkpoint, as ComfyUI names it")
    evaluate.add_argument("--adapter", default=None, help="the TrackGo adapter, as ComfyUI names it (models/trackdiff)")
    evaluate.add_argument("--conditions", default="none,adapter,cut_and_drag")
    evaluate.add_argument("--steps", type=int, default=20)
    evaluate.add_argument("--cfg", type=float, default=2.5)
    evaluate.add_argument("--K", type=int, default=8)
    evaluate.add_argument("--points-s", type=int, default=4)
    evaluate.add_argument("--denoise", type=float, default=0.4, help="cut-and-drag's denoise")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--out", default=None, help="write every record and the summary to this JSON file")
    evaluate.add_argument("--videos", default=None, help="a folder that gets every generated video as .npy (uint8 "
                                                         "frames × height × width × RGB), and each clip's truth")


def _prepare_parser(commands) -> None:
    from .prepare import KINDS, PrepareOptions

    defaults = PrepareOptions()
    prepare = commands.add_parser("prepare", help="real videos -> clip files (point tracks from the pack's tracker)",
                                  description="Write training clips from a dataset or a folder of videos "
                                              "(docs/training.md, 'Clips from real videos').")
    prepare.add_argument("--source", required=True, choices=KINDS, help="what --root holds")
    prepare.add_argument("--root", required=True, help="the dataset's folder (youtube-vis: the JPEG folder the JSON's "
                                                       "file names are relative to)")
    prepare.add_argument("--annotations", default=None, help="youtube-vis: the JSON file")
    prepare.add_argument("--out", required=True, help="the clip folder (rerun to resume)")
    prepare.add_argument("--frames", type=int, default=defaults.frames, help="frames per clip (SVD: 14, SVD-XT: 25)")
    prepare.add_argument("--stride", type=int, default=defaults.stride, help="step between a clip's source frames")
    prepare.add_argument("--width", type=int, default=defaults.width, help="clip width (resize + centre crop)")
    prepare.add_argument("--height", type=int, default=defaults.height, help="clip height")
    prepare.add_argument("--points-per-object", type=int, default=defaults.points_per_object)
    prepare.add_argument("--max-objects", type=int, default=defaults.max_objects,
                         help="skip clips with more objects in their first frame")
    prepare.add_argument("--min-motion", type=float, default=defaults.min_motion,
                         help="skip clips whose most-moving object moves less (pixels, median of its points)")
    prepare.add_argument("--min-area", type=int, default=defaults.min_area,
                         help="objects smaller than this in the first frame (pixels) are left out")
    prepare.add_argument("--max-clips-per-video", type=int, default=defaults.max_clips_per_video, help="0: all")
    prepare.add_argument("--workers", type=int, default=max(1, min(8, (os.cpu_count() or 2) - 1)),
                         help="CPU processes")


def prepare_clips(args):
    from .prepare import PrepareOptions, run_prepare

    options = PrepareOptions(args.frames, args.stride, args.width, args.height, args.points_per_object,
                             args.max_objects, args.min_motion, args.min_area, args.max_clips_per_video)
    return run_prepare(args.source, args.root, args.out, options, args.annotations, args.workers)


def generated_clips(world: str, frames: int, width: int, height: int, seed: int, max_objects: int,
                    points_per_object: int = 64):
    """The endless clip source named ``world``: ``"synthetic"`` or ``"toy"``."""
    from .synthetic import SyntheticClips
    from .toy_world import ToyWorldClips

    source = {"synthetic": SyntheticClips, "toy": ToyWorldClips}[world]
    return source(frames, width, height, seed, max_objects, points_per_object)


def _dataset(args):
    from .clips import ClipFolder

    if args.data in ("synthetic", "toy"):
        return generated_clips(args.data, args.frames, args.width, args.height, args.seed, args.max_objects)
    return ClipFolder(args.data)


def write_synthetic(args) -> list[str]:
    from .clips import save_clip

    clips = generated_clips(args.world, args.frames, args.width, args.height, args.seed, args.max_objects,
                            args.points_per_object)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return [save_clip(clips.clip(i), str(out / f"clip_{i:06d}.safetensors")) for i in range(args.count)]


def train(args):
    """Run a training sub-command (``args`` from :func:`build_parser`); returns the :class:`TrainingResult`. Under
    ``torchrun`` this process is one rank of a DDP run (:mod:`.distributed`)."""
    import torch

    from . import distributed
    from .backend import resolve_backend
    from .loop import Trainer
    from .tasks import get_task

    ranks = distributed.ranks_from_environment()
    if ranks.distributed and args.device != "cpu" and torch.cuda.is_available():
        torch.cuda.set_device(ranks.local_rank)  # one GPU per rank; the backend's default device is the current one
    task = get_task(args.command).from_arguments(args)
    dtypes = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
    backend = resolve_backend(
        args.backend, checkpoint=args.checkpoint, comfyui=args.comfyui, device=args.device, width=args.width,
        height=args.height, fps=args.fps, motion_bucket_id=args.motion_bucket_id,
        augmentation_level=args.augmentation_level, unet_dtype=dtypes.get(args.unet_dtype),
    )
    distributed.start(ranks, backend.device)
    trainer = Trainer(task, backend, _dataset(args), args.out, args.steps, args.lr, args.weight_decay, args.seed,
                      args.save_every, args.keep, args.resume, args.init, args.grad_clip, args.eval_every,
                      args.eval_clips, args.log_every, batch_size=args.batch_size, grad_accum=args.grad_accum,
                      precision=args.precision, checkpointing=args.checkpointing, ranks=ranks)
    result = trainer.run()
    distributed.stop(ranks)
    return result


def run(args) -> int:
    if args.command == "synth":
        paths = write_synthetic(args)
        log.info("wrote %d clips to %s", len(paths), args.out)
        return 0
    if args.command == "evaluate":
        from .evaluate import run_evaluate

        run_evaluate(args)
        return 0
    if args.command == "prepare":
        summary = prepare_clips(args)
        return 1 if summary.failed else 0
    result = train(args)
    log.info("done: %s", result.output)
    return 0


def main(argv: list[str] | None = None) -> int:
    rank = os.environ.get("RANK", "0")  # under torchrun, rank 0 alone logs progress
    logging.basicConfig(level=logging.INFO if rank == "0" else logging.WARNING,
                        format="%(asctime)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "backend", None) == "comfyui" and __name__.startswith("trackdiff_core."):
            # Run inside the repository imported as a package, so the ComfyUI glue (nodes/) and the core it uses are
            # one copy of the code.
            from .backend import pack_package, use_comfyui

            use_comfyui(args.comfyui, args.device == "cpu")
            args.comfyui = None
            return importlib.import_module(pack_package() + ".trackdiff_core.training.cli").run(args)
        return run(args)
    except ValueError as exc:  # TrackDiffError (from either copy of the package) and other bad input
        log.error("%s", exc)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

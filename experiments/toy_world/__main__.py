"""``python -m experiments.toy_world``: the toy-world proof that drawn motion becomes video motion (docs/toy-world.md).

    python -m experiments.toy_world init  --out runs/toy                  # the starting checkpoint (random UNet)
    python -m experiments.toy_world train backbone --out runs/toy/backbone ...   # the pack's training CLI, tiny SVD known
    python -m experiments.toy_world loss-gap --backbone B --adapter A --out gap.json    # true vs wrong tracks: loss
    python -m experiments.toy_world sample --backbone B --adapter A --out sample.json   # videos via /prompt, measured
    python -m experiments.toy_world evaluate --backbone B --adapter A --out objmc.json  # the training CLI's evaluate
    python -m experiments.toy_world prediction-error --backbone B --adapter A --out pred.json  # one-step x0, per σ

``train`` passes everything after the task name to ``python -m trackdiff_core.training`` unchanged, in a process where
ComfyUI knows the tiny SVD, so every training uses the pack's own entry point.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from pathlib import Path

from .host import use_comfyui, training_cli

log = logging.getLogger("toy_world")
PICTURE_CONDITIONS = ("none", "true", "other", "reversed", "zero_weight", "cut_and_drag", "cut_and_drag_d0.4")


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
    gap = commands.add_parser("loss-gap", help="denoising loss with true vs wrong tracks on held-out clips")
    sample = commands.add_parser("sample", help="sample videos through /prompt and measure the shapes' positions")
    boxes = commands.add_parser("box-loss-gap", help="TrackDiffusion: denoising loss with true vs wrong boxes")
    box_sample = commands.add_parser("box-sample", help="TrackDiffusion: sample videos through /prompt, box IoU")
    predicted = commands.add_parser("prediction-error", help="trajectory error of the denoiser's one-step prediction per σ")
    pictures = commands.add_parser("pictures", help="drawn tracks over sampled frames (from sample --keep-frames)")
    objmc = commands.add_parser("evaluate", help="the training CLI's evaluate (ObjMC through /prompt) on toy clips")
    for sub in (gap, sample, boxes, box_sample, predicted, pictures, objmc):  # which held-out clips of which toy world
        sub.add_argument("--clips", type=int, default=3 if sub is pictures else 16, help="held-out clips")
        sub.add_argument("--data-seed", type=int, default=1, help="the toy world's seed (held-out indices from 2^30)")
        sub.add_argument("--size", type=int, default=96)
        sub.add_argument("--frames", type=int, default=8)
    for sub in (gap, sample, boxes, box_sample, predicted, objmc):
        sub.add_argument("--backbone", required=True, help="the trained toy backbone (a full SVD checkpoint)")
        sub.add_argument("--out", required=True, help="a JSON file for the results")
    for sub in (gap, sample, predicted, objmc):
        sub.add_argument("--adapter", default=None, help="a TrackGo adapter trained on it")
    for sub in (boxes, box_sample):
        sub.add_argument("--weights", required=True, help="TrackDiffusion weights trained on it (trackdiffusion task)")
    box_sample.add_argument("--steps", type=int, default=12, help="KSampler steps")
    box_sample.add_argument("--strength", type=float, default=1.0, help="the TrackDiffusion node's strength")
    objmc.add_argument("--steps", type=int, default=12, help="KSampler steps")
    objmc.add_argument("--cfg", type=float, default=1.0, help="KSampler's cfg")
    sample.add_argument("--steps", type=int, default=12, help="KSampler steps")
    sample.add_argument("--seeds", type=int, default=1, help="sampling seeds per clip and condition")
    sample.add_argument("--K", type=int, default=8)
    sample.add_argument("--s", type=int, default=4)
    sample.add_argument("--sampler", default="euler", help="KSampler's sampler_name")
    sample.add_argument("--scheduler", default="karras", help="KSampler's scheduler")
    sample.add_argument("--cfg", type=float, default=1.0, help="KSampler's cfg")
    sample.add_argument("--strength", type=float, default=1.0, help="ApplyTrackAdapter's strength")
    sample.add_argument("--conditions", default="", help="comma-separated conditions to run (default: all)")
    objmc.add_argument("--keep-frames", default=None, help="a folder for the decoded videos (.npy)")
    sample.add_argument("--keep-frames", default=None, help="a folder for the decoded frames (.npy), for pictures")
    pictures.add_argument("--frames-dir", required=True)
    pictures.add_argument("--out", required=True, help="a folder for the PNG sheets")
    pictures.add_argument("--conditions", default=",".join(PICTURE_CONDITIONS),
                          help="the rows after the ground truth, comma-separated: the conditions' names in --frames-dir "
                               "(a name with 'other', 'reversed' or 'still' in it is drawn with that motion)")
    tables = commands.add_parser("report", help="print the result tables (markdown) of a run folder")
    tables.add_argument("--runs", required=True)
    args = parser.parse_args(argv)
    if args.command == "pictures":
        return run_pictures(args)
    if args.command == "report":
        from .report import report

        sys.stdout.write(report(Path(args.runs)))
        return 0
    use_comfyui(args.comfyui)
    if args.command == "init":
        from trackdiff_test_support.toy_vae import write_toy_svd

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        log.info("wrote %s", write_toy_svd(str(out / "toy_init.safetensors"), args.seed))
        return 0
    if args.command == "train":
        return training_cli().main(args.args)
    runs = {"loss-gap": run_loss_gap, "sample": run_sampling, "box-loss-gap": run_box_loss_gap,
            "prediction-error": run_prediction_error, "box-sample": run_box_sampling, "evaluate": run_objmc}
    results = runs[args.command](args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1, default=float))
    log.info("wrote %s", args.out)
    return 0


def held_out(args) -> tuple:
    from trackdiff_core.training.loop import EVAL_OFFSET
    from trackdiff_core.training.toy_world import ToyWorldClips

    dataset = ToyWorldClips(args.frames, args.size, args.size, seed=args.data_seed, max_objects=4)
    return dataset, [EVAL_OFFSET + 1000 + i for i in range(args.clips)]


def run_pictures(args) -> int:
    from trackdiff_core.training.loop import EVAL_OFFSET
    from trackdiff_core.training.toy_world import ToyWorldClips

    from .pictures import write_sheets

    dataset = ToyWorldClips(args.frames, args.size, args.size, seed=args.data_seed, max_objects=4)
    conditions = [c for c in args.conditions.split(",") if c]
    motion_of = {c: v for c in conditions for v in ("other", "reversed", "still") if v in c}
    indices = [EVAL_OFFSET + 1000 + i for i in range(args.clips)]
    for path in write_sheets(dataset, indices, Path(args.frames_dir), Path(args.out), conditions, motion_of):
        log.info("wrote %s", path)
    return 0


def trackgo_on_backbone(args, command: str) -> tuple:
    """``(task, adapter, backend)``: the adapter of ``--adapter`` attached to the backbone of ``--backbone``."""
    from trackdiff_core.training.trackgo_task import TrackGoTask

    from .backend import ToyWorldBackend

    if not args.adapter:
        raise SystemExit(f"{command} needs --adapter")
    backend = ToyWorldBackend(checkpoint=args.backbone, width=args.size, height=args.size, device="cpu")
    task = TrackGoTask()
    adapter = task.load(args.adapter, backend).eval()
    task.attach(backend, adapter)
    return task, adapter, backend


def run_loss_gap(args) -> dict:
    from .loss_gap import loss_gap

    task, adapter, backend = trackgo_on_backbone(args, "loss-gap")
    dataset, indices = held_out(args)
    return loss_gap(task, adapter, backend, dataset, indices)


def run_prediction_error(args) -> dict:
    from .prediction_error import prediction_error

    task, adapter, backend = trackgo_on_backbone(args, "prediction-error")
    dataset, indices = held_out(args)
    return prediction_error(task, adapter, backend, dataset, indices)


def run_box_loss_gap(args) -> dict:
    from trackdiff_core.training.trackdiffusion_task import TrackDiffusionTask

    from .backend import ToyWorldBackend
    from .box_loss_gap import box_loss_gap

    backend = ToyWorldBackend(checkpoint=args.backbone, width=args.size, height=args.size, device="cpu")
    task = TrackDiffusionTask()
    module = task.load(args.weights, backend).eval()
    task.attach(backend, module)
    dataset, indices = held_out(args)
    return box_loss_gap(task, backend, dataset, indices)


@contextlib.contextmanager
def toy_server(backbone: str, trackdiff_files: dict[str, str]):
    """A live ComfyUI (the host tests' launcher) in a throw-away base directory, with the toy backbone as its
    checkpoint and ``trackdiff_files`` (name in ``models/trackdiff`` -> file) linked in."""
    import tempfile

    import comfy_host

    from .sample_eval import CHECKPOINT

    with tempfile.TemporaryDirectory(prefix="toy_world_comfy_") as folder:
        base = comfy_host.make_base_directory(Path(folder), Path(backbone).resolve())
        (base / "models" / "checkpoints" / CHECKPOINT).symlink_to(Path(backbone).resolve())
        for name, path in trackdiff_files.items():
            (base / "models" / "trackdiff").mkdir(parents=True, exist_ok=True)
            (base / "models" / "trackdiff" / name).symlink_to(Path(path).resolve())
        server = comfy_host.ComfyServer(base).start()
        try:
            yield server
        finally:
            server.stop()


def run_sampling(args) -> dict:
    from .sample_eval import ADAPTER, Sampling, evaluate, summarise

    dataset, indices = held_out(args)
    with toy_server(args.backbone, {ADAPTER: args.adapter} if args.adapter else {}) as server:
        settings = Sampling(args.steps, args.sampler, args.scheduler, args.cfg, args.strength, args.K, args.s)
        only = tuple(c for c in args.conditions.split(",") if c)
        results = evaluate(server, dataset, indices, bool(args.adapter), settings, tuple(range(args.seeds)),
                           Path(args.keep_frames) if args.keep_frames else None, only)
    results["summary"] = summarise(results["records"])
    return results


def run_objmc(args) -> dict:
    """``python -m trackdiff_core.training evaluate``'s path (its graph and ObjMC scoring) on held-out toy clips."""
    from trackdiff_core.batch.client import ComfyClient
    from trackdiff_core.training.evaluate import EvaluateSettings, evaluate_clips

    from .sample_eval import ADAPTER, CHECKPOINT

    dataset, indices = held_out(args)
    clips = [dataset.clip(index) for index in indices]
    settings = EvaluateSettings(CHECKPOINT, ADAPTER if args.adapter else None, args.steps, args.cfg)
    conditions = ("none", "adapter", "cut_and_drag") if args.adapter else ("none", "cut_and_drag")
    with toy_server(args.backbone, {ADAPTER: args.adapter} if args.adapter else {}) as server:
        return evaluate_clips(ComfyClient(server.url), clips, settings, conditions, videos=args.keep_frames)


def run_box_sampling(args) -> dict:
    from .box_sample_eval import WEIGHTS, evaluate, summarise
    from .sample_eval import Sampling

    dataset, indices = held_out(args)
    with toy_server(args.backbone, {WEIGHTS: args.weights}) as server:
        results = evaluate(server, dataset, indices, Sampling(steps=args.steps, strength=args.strength))
    results["summary"] = summarise(results["records"])
    return results


if __name__ == "__main__":
    sys.exit(main())

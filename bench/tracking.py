"""``python -m bench tracking``: the point tracker against two naive baselines on synthetic clips with exact ground
truth (TAP-Vid metrics), and the seconds to track 256 points through 25 frames at 1024×576. Needs no ComfyUI; needs
scikit-image for the photographs the clips are made of.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("bench.tracking")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench tracking", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown table to this file")
    parser.add_argument("--quick", action="store_true", help="two small clips and a smaller timing case (a smoke run)")
    parser.add_argument("--seed", type=int, default=None, help="clip-set seed (default: the published BENCH_SEED)")
    parser.add_argument("--fine-levels", type=int, default=None,
                        help="the tracker's TrackerConfig.fine_levels (default: its default; 3, the pyramid's own "
                             "levels, is the tracker without the fine-level retry)")
    parser.add_argument("--object-photos", default=None,
                        help="comma-separated scikit-image photographs to cut the objects from (default: the "
                             "textured OBJECT_PHOTOS; the set before 2026-12-06 was brick,gravel,coins,camera,"
                             "colorwheel,retina,hubble_deep_field,grass)")
    return parser


def methods(config=None):
    from trackdiff_core.motion import track_points

    from .tracking_baselines import naive_farneback, naive_lk

    def pack(frames, queries):
        result = track_points(frames, queries, config)
        return result.points, result.visible

    return {
        "TrackDiff `track_points`": pack,
        "naive LK (frame to frame, no checks)": naive_lk,
        "naive Farneback (chained dense flow)": naive_farneback,
    }


def score_clips(clips, runners) -> tuple[dict[str, dict], dict[str, dict]]:
    """Mean over clips of each metric (TAP-Vid averages per video), per method; and, per method, the same restricted
    to the background points and to the object points."""
    from trackdiff_core.motion import THRESHOLDS, tapvid_metrics

    totals, kinds = {}, {}
    for name, run in runners.items():
        rows, by_kind = [], {"background": [], "objects": []}
        for clip in clips:
            points, visible = run(clip.frames, clip.queries)
            height, width = clip.frames.shape[1:3]
            rows.append(tapvid_metrics(points, visible, clip.points, clip.visible, clip.queries[:, 0], width, height))
            for kind, chosen in (("background", clip.on_object < 0), ("objects", clip.on_object >= 0)):
                by_kind[kind].append(tapvid_metrics(points[:, chosen], visible[:, chosen], clip.points[:, chosen],
                                                    clip.visible[:, chosen], clip.queries[chosen, 0], width, height))
        kinds[name] = {kind: {key: float(np.mean([r[key] for r in part])) for key in ("aj", "delta_avg", "oa")}
                       for kind, part in by_kind.items()}
        totals[name] = {
            "aj": float(np.mean([r["aj"] for r in rows])),
            "delta_avg": float(np.mean([r["delta_avg"] for r in rows])),
            "oa": float(np.mean([r["oa"] for r in rows])),
            "delta": {d: float(np.mean([r["delta"][d] for r in rows])) for d in THRESHOLDS},
        }
        log.info("%s: AJ %.3f", name, totals[name]["aj"])
    return totals, kinds


def time_methods(runners, photos, seed: int, width: int, height: int, frames: int, count: int) -> dict[str, float]:
    """Seconds (best of 2 runs) to track ``count`` points through ``frames`` frames at ``width`` × ``height``."""
    from trackdiff_core.motion.synthetic_clips import make_clip

    clip = make_clip(photos["coffee"], [photos["brick"], photos["coins"]], seed, width=width, height=height,
                     frames=frames, background_points=count, object_points=0)
    rng = np.random.default_rng(seed)
    queries = np.concatenate([np.zeros((count, 1)), rng.uniform([0, 0], [width - 1, height - 1], (count, 2))], 1)
    seconds = {}
    for name, run in runners.items():
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            run(clip.frames, queries)
            best = min(best, time.perf_counter() - start)
        seconds[name] = best
    return seconds


def build_table(quick: bool, seed: int | None = None, fine_levels: int | None = None,
                object_photos: tuple[str, ...] | None = None) -> str:
    import cv2

    from trackdiff_core.motion.synthetic_clips import (BENCH_SEED, OBJECT_PHOTOS, TEXTURELESS_OBJECT_PHOTOS,
                                                       make_clip_set, skimage_photos)

    from trackdiff_core.motion import TrackerConfig

    seed = BENCH_SEED if seed is None else seed
    object_photos = object_photos or OBJECT_PHOTOS
    photos = skimage_photos()
    unknown = sorted(set(object_photos) - set(photos))
    if unknown:
        raise SystemExit(f"--object-photos: {unknown[0]!r} is not one of the benchmark's photographs "
                         f"({', '.join(sorted(photos))})")
    runners = methods(None if fine_levels is None else TrackerConfig(fine_levels=fine_levels))
    if quick:
        size = dict(count=2, frames=12, width=384, height=216)
        timing = (512, 288, 12, 128)
    else:
        size = dict(count=6, frames=24, width=512, height=288)
        timing = (1024, 576, 25, 256)
    clips = make_clip_set(photos, seed=seed, object_photos=object_photos, **size)
    scores, kinds = score_clips(clips, runners)
    # The limit: the same generator and seed with object photographs that have no texture to track.
    limit_scores, limit_kinds = score_clips(make_clip_set(photos, seed=seed, object_photos=TEXTURELESS_OBJECT_PHOTOS,
                                                          **size), runners)
    seconds = time_methods(runners, photos, seed, *timing)
    frames, height, width = clips[0].frames.shape[:3]
    points = sum(c.points.shape[1] for c in clips)
    hidden = float(np.mean([1 - c.visible.mean() for c in clips]))
    lines = [
        f"Clips: {len(clips)} × {frames} frames at {width}×{height}, {points} points, {hidden:.0%} of point-frames hidden "
        f"(seed {seed}; `trackdiff_core/motion/synthetic_clips.py`), objects cut from the photographs "
        f"{', '.join(object_photos)}{'' if fine_levels is None else f', tracker fine_levels {fine_levels}'}; TAP-Vid query-first metrics at 256×256. Timing: "
        f"{timing[3]} points through {timing[2]} frames at {timing[0]}×{timing[1]}, best of 2, "
        f"{platform.processor() or platform.machine()}, OpenCV {cv2.__version__}, one thread.",
        "",
        "| method | AJ | δ_avg | OA | δ<1 | δ<2 | δ<4 | δ<8 | δ<16 | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in scores.items():
        per = " | ".join(f"{row['delta'][d]:.3f}" for d in (1, 2, 4, 8, 16))
        lines.append(f"| {name} | {row['aj']:.3f} | {row['delta_avg']:.3f} | {row['oa']:.3f} | {per} | "
                     f"{seconds[name]:.2f} |")
    lines += ["", "By kind of point (AJ / δ_avg / OA):", "", "| method | background points | object points |",
              "|---|---|---|"]
    for name, row in kinds.items():
        cells = [f"{row[k]['aj']:.3f} / {row[k]['delta_avg']:.3f} / {row[k]['oa']:.3f}" for k in ("background", "objects")]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    lines += ["", f"Limit: the same clips' generator and seed with objects cut from the photographs without texture "
              f"({', '.join(TEXTURELESS_OBJECT_PHOTOS)}):", "",
              "| method | AJ | δ_avg | OA | object points (AJ / δ_avg / OA) |", "|---|---|---|---|---|"]
    for name, row in limit_scores.items():
        objects = limit_kinds[name]["objects"]
        lines.append(f"| {name} | {row['aj']:.3f} | {row['delta_avg']:.3f} | {row['oa']:.3f} | "
                     f"{objects['aj']:.3f} / {objects['delta_avg']:.3f} / {objects['oa']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        import skimage  # noqa: F401
    except ImportError:
        log.error("bench tracking: needs scikit-image for its photographs (pip install scikit-image)")
        return 2
    import cv2

    cv2.setNumThreads(1)
    photos = tuple(p for p in args.object_photos.split(",") if p) if args.object_photos else None
    text = build_table(args.quick, args.seed, args.fine_levels, photos)
    sys.stdout.write(text)
    if args.out is not None:
        args.out.write_text(text)
        log.info("written to %s", args.out)
    return 0

"""Run ``prepare``: every window of every video of a source → clip files, in parallel, resumable, with a summary.

A video's windows start every ``frames · stride`` source frames (``stride``: the step between a clip's frames), so clips
never overlap; ``max_clips_per_video`` keeps the first ones. The clip of window ``s`` of video ``v`` is
``<out>/<v>__<s>.safetensors``: a rerun skips the files that exist (resume), and each is written to a temporary name
and renamed, so a killed run leaves no half-written clip. A video whose input is bad (a broken video, a mask of the
wrong size, an annotation naming a missing frame) gets its named error in the summary and no clip; the others go on.
The summary (``<out>/prepare_summary.json``, and the log) counts clips written, found already written, skipped by each
filter, and the videos that failed, with why.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ...errors import TrackDiffError
from ..clips import save_clip
from .clip_maker import PrepareOptions, make_clip
from .sources import Item, decode_video, list_items, read_window

log = logging.getLogger(__name__)
SUMMARY = "prepare_summary.json"


@dataclass
class ItemResult:
    name: str
    written: int = 0
    existing: int = 0
    skipped: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class PrepareSummary:
    videos: int = 0
    written: int = 0
    existing: int = 0
    skipped: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)  # video name -> the error

    def add(self, result: ItemResult) -> None:
        self.videos += 1
        self.written += result.written
        self.existing += result.existing
        self.skipped = dict(Counter(self.skipped) + Counter(result.skipped))
        if result.error:
            self.failed[result.name] = result.error


def window_starts(length: int, options: PrepareOptions) -> list[int]:
    span = (options.frames - 1) * options.stride + 1
    starts = list(range(0, max(0, length - span + 1), options.frames * options.stride))
    return starts[:options.max_clips_per_video] if options.max_clips_per_video else starts


def clip_path(out: Path, item: Item, start: int) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
    return out / f"{safe}__{start:06d}.safetensors"


def prepare_item(item: Item, options: PrepareOptions, out: str) -> ItemResult:
    """Every window of one video (a worker process runs this)."""
    result = ItemResult(item.name)
    folder = Path(out)
    try:
        video = decode_video(item.path) if item.kind == "videos" else None
        length = len(video) if video is not None else len(item.frames)
        skipped: Counter = Counter()
        for start in window_starts(length, options):
            path = clip_path(folder, item, start)
            if path.is_file():
                result.existing += 1
                continue
            indices = [start + i * options.stride for i in range(options.frames)]
            clip, reason = make_clip(read_window(item, indices, video), options)
            if clip is None:
                skipped[reason] += 1
                continue
            tmp = path.with_name(path.name + ".tmp")
            save_clip(clip, str(tmp))
            os.replace(tmp, path)
            result.written += 1
        result.skipped = dict(skipped)
    except (TrackDiffError, ValueError, OSError) as exc:
        result.error = str(exc)
    return result


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ImportError:  # a log line every 10 % instead
        return None
    return tqdm(total=total, unit="video", desc="prepare")


def run_prepare(kind: str, root: str, out: str, options: PrepareOptions, annotations: str | None = None,
                workers: int = 1) -> PrepareSummary:
    for name, value, low in (("--frames", options.frames, 2), ("--stride", options.stride, 1),
                             ("--points-per-object", options.points_per_object, 1),
                             ("--max-objects", options.max_objects, 1), ("--workers", workers, 1)):
        if not isinstance(value, int) or value < low:
            raise TrackDiffError(name, value, f"must be a whole number >= {low}", "leave it out for the default")
    if options.width % 8 or options.height % 8:
        raise TrackDiffError("--width / --height", (options.width, options.height), "must be multiples of 8",
                             "e.g. 512 x 320")
    items = list_items(kind, root, annotations)
    if not items:
        raise TrackDiffError("--root", root, f"holds no {kind} video", "check --source and --root")
    Path(out).mkdir(parents=True, exist_ok=True)
    log.info("prepare: %d %s videos from %s → %s (%d frames, stride %d, %d×%d, at most %d objects, motion ≥ %g px)",
             len(items), kind, root, out, options.frames, options.stride, options.width, options.height,
             options.max_objects, options.min_motion)
    summary = PrepareSummary()
    bar = _progress(len(items))

    def collect(result: ItemResult) -> None:
        summary.add(result)
        if result.error:
            log.warning("prepare: %s failed: %s", result.name, result.error)
        if bar is not None:
            bar.update(1)
        elif summary.videos % max(1, len(items) // 10) == 0:
            log.info("prepare: %d/%d videos, %d clips written", summary.videos, len(items), summary.written)

    if workers == 1:
        for item in items:
            collect(prepare_item(item, options, out))
    else:
        # "spawn": fresh interpreters (forking a process whose torch / OpenCV thread pools are running can deadlock)
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for result in pool.map(prepare_item, items, [options] * len(items), [out] * len(items)):
                collect(result)
    if bar is not None:
        bar.close()
    report = {"source": kind, "root": str(root), "options": asdict(options), **asdict(summary)}
    tmp = Path(out) / (SUMMARY + ".tmp")
    tmp.write_text(json.dumps(report, indent=2), encoding="utf-8")
    os.replace(tmp, Path(out) / SUMMARY)
    reasons = ", ".join(f"{n} {why}" for why, n in sorted(summary.skipped.items())) or "none"
    log.info("prepare: %d clips written, %d already there, skipped: %s; %d videos failed", summary.written,
             summary.existing, reasons, len(summary.failed))
    return summary

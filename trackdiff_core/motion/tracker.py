"""``track_points``: the pack's weight-free point tracker (see ``docs/motion-from-video.md`` for the design)."""

from __future__ import annotations

import numpy as np

from .config import TrackerConfig
from .frames import grey_frame
from .inputs import check_frames, check_queries
from .lucas_kanade import lk_step
from .opencv_state import deterministic_opencv
from .result import TrackResult


def _sweep(frames: np.ndarray, queries: np.ndarray, order: range, config: TrackerConfig,
           points: np.ndarray, visible: np.ndarray) -> None:
    """Track every point through the frames in ``order`` (forward or backward) starting at its query frame.

    A point joins the sweep at its query frame; frames before it (in sweep order) are left to the other sweep."""
    query_frame = queries[:, 0].astype(np.int64)
    position = queries[:, 1:].astype(np.float32).copy()
    alive = np.zeros(len(queries), dtype=bool)
    started = np.zeros(len(queries), dtype=bool)
    previous_grey = None
    for t in order:
        grey = grey_frame(frames[t])
        if previous_grey is not None:
            moving = np.flatnonzero(alive)
            if len(moving):
                new, ok = lk_step(previous_grey, grey, position[moving], config)
                position[moving] = np.where(ok[:, None], new, position[moving])
                alive[moving] = ok
        joining = query_frame == t
        position[joining] = queries[joining, 1:]
        alive[joining] = True
        started |= joining
        height, width = grey.shape
        inside = (position[:, 0] >= -0.5) & (position[:, 0] <= width - 0.5) & \
                 (position[:, 1] >= -0.5) & (position[:, 1] <= height - 0.5)
        alive &= inside
        points[t, started] = position[started]
        visible[t, started] = alive[started]
        previous_grey = grey


def track_points(frames, queries, config: TrackerConfig | None = None) -> TrackResult:
    """Track query points through a video.

    Args:
        frames: ``uint8[T, H, W, 3]`` RGB, ``T >= 2``.
        queries: ``float[N, 3]`` rows ``(frame_index, x, y)`` in pixels of ``frames`` (pixel centres at integers).
        config: :class:`TrackerConfig` (defaults when None).

    Returns:
        :class:`TrackResult` with ``points float32[T, N, 2]`` and ``visible bool[T, N]``. Each point is tracked
        forward from its query frame to the end and backward from it to frame 0; at its query frame it is exactly the
        query position and visible. Deterministic: the same input gives the same output.

    Raises:
        TrackDiffError: naming ``frames`` or ``queries`` for bad input (one frame, wrong shape or dtype, more frames
        than ``config.max_frames``, no queries, NaN, a query frame or position outside the video).
    """
    config = config or TrackerConfig()
    frames = check_frames(frames, config)
    count, height, width = frames.shape[:3]
    queries = check_queries(queries, count, width, height)
    points = np.zeros((count, len(queries), 2), dtype=np.float32)
    visible = np.zeros((count, len(queries)), dtype=bool)
    with deterministic_opencv(config.threads, config.seed):
        _sweep(frames, queries, range(count), config, points, visible)
        _sweep(frames, queries, range(count - 1, -1, -1), config, points, visible)
    return TrackResult(points, visible)

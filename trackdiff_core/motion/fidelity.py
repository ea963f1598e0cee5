"""``motion_fidelity``: how far a video's motion is from drawn tracks (TrackGo's ObjMC), in pixels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import TrackDiffError
from ..validate import bool_array, float_array, to_numpy
from .config import TrackerConfig
from .inputs import check_frames
from .tracker import track_points


@dataclass(frozen=True)
class MotionFidelity:
    """ObjMC-style error of a video against drawn tracks.

    Attributes:
        mean: mean Euclidean distance in pixels over every (frame ≥ 1, point) the drawing says visible and the tracker
            found; ``nan`` if there is none.
        per_object: ``float64[G]`` the same mean per group (object).
        per_frame: ``float64[T]`` the same mean per frame (frame 0 is 0 by construction: tracking starts there).
        per_object_frame: ``float64[G, T]`` the same mean per object and frame (``nan`` for an object with no point
            visible at frame 0), from the one tracking run.
        lost_fraction: share of the drawn-visible (frame ≥ 1, point) pairs the tracker did not find (hidden): a high
            value means the distances above rest on few points.
    """

    mean: float
    per_object: np.ndarray
    per_frame: np.ndarray
    lost_fraction: float
    per_object_frame: np.ndarray


def motion_fidelity(drawn_points, drawn_visible, video_frames, groups=None,
                    config: TrackerConfig | None = None) -> MotionFidelity:
    """Track the drawn points' frame-0 positions through ``video_frames`` and compare with the drawing.

    Args:
        drawn_points: ``float[T, N, 2]`` pixel ``x, y`` at the video's size (as drawn / as given to the model).
        drawn_visible: ``bool[T, N]``; the points must be visible at frame 0 (that is where tracking starts).
        video_frames: ``uint8[T, H, W, 3]`` RGB, the generated (or reference) video, same frame count.
        groups: ``int[N]`` object of each point (default: one object).

    Points hidden at frame 0 are left out. Raises :class:`TrackDiffError` naming the bad input."""
    config = config or TrackerConfig()
    frames = check_frames(video_frames, config, field="video_frames")
    count, height, width = frames.shape[:3]
    points = float_array(drawn_points, "drawn_points", 3, 2, fix="give drawn points as [frames, points, 2] pixels")
    if points.shape[0] != count:
        raise TrackDiffError("drawn_points", points, f"has {points.shape[0]} frames but the video has {count}",
                             "resample the tracks (or the video) to the same frame count")
    visible = bool_array(drawn_visible, "drawn_visible", points.shape[:2], fix="give one True/False per frame and point")
    total = points.shape[1]
    groups = np.zeros(total, dtype=np.int64) if groups is None else to_numpy(groups)
    if groups.shape != (total,) or (total and (not np.issubdtype(groups.dtype, np.integer) or groups.min() < 0)):
        raise TrackDiffError("groups", groups, f"must be {total} non-negative integers", "give each point its object")
    groups = groups.astype(np.int64)
    start = points[0]
    inside = (start[:, 0] >= -0.5) & (start[:, 0] <= width - 0.5) & (start[:, 1] >= -0.5) & (start[:, 1] <= height - 0.5)
    chosen = np.flatnonzero(visible[0] & inside)
    if len(chosen) == 0:
        raise TrackDiffError("drawn_visible", visible[0], "has no point visible inside the frame at frame 0",
                             "give tracks whose points are visible at the first frame")
    queries = np.concatenate([np.zeros((len(chosen), 1)), start[chosen]], axis=1)
    result = track_points(frames, queries, config)
    error = np.linalg.norm(result.points - points[:, chosen], axis=-1)
    drawn = visible[:, chosen].copy()
    drawn[0] = False
    found = drawn & result.visible
    lost = float((drawn & ~result.visible).sum() / drawn.sum()) if drawn.any() else 0.0

    def masked_mean(where: np.ndarray, values: np.ndarray = error) -> float:
        return float(values[where].mean()) if where.any() else float("nan")

    group_count = int(groups.max()) + 1 if total else 0
    per_object = np.array([masked_mean(found & (groups[chosen] == g)[None, :]) for g in range(group_count)])
    per_frame = np.array([masked_mean(found[t], error[t]) if t else 0.0 for t in range(count)])
    per_object_frame = np.full((group_count, count), np.nan)
    for g in range(group_count):
        mine = groups[chosen] == g
        if mine.any():
            per_object_frame[g] = [masked_mean(found[t] & mine, error[t]) if t else 0.0 for t in range(count)]
    return MotionFidelity(masked_mean(found), per_object, per_frame, lost, per_object_frame)

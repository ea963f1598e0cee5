"""Validation of the tracker's inputs: frames and query points (each failure is a ``TrackDiffError`` naming the input)."""

from __future__ import annotations

import numpy as np

from ..errors import TrackDiffError
from ..validate import to_numpy
from .config import TrackerConfig


def check_frames(frames, config: TrackerConfig, field: str = "frames") -> np.ndarray:
    """``uint8[T, H, W, 3]`` RGB frames, ``2 <= T <= config.max_frames``; refused cheaply (no copy of the video)."""
    if isinstance(frames, (list, tuple)):
        shapes = {tuple(np.shape(f)) for f in frames}
        if len(shapes) > 1:
            raise TrackDiffError(field, sorted(shapes)[:4], "has frames of different sizes",
                                 "resize every frame to one width and height before tracking")
    array = to_numpy(frames)
    if array.dtype == object:
        raise TrackDiffError(field, "ragged", "has frames of different sizes",
                             "resize every frame to one width and height before tracking")
    if array.ndim != 4 or array.shape[-1] != 3:
        raise TrackDiffError(field, array, "must have shape [frames, height, width, 3] (RGB)",
                             "pass a video as uint8 [T, H, W, 3]; convert grey or RGBA frames to RGB first")
    if array.dtype != np.uint8:
        raise TrackDiffError(field, array, "must be uint8 (0..255)",
                             "convert float images in [0, 1] with (frames * 255).round().astype('uint8')")
    count, height, width = array.shape[:3]
    if count < 2:
        raise TrackDiffError(field, array, f"has {count} frame(s); tracking needs at least 2",
                             "pass a video of two or more frames")
    if count > config.max_frames:
        raise TrackDiffError(field, array, f"has {count} frames, more than the tracker's limit of {config.max_frames}",
                             f"resample the video to at most {config.max_frames} frames (or raise "
                             "TrackerConfig.max_frames, at the cost of time)")
    if height < 8 or width < 8:
        raise TrackDiffError(field, array, "frames must be at least 8×8 pixels", "pass larger frames")
    return array


def check_queries(queries, num_frames: int, width: int, height: int, field: str = "queries",
                  max_points: int = 4096) -> np.ndarray:
    """``float64[N, 3]`` rows ``(frame, x, y)``: whole frame indices in range, finite pixel positions in the frame."""
    try:
        array = to_numpy(queries).astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TrackDiffError(field, queries, f"is not numeric ({exc})", "give rows (frame, x, y) of numbers") from None
    if array.ndim != 2 or array.shape[1] != 3:
        raise TrackDiffError(field, array, "must have shape [N, 3], rows (frame, x, y)",
                             "give one row (frame_index, x, y) per point, in pixels")
    if array.shape[0] == 0:
        raise TrackDiffError(field, array, "has no points", "give at least one query point (frame, x, y)")
    if array.shape[0] > max_points:
        raise TrackDiffError(field, array, f"has {array.shape[0]} points, more than the tracker's limit of {max_points}",
                             f"track at most {max_points} points per call (split them, or use fewer grid points)")
    if not np.all(np.isfinite(array)):
        row = int(np.argwhere(~np.isfinite(array))[0][0])
        raise TrackDiffError(f"{field}[{row}]", array[row].tolist(), "contains NaN or infinity",
                             "give finite frame indices and pixel positions")
    frame = array[:, 0]
    bad = (frame != np.round(frame)) | (frame < 0) | (frame > num_frames - 1)
    if bad.any():
        row = int(np.argmax(bad))
        raise TrackDiffError(f"{field}[{row}]", array[row].tolist(),
                             f"has frame index {frame[row]:g}, outside the video's frames 0..{num_frames - 1}",
                             f"use a whole frame index between 0 and {num_frames - 1}")
    x, y = array[:, 1], array[:, 2]
    outside = (x < -0.5) | (x > width - 0.5) | (y < -0.5) | (y > height - 0.5)
    if outside.any():
        row = int(np.argmax(outside))
        raise TrackDiffError(f"{field}[{row}]", array[row].tolist(),
                             f"lies outside the {width}×{height} frame",
                             "give x in [0, width - 1] and y in [0, height - 1] pixels (pixel centres at integers)")
    return array

"""TrackGo's point-trajectory generation: masks + arrows (or boxes) -> :class:`PointTrajectories`.

TrackGo (arXiv 2408.11475) turns each user mask into ``K·s`` points sampled inside it and moves them all by the user's
arrow, subdivided over the frame count into per-frame displacements. Choices made here, where the paper is silent:

* **Sampling** is farthest-point sampling over the mask's pixels from a seeded start (on a seeded subset of at most
  ``MAX_CANDIDATES`` pixels for large masks), so points spread over the whole region instead of clumping, and the same
  seed gives the same points. Each object draws from its own stream ``(seed, object index)``, so adding an object does
  not reshuffle the others. A mask with fewer pixels than requested points repeats its pixels.
* **Subdivision** follows the path by arc length in pixels of the frame: at progress ``w = ease(u)`` the object has
  travelled ``w`` of the path's length, so the last frame lands exactly on the arrow tip and a polyline is followed at
  even pixel speed (on a non-square frame, normalised lengths would not be even in pixels).
  A single-point or zero-length path is a static anchor (zero displacement).
* Points that leave the frame are kept on their path but marked hidden there.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import TrackDiffError, join_field
from .masks import as_masks, require_nonempty
from .timing import check_timing, ease, frame_positions
from .tracklets import Tracklets
from .trajectories import PointTrajectories
from .validate import float_array, integer

MAX_CANDIDATES = 4096
MAX_POINTS_PER_OBJECT = 4096


def sample_points_in_mask(mask, count: int, seed: int = 0, stream: int = 0, field: str = "mask") -> np.ndarray:
    """``float32[count, 2]`` normalised ``x, y`` of pixel centres inside ``mask`` (``bool[H, W]``), spread out."""
    count = integer(count, "points_per_object", 1, MAX_POINTS_PER_OBJECT)
    mask = np.asarray(mask, dtype=bool)
    flat = np.flatnonzero(mask)  # row-major pixel indices (one int64 per set pixel, not two)
    if flat.size == 0:
        raise TrackDiffError(field, "empty mask", "has no pixel set", "paint the object's region, or remove the object")
    height, width = mask.shape
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(stream)])
    if flat.size > MAX_CANDIDATES:
        flat = flat[np.sort(rng.choice(flat.size, MAX_CANDIDATES, replace=False))]
    ys, xs = np.divmod(flat, width)
    candidates = np.stack([(xs + 0.5) / width, (ys + 0.5) / height], axis=-1)
    if count >= len(candidates):
        order = np.resize(rng.permutation(len(candidates)), count)
        return candidates[order].astype(np.float32)
    # Distances in pixels, so a wide mask is sampled evenly along both axes.
    scaled = candidates * np.array([width, height], dtype=np.float64)
    chosen = [int(rng.integers(len(candidates)))]
    nearest = np.sum((scaled - scaled[chosen[0]]) ** 2, axis=-1)
    for _ in range(count - 1):
        index = int(np.argmax(nearest))
        chosen.append(index)
        nearest = np.minimum(nearest, np.sum((scaled - scaled[index]) ** 2, axis=-1))
    return candidates[chosen].astype(np.float32)


def path_progress(
    num_frames: int, timing: str = "linear", timeline_frames: int | None = None, start_frame: int = 0,
    end_frame: int | None = None,
) -> np.ndarray:
    """Fraction of the path travelled at each of ``num_frames`` output frames (``float64[num_frames]``, 0 to 1).

    The move runs from ``start_frame`` to ``end_frame`` of a timeline of ``timeline_frames`` frames (default: the output
    frames themselves) and holds before and after.
    """
    timing = check_timing(timing, "timing")
    timeline = int(num_frames) if timeline_frames is None else int(timeline_frames)
    end = timeline - 1 if end_frame is None else int(end_frame)
    positions = frame_positions(timeline, int(num_frames))
    if end > start_frame:
        return ease((positions - start_frame) / (end - start_frame), timing)
    return (positions >= start_frame).astype(np.float64)


def point_on_path(path: np.ndarray, progress: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """Positions at fractions ``progress`` of the arc length of polyline ``path`` (``[M, 2]``, normalised).

    Lengths are measured in pixels of ``size = (width, height)`` when given (a normalised unit is ``width`` px across
    and ``height`` px down, so on a non-square frame only pixel lengths give even speed), else in normalised units."""
    path = np.asarray(path, dtype=np.float64)
    progress = np.asarray(progress, dtype=np.float64)
    if len(path) == 1:
        return np.repeat(path, len(progress), axis=0)
    scale = np.ones(2) if size is None else np.array([float(size[0]), float(size[1])])
    lengths = np.linalg.norm(np.diff(path, axis=0) * scale, axis=-1)
    total = lengths.sum()
    if total == 0.0:
        return np.repeat(path[:1], len(progress), axis=0)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    distance = np.clip(progress, 0.0, 1.0) * total
    seg = np.clip(np.searchsorted(cumulative, distance, side="right") - 1, 0, len(lengths) - 1)
    # Skip zero-length segments by interpolating only where the segment has length.
    frac = np.where(lengths[seg] > 0, (distance - cumulative[seg]) / np.where(lengths[seg] > 0, lengths[seg], 1.0), 1.0)
    out = path[seg] + frac[:, None] * (path[seg + 1] - path[seg])
    out[progress >= 1.0] = path[-1]  # land exactly on the tip
    return out


def path_displacements(
    path, num_frames: int, timing: str = "linear", timeline_frames: int | None = None, start_frame: int = 0,
    end_frame: int | None = None, field: str = "path", size: tuple[int, int] | None = None,
) -> np.ndarray:
    """``float32[num_frames, 2]``: how far the start of ``path`` has moved at each frame (0 at the start); arc length
    in pixels of ``size = (width, height)`` when given (see :func:`point_on_path`)."""
    path = float_array(path, field, 2, 2, fix="give the path as [[x, y], ...] normalised points")
    if len(path) == 0:
        raise TrackDiffError(field, [], "has no points", "draw an arrow, or one point for a static anchor")
    outside = (path < 0.0) | (path > 1.0)
    if outside.any():
        index = int(np.argwhere(outside)[0][0])
        raise TrackDiffError(
            f"{field}[{index}]", path[index].tolist(), "lies outside the frame [0, 1]",
            "keep arrows inside the image (0 is the left/top edge, 1 the right/bottom edge)",
        )
    progress = path_progress(num_frames, timing, timeline_frames, start_frame, end_frame)
    return (point_on_path(path, progress, size) - path[0].astype(np.float64)).astype(np.float32)


def masks_and_paths_to_trajectories(
    masks,
    paths: Sequence,
    num_frames: int,
    points_per_object: int,
    seed: int = 0,
    timings: Sequence[str] | str = "linear",
    windows: Sequence[tuple[int, int | None]] | None = None,
    timeline_frames: int | None = None,
) -> PointTrajectories:
    """Sample ``points_per_object`` points in each mask and move them along that object's path (at even pixel speed
    on the masks' ``W`` × ``H`` frame, the generation size in the nodes).

    Args:
        masks: ``[N, H, W]`` masks (points are normalised to it; its size is the frame's pixel size), one per object.
        paths: ``N`` polylines ``[[x, y], ...]`` normalised; one point = static anchor.
        num_frames: output frame count ``T``.
        points_per_object: ``K·s`` in TrackGo's notation.
        timings: one curve for all objects or one per object.
        windows: per object ``(start_frame, end_frame)`` on the timeline (default: the whole timeline).
        timeline_frames: the timeline the windows refer to (default ``num_frames``).
    """
    masks = require_nonempty(as_masks(masks, "masks"), "masks")
    integer(num_frames, "num_frames", 1)
    if len(paths) != len(masks):
        more = "arrows than masks" if len(paths) > len(masks) else "masks than arrows"
        raise TrackDiffError(
            "arrows", f"{len(paths)} arrows for {len(masks)} masks", f"there are more {more}",
            "give exactly one arrow (or one anchor point) per mask",
        )
    count = len(masks)
    timings = [timings] * count if isinstance(timings, str) else list(timings)
    windows = list(windows) if windows is not None else [(0, None)] * count
    points, groups = [], []
    for index in range(count):
        start = sample_points_in_mask(masks[index], points_per_object, seed, index, join_field("masks", index))
        move = path_displacements(
            paths[index], num_frames, timings[index], timeline_frames, windows[index][0], windows[index][1],
            join_field("arrows", index), size=(masks.shape[2], masks.shape[1]),
        )
        points.append(start[None, :, :] + move[:, None, :])
        groups.append(np.full(len(start), index, dtype=np.int64))
    if not points:
        return PointTrajectories(np.zeros((num_frames, 0, 2), np.float32), groups=np.zeros(0, np.int64))
    stacked = np.concatenate(points, axis=1)
    visible = ((stacked >= 0.0) & (stacked <= 1.0)).all(axis=-1)
    return PointTrajectories(stacked, visible, np.concatenate(groups))


def box_point_offsets(count: int) -> np.ndarray:
    """``float32[count, 2]`` relative ``(u, v)`` positions inside a box: the centres of a near-square grid's cells."""
    count = integer(count, "points_per_box", 1, MAX_POINTS_PER_OBJECT)
    cols = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / cols))
    u, v = np.meshgrid((np.arange(cols) + 0.5) / cols, (np.arange(rows) + 0.5) / rows)
    return np.stack([u.ravel(), v.ravel()], axis=-1)[:count].astype(np.float32)


def tracklets_to_trajectories(tracklets: Tracklets, points_per_box: int = 1) -> PointTrajectories:
    """Points that move and scale with their box: point ``(u, v)`` sits at ``(x1 + u·(x2-x1), y1 + v·(y2-y1))``."""
    offsets = box_point_offsets(points_per_box)
    b = tracklets.boxes[:, :, None, :]  # [T, N, 1, 4]
    x = b[..., 0] + offsets[None, None, :, 0] * (b[..., 2] - b[..., 0])
    y = b[..., 1] + offsets[None, None, :, 1] * (b[..., 3] - b[..., 1])
    frames, count = tracklets.num_frames, tracklets.num_objects
    points = np.stack([x, y], axis=-1).reshape(frames, count * len(offsets), 2)
    visible = np.repeat(tracklets.visible, len(offsets), axis=1)
    groups = np.repeat(np.arange(count, dtype=np.int64), len(offsets))
    return PointTrajectories(points, visible, groups)

"""``PointTrajectories``: points per frame with visibility and the group each point came from (TrackGo's input).

Coordinates are normalised (``x, y`` in ``[0, 1]``, origin top-left). At the ComfyUI edge they travel as the core
``TRACKS`` type (pixels at the generation size, see :mod:`trackdiff_core.formats.tracks_dict`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import TrackDiffError
from .timing import frame_positions, nearest_frame
from .validate import bool_array, float_array, frame_size, to_numpy


def resample_frames(values: np.ndarray, num_frames: int, visible: np.ndarray | None = None):
    """The pack's one resample rule, for anything shaped ``[T, ...]``: ``(values, visible)`` over ``num_frames``.

    First frame to first, last to last (:func:`~trackdiff_core.timing.frame_positions`); values are interpolated
    linearly between the two nearest source frames, visibility (when given) is taken from the nearest source frame.
    Tracklets, point trajectories and TRACKS-driven object paths all resample with it."""
    values = np.asarray(values)
    count = int(values.shape[0])
    pos = frame_positions(count, int(num_frames))
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, count - 1)
    frac = (pos - lo).reshape((-1,) + (1,) * (values.ndim - 1))
    out = values[lo] * (1.0 - frac) + values[hi] * frac
    if visible is None:
        return out, None
    return out, np.asarray(visible)[np.minimum(nearest_frame(pos), count - 1)]


def group_displacements(points: np.ndarray, visible: np.ndarray, groups: np.ndarray, count: int | None = None) -> np.ndarray:
    """``float32[T, G, 2]``: each group's displacement since frame 0, the pack's one per-group displacement.

    Frame by frame, a group moves by the mean step of its points that are visible on **both** frames of the step; a
    step that none of its points spans holds it still. So a point that becomes hidden (or appears) never moves the
    group: four static points of which two hide from frame 3 on stay static, where a mean of the visible positions
    would jump. For points visible throughout it equals the mean of ``p_t − p_0``."""
    points = np.asarray(points, dtype=np.float64)
    visible = np.asarray(visible, dtype=bool)
    groups = np.asarray(groups, dtype=np.int64)
    frames = points.shape[0]
    count = int(groups.max()) + 1 if count is None and groups.size else int(count or 0)
    out = np.zeros((frames, count, 2), dtype=np.float64)
    if frames < 2:
        return out.astype(np.float32)
    steps = points[1:] - points[:-1]
    spans = visible[1:] & visible[:-1]
    for g in range(count):
        chosen = groups == g
        if not chosen.any():
            continue
        weight = spans[:, chosen].astype(np.float64)
        total = (steps[:, chosen] * weight[..., None]).sum(axis=1)
        n = weight.sum(axis=1)[:, None]
        out[1:, g] = np.cumsum(np.where(n > 0, total / np.maximum(n, 1.0), 0.0), axis=0)
    return out.astype(np.float32)


class PointTrajectories:
    """Point tracks, validated once here.

    Attributes:
        points: ``float32[T, P, 2]`` normalised ``x, y``. A visible point lies inside the frame ``[0, 1]``; a hidden one
            may lie anywhere (it keeps its path, e.g. while it is off-screen).
        visible: ``bool[T, P]``.
        groups: ``int64[P]``, the object (mask, box or arrow) each point belongs to, numbered from 0.
    """

    __slots__ = ("points", "visible", "groups")

    def __init__(self, points, visible=None, groups: Sequence[int] | None = None):
        points = float_array(points, "points", 3, 2, fix="give points as [frames, points, 2] normalised x, y")
        frames, count = points.shape[:2]
        if frames < 1:
            raise TrackDiffError("points", points, "has no frames", "give at least one frame")
        if visible is None:
            visible = np.ones((frames, count), dtype=bool)
        visible = bool_array(visible, "visible", (frames, count), fix="give one True/False per frame and point")
        outside = ((points < 0.0) | (points > 1.0)).any(axis=-1) & visible
        if outside.any():
            t, p = np.argwhere(outside)[0].tolist()
            raise TrackDiffError(
                f"points[{t}][{p}]",
                points[t, p].tolist(),
                "is marked visible but lies outside the frame [0, 1]",
                "keep visible points inside the image, or mark them hidden at that frame",
            )
        if groups is None:
            groups = np.zeros(count, dtype=np.int64)
        groups = to_numpy(groups)
        if groups.shape != (count,) or (count and (not np.issubdtype(groups.dtype, np.integer) or groups.min() < 0)):
            raise TrackDiffError("groups", groups, f"must be {count} non-negative integers", "give each point its object index")
        groups = groups.astype(np.int64)
        for name, value in (("points", points), ("visible", visible), ("groups", groups)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("PointTrajectories are immutable; build a new one")

    @property
    def num_frames(self) -> int:
        return int(self.points.shape[0])

    @property
    def num_points(self) -> int:
        return int(self.points.shape[1])

    @property
    def num_groups(self) -> int:
        return int(self.groups.max()) + 1 if self.num_points else 0

    def __repr__(self) -> str:
        return f"PointTrajectories(frames={self.num_frames}, points={self.num_points}, groups={self.num_groups})"

    def resample(self, num_frames: int) -> "PointTrajectories":
        """The same motion over ``num_frames`` frames (linear in position, nearest in visibility)."""
        points, visible = resample_frames(self.points, num_frames, self.visible)
        # Interpolating between two in-frame positions stays in-frame, so visibility stays valid.
        return PointTrajectories(points, visible, self.groups)

    def to_pixels(self, width: int, height: int) -> np.ndarray:
        """``float32[T, P, 2]`` pixel ``x, y`` at ``width`` × ``height``."""
        w, h = frame_size(width, height)
        return (self.points * np.array([w, h], dtype=np.float32)).astype(np.float32)

    @classmethod
    def from_pixels(cls, points, width: int, height: int, visible=None, groups=None) -> "PointTrajectories":
        w, h = frame_size(width, height)
        px = float_array(points, "points", 3, 2, fix="give points as [frames, points, 2] pixel x, y")
        return cls(px / np.array([w, h], dtype=np.float32), visible, groups)

    @classmethod
    def concatenate(cls, parts: Sequence["PointTrajectories"]) -> "PointTrajectories":
        """Join trajectories with the same frame count; the groups of each part are renumbered after the previous ones."""
        if not parts:
            raise TrackDiffError("trajectories", parts, "is empty", "give at least one set of trajectories")
        frames = {p.num_frames for p in parts}
        if len(frames) != 1:
            raise TrackDiffError(
                "trajectories", sorted(frames), "have different frame counts", "resample them to one frame count first"
            )
        offset, groups = 0, []
        for part in parts:
            groups.append(part.groups + offset)
            offset += part.num_groups
        return cls(
            np.concatenate([p.points for p in parts], axis=1),
            np.concatenate([p.visible for p in parts], axis=1),
            np.concatenate(groups),
        )

    def allclose(self, other: "PointTrajectories", atol: float = 1e-6) -> bool:
        return (
            self.points.shape == other.points.shape
            and np.allclose(self.points, other.points, atol=atol, rtol=0)
            and np.array_equal(self.visible, other.visible)
            and np.array_equal(self.groups, other.groups)
        )

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
        pos = frame_positions(self.num_frames, int(num_frames))
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, self.num_frames - 1)
        frac = (pos - lo)[:, None, None]
        points = self.points[lo] * (1.0 - frac) + self.points[hi] * frac
        visible = self.visible[np.minimum(nearest_frame(pos), self.num_frames - 1)]
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

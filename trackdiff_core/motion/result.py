"""``TrackResult``: what :func:`~trackdiff_core.motion.track_points` returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..trajectories import PointTrajectories


@dataclass(frozen=True)
class TrackResult:
    """Tracked points in pixels of the input frames.

    Attributes:
        points: ``float32[T, N, 2]`` pixel ``x, y`` (sub-pixel). Before a point's query frame it is tracked backward.
            Where the point is hidden the position is the tracker's best guess (held or predicted by the camera).
        visible: ``bool[T, N]``: False where the point is occluded, out of the frame, or failed the checks.
    """

    points: np.ndarray
    visible: np.ndarray

    def to_trajectories(self, width: int, height: int, groups=None) -> PointTrajectories:
        """The pack's :class:`PointTrajectories` (normalised), for frames ``width`` × ``height`` pixels.

        Positions are divided by the frame size (pixel centres at integers, so ``x / width``, like the rest of the
        pack). A visible position that falls outside ``[0, 1]`` after that (a point on the border) is clipped."""
        scale = np.array([width, height], dtype=np.float64)
        normalised = self.points.astype(np.float64) / scale
        inside = np.clip(normalised, 0.0, 1.0)
        normalised = np.where(self.visible[..., None], inside, normalised)
        return PointTrajectories(normalised.astype(np.float32), self.visible, groups)

"""Tracks From Video's preview: the tracked points (and boxes) drawn over the video at the output frame count.

Bounded like every preview of the pack (:mod:`trackdiff_core.preview`): frames at most 512 px on their longer side and
8 M px over all frames, and at most 16 K drawn point positions (an evenly spread subset of the points)."""

from __future__ import annotations

import cv2
import numpy as np

from ..preview import point_subset, preview_size
from ..render import draw_tracklets, draw_trajectories
from ..timing import frame_positions, nearest_frame
from ..tracklets import Tracklets
from ..trajectories import PointTrajectories


def video_preview(video: np.ndarray, trajectories: PointTrajectories, tracklets: Tracklets,
                  colors: list[str] | None = None) -> np.ndarray:
    """``float32[F, h, w, 3]`` in ``[0, 1]``: ``video`` (``uint8[T, H, W, 3]``) at the tracks' frame count with the
    points, their tails and the boxes drawn over it."""
    frames = trajectories.num_frames
    index = np.minimum(nearest_frame(frame_positions(video.shape[0], frames)), video.shape[0] - 1)
    width, height = preview_size(video.shape[2], video.shape[1], frames)
    base = np.stack([cv2.resize(video[i], (width, height), interpolation=cv2.INTER_AREA) for i in index])
    subset = point_subset(trajectories.num_points, frames)
    if subset is not None:
        trajectories = PointTrajectories(trajectories.points[:, subset], trajectories.visible[:, subset],
                                         trajectories.groups[subset])
    drawn = draw_trajectories(base, trajectories, colors=colors)
    if tracklets.num_objects:
        drawn = draw_tracklets(drawn, tracklets, show_labels=False)
    return drawn.astype(np.float32) / 255.0

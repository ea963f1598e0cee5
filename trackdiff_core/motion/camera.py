"""``estimate_camera``: a homography per frame (how the scene moves on screen), by RANSAC on background points."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import TrackDiffError
from ..validate import to_numpy
from .config import TrackerConfig
from .frames import grey_frame
from .inputs import check_frames
from .lucas_kanade import lk_step
from .opencv_state import deterministic_opencv


@dataclass(frozen=True)
class CameraEstimate:
    """Global motion of a video.

    Attributes:
        homographies: ``float64[T, 3, 3]``: ``H[t]`` maps a pixel of frame 0 to where that scene point is in frame
            ``t`` (``H[0]`` is the identity), composed frame to frame.
        inliers: ``float64[T]``: the share of background grid points that agreed with the step into frame ``t``
            (1 at frame 0); a low value means the estimate at that frame is not to be trusted.
    """

    homographies: np.ndarray
    inliers: np.ndarray


def apply_matrix(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``float32[N, 2]``: pixel ``points`` moved by the 3×3 homography ``matrix``."""
    homogeneous = np.concatenate([points.astype(np.float64), np.ones((len(points), 1))], axis=1) @ matrix.T
    return (homogeneous[:, :2] / homogeneous[:, 2:3]).astype(np.float32)


def grid_points(width: int, height: int, per_side: int, margin: float = 0.04) -> np.ndarray:
    """``float32[per_side**2, 2]`` pixel points on a regular grid inside the frame (a small margin from the border)."""
    xs = np.linspace(margin * (width - 1), (1 - margin) * (width - 1), per_side)
    ys = np.linspace(margin * (height - 1), (1 - margin) * (height - 1), per_side)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def check_mask(mask, count: int, height: int, width: int, field: str = "mask") -> np.ndarray | None:
    """``None`` or ``bool[T, H, W]`` of foreground (True = excluded from the background)."""
    if mask is None:
        return None
    array = to_numpy(mask)
    if array.shape == (height, width):
        array = np.broadcast_to(array, (count, height, width))
    if array.shape != (count, height, width):
        raise TrackDiffError(field, array, f"must have shape [{height}, {width}] or [{count}, {height}, {width}]",
                             "give a foreground mask the size of the frames (one, or one per frame)")
    return array.astype(bool)


def step_homography(previous: np.ndarray, current: np.ndarray, points: np.ndarray, config: TrackerConfig,
                    guess: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The homography from grey ``previous`` to ``current`` fitted on ``points`` of ``previous``, and its inlier share.

    Points are tracked by Lucas–Kanade with the forward–backward check; RANSAC fits the homography on those that
    pass. With fewer than 8 good points the identity is returned with confidence 0."""
    if len(points) < 8:
        return np.eye(3), 0.0
    prior = None if guess is None else cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64),
                                                                guess).reshape(-1, 2)
    moved, ok = lk_step(previous, current, points, config, prior)
    if ok.sum() < 8:
        return np.eye(3), 0.0
    matrix, inlier = cv2.findHomography(points[ok].astype(np.float64), moved[ok].astype(np.float64), cv2.RANSAC,
                                        config.ransac_threshold, maxIters=2000, confidence=0.999)
    if matrix is None or not np.all(np.isfinite(matrix)):
        return np.eye(3), 0.0
    return matrix / matrix[2, 2], float(inlier.sum()) / len(points)


def refine_from_first(first: np.ndarray, current: np.ndarray, points: np.ndarray, composed: np.ndarray,
                      config: TrackerConfig) -> np.ndarray:
    """``composed`` (frame 0 → t, a product of steps, which drifts) re-fitted directly between frame 0 and frame t.

    The frame-0 points are sought in frame ``t`` by Lucas–Kanade starting where ``composed`` puts them; RANSAC fits
    the homography. It replaces ``composed`` when at least half of the points still in view agree with it and it
    moves no corner more than 3 px (small corrections only: where frames 0 and t barely overlap, ``composed``
    stays)."""
    height, width = current.shape
    guess = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), composed).reshape(-1, 2)
    inside = (guess[:, 0] > 8) & (guess[:, 0] < width - 9) & (guess[:, 1] > 8) & (guess[:, 1] < height - 9)
    if inside.sum() < 16:
        return composed
    moved, ok = lk_step(first, current, points[inside], config, guess[inside], levels=1)
    if ok.sum() < 16:
        return composed
    matrix, inlier = cv2.findHomography(points[inside][ok].astype(np.float64), moved[ok].astype(np.float64),
                                        cv2.RANSAC, config.ransac_threshold, maxIters=2000, confidence=0.999)
    if matrix is None or not np.all(np.isfinite(matrix)) or inlier.sum() < 0.5 * inside.sum():
        return composed
    matrix = matrix / matrix[2, 2]
    corners = np.array([[[0, 0]], [[width - 1, 0]], [[0, height - 1]], [[width - 1, height - 1]]], np.float64)
    shift = np.abs(cv2.perspectiveTransform(corners, matrix) - cv2.perspectiveTransform(corners, composed)).max()
    return matrix if shift < 3.0 else composed


def estimate_camera(frames, config: TrackerConfig | None = None, mask=None) -> CameraEstimate:
    """Estimate how the scene moves on screen, frame 0 → frame t, as homographies.

    A grid of ``config.camera_grid``² points on each frame (minus the points on ``mask``, the foreground to exclude,
    ``bool[H, W]`` or ``bool[T, H, W]``) is tracked into the next frame; RANSAC (fixed seed) fits the step homography;
    steps are composed, and each composed homography is re-fitted directly between frame 0 and frame t (which removes
    the drift of composing) while the two frames overlap enough. Deterministic. Raises :class:`TrackDiffError` naming ``frames`` or ``mask``."""
    config = config or TrackerConfig()
    frames = check_frames(frames, config)
    count, height, width = frames.shape[:3]
    mask = check_mask(mask, count, height, width)
    grid = grid_points(width, height, config.camera_grid)
    homographies = np.zeros((count, 3, 3), dtype=np.float64)
    homographies[0] = np.eye(3)
    inliers = np.ones(count, dtype=np.float64)

    def background(t: int) -> np.ndarray:
        if mask is None:
            return grid
        ix = np.clip(np.round(grid[:, 0]).astype(int), 0, width - 1)
        iy = np.clip(np.round(grid[:, 1]).astype(int), 0, height - 1)
        return grid[~mask[t, iy, ix]]

    with deterministic_opencv(config.threads, config.seed):
        first = previous = grey_frame(frames[0])
        for t in range(1, count):
            current = grey_frame(frames[t])
            step, share = step_homography(previous, current, background(t - 1), config)
            composed = step @ homographies[t - 1]
            homographies[t] = refine_from_first(first, current, background(0), composed / composed[2, 2], config)
            inliers[t] = share
            previous = current
    return CameraEstimate(homographies, inliers)

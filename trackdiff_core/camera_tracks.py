"""Point tracks under the camera layer: object points composed with the camera, and background points moved by the
camera alone.

An editor draws objects in scene coordinates; :func:`compose_with_camera` moves each point by the camera's per-frame
matrix (normalised, screen from scene, :mod:`trackdiff_core.camera`), so a target gets ``camera ∘ object motion``. A
point is visible where it lies in the frame on screen.

**Background points** say how the rest of the scene moves: a grid of ``grid`` cells along the frame's shorter side
(default :data:`DEFAULT_BACKGROUND_GRID` = 8, a step of 1/8 of the shorter side: 60 px at 832 × 480, 72 px at
1024 × 576; the longer side gets ``floor(longer / step + 0.5)`` cells, so they stay near square), one point at each
cell's centre, in scene coordinates (a point's pixel is ``floor(x · W)``, ``floor(y · H)``), kept where it lies outside every object (outside every mask, or every box at frame 0). They move by the
camera alone and are hidden where the camera has moved them out of the frame. With a camera that does not move they
stay put: the background holds still, which is what a still camera says.
"""

from __future__ import annotations

import numpy as np

from .camera import apply_to_points
from .errors import TrackDiffError
from .trajectories import PointTrajectories
from .validate import frame_size, integer

DEFAULT_BACKGROUND_GRID = 8
MAX_BACKGROUND_GRID = 64
BACKGROUND_LABEL = "background"
BACKGROUND_COLOR = "#808080"


def check_background_grid(value, field: str = "background_grid") -> int:
    return integer(value, field, 0, MAX_BACKGROUND_GRID,
                   fix=f"use 0 (no background points) to {MAX_BACKGROUND_GRID} cells along the shorter side "
                   f"(default {DEFAULT_BACKGROUND_GRID})")


def background_grid_points(width: int, height: int, grid: int = DEFAULT_BACKGROUND_GRID) -> np.ndarray:
    """``float64[P, 2]`` normalised cell centres of the background grid at ``width`` × ``height`` (none for 0)."""
    w, h = frame_size(width, height)
    grid = check_background_grid(grid)
    if grid == 0:
        return np.zeros((0, 2), np.float64)
    step = min(w, h) / grid
    # floor(x + 0.5), not Python's round (halves to even): the widget rounds halves up, as the pack does everywhere
    cols, rows = max(1, int(np.floor(w / step + 0.5))), max(1, int(np.floor(h / step + 0.5)))
    xs, ys = np.meshgrid((np.arange(cols) + 0.5) / cols, (np.arange(rows) + 0.5) / rows)
    return np.stack([xs.ravel(), ys.ravel()], axis=-1)


def outside_masks(points: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``bool[P]``: the normalised ``points`` whose pixel lies outside every mask of ``bool[N, H, W]``."""
    masks = np.asarray(masks, dtype=bool)
    if masks.size == 0 or len(points) == 0:
        return np.ones(len(points), dtype=bool)
    height, width = masks.shape[1:]
    cols = np.clip((points[:, 0] * width).astype(np.int64), 0, width - 1)
    rows = np.clip((points[:, 1] * height).astype(np.int64), 0, height - 1)
    return ~masks.any(axis=0)[rows, cols]


def outside_boxes(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """``bool[P]``: the normalised ``points`` outside every box of ``[N, 4]`` (``x1, y1, x2, y2``)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0 or len(points) == 0:
        return np.ones(len(points), dtype=bool)
    x, y = points[:, None, 0], points[:, None, 1]
    inside = (x >= boxes[None, :, 0]) & (x <= boxes[None, :, 2]) & (y >= boxes[None, :, 1]) & (y <= boxes[None, :, 3])
    return ~inside.any(axis=1)


def on_screen(points: np.ndarray) -> np.ndarray:
    return ((points >= 0.0) & (points <= 1.0)).all(axis=-1)


def compose_with_camera(points, matrices, moves=None) -> tuple[np.ndarray, np.ndarray]:
    """Scene ``points`` ``[F, P, 2]`` (normalised) moved by the camera's normalised ``matrices`` ``[F, 3, 3]``.

    ``moves`` (``bool[P]``, default all) picks the points the camera moves; the others (screen anchors) keep their
    coordinates. Returns ``(float32[F, P, 2] screen points, bool[F, P] inside the frame)``."""
    points = np.asarray(points, dtype=np.float64)
    matrices = np.asarray(matrices, dtype=np.float64)
    if matrices.shape != (points.shape[0], 3, 3):
        raise TrackDiffError("camera", matrices, f"must hold one 3×3 matrix per frame ({points.shape[0]})",
                             "evaluate the camera at the tracks' frames")
    screen = apply_to_points(matrices, points)
    if moves is not None:
        moves = np.asarray(moves, dtype=bool)
        screen[:, ~moves] = points[:, ~moves]
    return screen.astype(np.float32), on_screen(screen)


def background_trajectories(matrices, width: int, height: int, grid: int = DEFAULT_BACKGROUND_GRID,
                            masks=None) -> PointTrajectories:
    """The background group (group 0): grid points outside every mask (``bool[N, H, W]``, scene coordinates), moved
    by the camera's normalised ``matrices`` ``[F, 3, 3]`` alone; hidden where they are off screen."""
    points = background_grid_points(width, height, grid)
    if masks is not None:
        points = points[outside_masks(points, masks)]
    frames = int(np.asarray(matrices).shape[0])
    screen, visible = compose_with_camera(np.broadcast_to(points[None], (frames,) + points.shape), matrices)
    return PointTrajectories(screen, visible, np.zeros(len(points), np.int64))

"""Reference clips with exact motion, for Tracks From Video and Motion Fidelity tests: a textured square moving over a
textured background, optionally under a camera pan. Textures are seeded noise at several scales (no image files)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def texture(width: int, height: int, seed: int) -> np.ndarray:
    """``uint8[height, width, 3]`` with detail at several scales (corners for the tracker everywhere)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((height, width, 3), dtype=np.float32)
    for cell, weight in ((16, 0.5), (6, 0.3), (2, 0.2)):
        small = rng.random((height // cell + 2, width // cell + 2, 3)).astype(np.float32)
        out += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)[:height, :width]
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class MovingSquare:
    frames: np.ndarray  # uint8[T, H, W, 3]
    boxes: np.ndarray  # float64[T, 4] pixel x1, y1, x2, y2 of the square on each frame
    mask: np.ndarray  # bool[H, W] the square on the first frame


def moving_square(frames: int = 12, width: int = 160, height: int = 96, size: int = 32, start=(24, 30),
                  step=(5.0, 2.0), camera_step: float = 0.0, seed: int = 0) -> MovingSquare:
    """A square of its own texture moving ``step`` px per frame (integer positions, so the truth is exact); the
    background slides ``camera_step`` px left per frame (a camera pan right), the square moves on top of that."""
    margin = int(abs(camera_step) * frames) + 2
    background = texture(width + margin, height, seed)
    patch = texture(size, size, seed + 1)
    out, boxes = [], []
    for t in range(frames):
        offset = int(round(camera_step * t))
        frame = background[:, offset:offset + width].copy()
        x, y = int(round(start[0] + step[0] * t)), int(round(start[1] + step[1] * t))
        frame[y:y + size, x:x + size] = patch
        out.append(frame)
        boxes.append((x, y, x + size, y + size))
    mask = np.zeros((height, width), dtype=bool)
    mask[start[1]:start[1] + size, start[0]:start[0] + size] = True
    return MovingSquare(np.stack(out), np.asarray(boxes, dtype=np.float64), mask)

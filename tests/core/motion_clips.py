"""Small generated clips for the motion tests (scikit-image photographs; skipped where scikit-image is missing)."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import pytest


@lru_cache(maxsize=1)
def photos() -> dict:
    pytest.importorskip("skimage")
    from trackdiff_core.motion.synthetic_clips import skimage_photos

    return skimage_photos()


@lru_cache(maxsize=4)
def small_clip(seed: int = 7):
    """A 12-frame 320×180 clip with a moving camera, two objects (one leaves and comes back), lighting and blur."""
    from trackdiff_core.motion.synthetic_clips import make_clip

    p = photos()
    return make_clip(p["coffee"], [p["coins"], p["brick"]], seed, width=320, height=180, frames=12,
                     background_points=48, object_points=16)


def shifted_video(photo: np.ndarray, steps, size=(256, 160)) -> tuple[np.ndarray, np.ndarray]:
    """Frames of ``photo`` moved by each 3×3 matrix in ``steps`` (frame-0 pixel → frame-t pixel); returns (frames,
    the matrices)."""
    width, height = size
    base = np.array([[1, 0, -40], [0, 1, -40], [0, 0, 1]], np.float64)  # a view inside the photo
    frames = [cv2.warpPerspective(photo, m @ base, (width, height), flags=cv2.INTER_LINEAR) for m in steps]
    return np.stack(frames), np.array(steps)


def toy_vae_blocks(frames: np.ndarray) -> np.ndarray:
    """``frames`` as the toy VAE decodes them: each 8×8 block its mean colour."""
    count, height, width, channels = frames.shape
    means = frames.reshape(count, height // 8, 8, width // 8, 8, channels).astype(np.float32).mean(axis=(2, 4))
    return np.repeat(np.repeat(means, 8, axis=1), 8, axis=2).round().astype(np.uint8)


def evaluate_toy_clips(count: int = 16) -> list:
    """The held-out toy clips `python -m experiments.toy_world evaluate` scores (8 frames, 96×96, seed 1)."""
    from trackdiff_core.training.loop import EVAL_OFFSET
    from trackdiff_core.training.toy_world import ToyWorldClips

    world = ToyWorldClips(8, 96, 96, seed=1, max_objects=4)
    return [world.clip(EVAL_OFFSET + 1000 + index) for index in range(count)]

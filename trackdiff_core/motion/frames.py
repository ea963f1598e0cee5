"""Grey frames for tracking, converted one at a time (a long video is never copied whole as floats)."""

from __future__ import annotations

import cv2
import numpy as np


def grey_frame(frame: np.ndarray) -> np.ndarray:
    """``uint8[H, W]`` luminance of one RGB frame, with its global gain and bias removed.

    Each frame is shifted and scaled to mean 128 and standard deviation 48, so a global lighting change over the video
    (brightness gain, bias) does not move Lucas–Kanade or template matching."""
    grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean, std = float(grey.mean()), float(grey.std())
    normalised = (grey - mean) * (48.0 / max(std, 1.0)) + 128.0
    return np.clip(normalised, 0.0, 255.0).astype(np.uint8)

"""Bounds for the editors' preview images, so a preview costs the same small amount at any allowed input.

A node's preview is one frame per output frame, drawn over the first frame of the image (or a gray frame with the
generation's aspect). Left alone it would grow with everything a user may set: a 1 × 16384 frame scaled to 512 px wide
is 8.4 M px per frame; 4096 frames of a 1024 × 576 image are 29 GB as float32; drawing 4096 points with tails on 4096
frames takes minutes. So a preview:

* is at most ``MAX_SIDE`` px on its longer side and holds at most ``MAX_PIXELS`` pixels over all its frames (smaller
  frames for long videos, never fewer than 1 × 1 px);
* draws at most ``MAX_POINT_FRAMES`` point positions (an evenly spread subset of the points when there are more);
* draws at most ``MAX_BOX_FRAMES`` boxes (fewer preview frames, evenly spread over the timeline, when there are more).

The outputs themselves (TRACKLETS, TRACKS) are never reduced: only the picture of them is.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

MAX_SIDE = 512
MAX_PIXELS = 1 << 23  # 8 M px over all frames: 96 MB as float32 RGB
MAX_POINT_FRAMES = 1 << 14  # dots with tails drawn over all frames (about 2 s of OpenCV calls on one slow core)
MAX_BOX_FRAMES = 1 << 15  # labelled boxes drawn over all frames


def preview_size(width: int, height: int, frames: int, enlarge: bool = False) -> tuple[int, int]:
    """The ``(width, height)`` of each preview frame for a ``width`` × ``height`` picture over ``frames`` frames
    (``enlarge``: a small picture is scaled up to ``MAX_SIDE`` too, as the gray frame drawn without an image is)."""
    width, height, frames = max(1, int(width)), max(1, int(height)), max(1, int(frames))
    scale = min(MAX_SIDE / max(width, height), math.sqrt(MAX_PIXELS / (frames * width * height)))
    scale = scale if enlarge else min(1.0, scale)
    return max(1, int(round(width * scale))), max(1, int(round(height * scale)))


def preview_base(image, width: int, height: int, frames: int) -> np.ndarray:
    """``float32[1, h, w, 3]`` to draw on: the image's first frame (or gray with the aspect of ``width`` × ``height``,
    512 px on its longer side), at :func:`preview_size`."""
    if image is None:
        w, h = preview_size(width, height, frames, enlarge=True)
        return np.full((1, h, w, 3), 0.5, dtype=np.float32)
    first = np.asarray(image[:1].detach().cpu().float().numpy() if hasattr(image, "detach") else image[:1],
                       dtype=np.float32)[0, ..., :3]
    w, h = preview_size(first.shape[1], first.shape[0], frames)
    if (w, h) != (first.shape[1], first.shape[0]):
        first = cv2.resize(first, (w, h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(first.reshape(1, h, w, 3))


def point_subset(points: int, frames: int) -> np.ndarray | None:
    """Indices of the points a preview draws (``None``: all of them)."""
    keep = max(1, MAX_POINT_FRAMES // max(1, int(frames)))
    if points <= keep:
        return None
    return np.unique(np.linspace(0, points - 1, keep).round().astype(np.int64))


def box_frames(frames: int, objects: int) -> int:
    """How many preview frames a tracklet preview draws (all of them when ``frames × objects`` is in budget)."""
    return max(1, min(int(frames), MAX_BOX_FRAMES // max(1, int(objects))))

"""Appearance templates of tracked points: sub-pixel patches, normalised cross-correlation, and template search."""

from __future__ import annotations

import cv2
import numpy as np


def patches(grey: np.ndarray, points: np.ndarray, size: int) -> np.ndarray:
    """``float32[N, size, size]``: the patch of ``grey`` centred (sub-pixel) on each point (borders replicated)."""
    out = np.empty((len(points), size, size), np.float32)
    for i, (x, y) in enumerate(np.asarray(points, np.float32)):
        out[i] = cv2.getRectSubPix(grey, (size, size), (float(x), float(y)), patchType=cv2.CV_32F)
    return out


def ncc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``float[N]`` zero-mean normalised cross-correlation of two stacks of patches (``-1..1``; 0 for a flat patch)."""
    a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(axis=1, keepdims=True)
    b = b.reshape(len(b), -1) - b.reshape(len(b), -1).mean(axis=1, keepdims=True)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return np.where(norm > 1e-6, (a * b).sum(axis=1) / np.maximum(norm, 1e-6), 0.0)


def search(grey: np.ndarray, template: np.ndarray, centre: np.ndarray, radius: int) -> tuple[np.ndarray, float]:
    """Best match of ``template`` (``float32[s, s]``) in ``grey`` within ``radius`` pixels of ``centre``.

    Returns ``(position, score)``: sub-pixel position (a parabola through the correlation peak and its neighbours)
    and its normalised correlation; score ``-1`` where the window falls outside the frame."""
    size = template.shape[0]
    half = size // 2
    height, width = grey.shape
    cx, cy = int(round(float(centre[0]))), int(round(float(centre[1])))
    x0, x1 = max(cx - radius - half, 0), min(cx + radius + half + 1, width)
    y0, y1 = max(cy - radius - half, 0), min(cy + radius + half + 1, height)
    if x1 - x0 < size + 2 or y1 - y0 < size + 2:
        return np.asarray(centre, np.float32), -1.0
    window = grey[y0:y1, x0:x1].astype(np.float32)
    scores = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    return score_peak(scores, x0 + half, y0 + half)


def score_peak(scores: np.ndarray, x0: float, y0: float) -> tuple[np.ndarray, float]:
    """``(position float32[2], score)`` of the best cell of a score map whose cell ``(0, 0)`` stands at pixel
    ``(x0, y0)``, refined to sub-pixel by a parabola through each axis's neighbours (at most half a cell)."""
    _, best, _, (bx, by) = cv2.minMaxLoc(scores)
    dx = dy = 0.0
    if 0 < bx < scores.shape[1] - 1:
        left, mid, right = scores[by, bx - 1], scores[by, bx], scores[by, bx + 1]
        denominator = left - 2 * mid + right
        dx = 0.5 * (left - right) / denominator if abs(denominator) > 1e-9 else 0.0
    if 0 < by < scores.shape[0] - 1:
        up, mid, down = scores[by - 1, bx], scores[by, bx], scores[by + 1, bx]
        denominator = up - 2 * mid + down
        dy = 0.5 * (up - down) / denominator if abs(denominator) > 1e-9 else 0.0
    position = np.array([x0 + bx + np.clip(dx, -0.5, 0.5), y0 + by + np.clip(dy, -0.5, 0.5)], np.float32)
    return position, float(best)

"""A box per object per frame from its tracked points: the object's mask box on the first frame, moved and scaled
as its points move.

Points are sampled *inside* a mask, so the box around the points is smaller than the object. Instead, each frame's box
is the first frame's mask bounding box ``B0`` carried by the points visible at that frame: it moves by their median
displacement from where they started and scales by the median ratio of their distances to their median point now
and at the start (clamped to ``[1/4, 4]``; 1 with fewer than 3 points); points that moved far from the others are
left out (:func:`_similarity`). Where none of an object's points is visible the
object is hidden, and the box holds the nearest visible one (the pack's rule for hidden boxes). A box that leaves
the frame entirely is hidden too.
"""

from __future__ import annotations

import numpy as np

from ..tracklets import Tracklets, hold_hidden_boxes


def mask_boxes(masks: np.ndarray) -> np.ndarray:
    """``float64[N, 4]`` normalised ``x1, y1, x2, y2`` bounds of each ``bool[N, H, W]`` mask (pixel edges)."""
    count, height, width = masks.shape
    out = np.zeros((count, 4), dtype=np.float64)
    for n, mask in enumerate(masks):
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        out[n] = (cols[0] / width, rows[0] / height, (cols[-1] + 1) / width, (rows[-1] + 1) / height)
    return out


def _similarity(now: np.ndarray, then: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Robust ``(shift, centre, scale)`` taking points ``then`` to ``now``: points whose displacement is far from the
    median one (more than 3 × the median deviation, and more than 1 % of the frame) are outliers (a point that slid
    onto the background) and left out; the shift is the inliers' median displacement, the scale the median ratio of
    their distances to their median point now and then."""
    moves = now - then
    deviation = np.linalg.norm(moves - np.median(moves, axis=0), axis=1)
    inlier = deviation <= max(3.0 * float(np.median(deviation)), 0.01)
    now, then = now[inlier], then[inlier]
    shift = np.median(now - then, axis=0)
    centre = np.median(then, axis=0)
    if len(now) < 3:
        return shift, centre, 1.0
    before = np.linalg.norm(then - centre, axis=1)
    after = np.linalg.norm(now - np.median(now, axis=0), axis=1)
    usable = before > 1e-6
    if usable.sum() < 3:
        return shift, centre, 1.0
    return shift, centre, float(np.clip(np.median(after[usable] / before[usable]), 0.25, 4.0))


def object_tracklets(points: np.ndarray, visible: np.ndarray, starts: np.ndarray, groups: np.ndarray,
                     first_boxes: np.ndarray, objects: list[dict]) -> Tracklets:
    """Tracklets from ``points float[T, P, 2]`` (normalised), ``visible bool[T, P]``, the points' first-frame
    positions ``starts float[P, 2]``, their ``groups`` and each object's first-frame box ``first_boxes float[N, 4]``."""
    frames = points.shape[0]
    count = len(first_boxes)
    boxes = np.zeros((frames, count, 4), dtype=np.float64)
    shown = np.zeros((frames, count), dtype=bool)
    for n in range(count):
        chosen = groups == n
        start = starts[chosen].astype(np.float64)
        box0 = first_boxes[n]
        for t in range(frames):
            sel = visible[t, chosen]
            if not sel.any():
                continue
            now, then = points[t, chosen][sel].astype(np.float64), start[sel]
            shift, centre, scale = _similarity(now, then)
            corners = (box0.reshape(2, 2) - centre) * scale + centre + shift
            box = np.clip(corners.reshape(4), 0.0, 1.0)
            if box[2] - box[0] > 1e-6 and box[3] - box[1] > 1e-6:
                boxes[t, n] = box
                shown[t, n] = True
    held = hold_hidden_boxes(boxes.astype(np.float32), shown, fallback=tuple(float(v) for v in first_boxes[0])
                             if count else (0.0, 0.0, 1.0, 1.0))
    for n in range(count):  # an object never shown keeps its own first box
        if not shown[:, n].any():
            held[:, n] = first_boxes[n]
    return Tracklets(held, shown, [o["id"] for o in objects], [o["label"] for o in objects],
                     [o["color"] for o in objects] if count else None)

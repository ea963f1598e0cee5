"""Keyframes where the motion bends: Ramer–Douglas–Peucker simplification of a per-frame signal over time.

A seeded editor document should hold few keyframes, each where the motion changes, so a person can edit it. Given a
signal ``values[T, D]`` (a box's 4 coordinates, a path's x and y, a camera's pan/zoom/rotation) sampled on frames
``0 .. T-1``, :func:`bend_frames` returns the frames to keep such that linear interpolation between kept frames
reproduces every frame within ``tolerance`` (largest absolute difference over the ``D`` coordinates). It is
Ramer–Douglas–Peucker with time as the curve parameter: the deviation of frame ``t`` is measured against the straight
segment between the two keys around it *at the same time*, so a pause or a change of speed is a bend too.
"""

from __future__ import annotations

import numpy as np

from ..errors import TrackDiffError


def bend_frames(values, tolerance: float) -> list[int]:
    """Sorted frame indices (always the first and the last) to keep as linear keyframes."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] < 1:
        raise TrackDiffError("values", values, "must be shaped [frames, coordinates]", "give one row per frame")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise TrackDiffError("tolerance", tolerance, "must be a finite number >= 0", "use e.g. 0.005")
    frames = values.shape[0]
    if frames <= 2:
        return list(range(frames))
    keep = np.zeros(frames, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, frames - 1)]
    while stack:  # iterative, so a 4096-frame signal cannot hit the recursion limit
        first, last = stack.pop()
        if last - first < 2:
            continue
        inner = np.arange(first + 1, last)
        u = (inner - first) / (last - first)
        line = values[first] + u[:, None] * (values[last] - values[first])
        error = np.abs(values[inner] - line).max(axis=1)
        worst = int(np.argmax(error))
        if error[worst] > tolerance:
            split = int(inner[worst])
            keep[split] = True
            stack.extend([(first, split), (split, last)])
    return np.flatnonzero(keep).tolist()

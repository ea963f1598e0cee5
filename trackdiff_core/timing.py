"""Timing curves shared by keyframe interpolation and arrow subdivision.

Each curve maps the fraction of a segment that has elapsed, ``u`` in ``[0, 1]``, to the fraction of the way travelled,
``w`` in ``[0, 1]``, with ``w(0) = 0`` and ``w(1) = 1``. The formulas are those of ComfyUI's core ``GenerateTracks`` node,
so a path drawn here and one generated there move alike, and the JavaScript editor uses the same ones:

=============== ======================== =======================================
name            w(u)                     feel
=============== ======================== =======================================
``linear``      ``u``                    constant speed
``ease_in``     ``u**2``                 starts slow, speeds up
``ease_out``    ``1 - (1 - u)**2``       starts fast, slows down
``ease_in_out`` ``u**2 * (3 - 2u)``      slow at both ends (smoothstep)
``hold``        ``0`` for ``u < 1``      stays put, then jumps at the segment end
=============== ======================== =======================================
"""

from __future__ import annotations

import numpy as np

from .errors import TrackDiffError

TIMINGS = ("linear", "ease_in", "ease_out", "ease_in_out", "hold")


def check_timing(name: object, field: str = "interpolation") -> str:
    """Return ``name`` if it is a known timing curve, else raise a clear error."""
    if name not in TIMINGS:
        raise TrackDiffError(field, name, "is not a known timing curve", f"use one of {', '.join(TIMINGS)}")
    return name  # type: ignore[return-value]


def ease(u, name: str) -> np.ndarray:
    """Apply timing curve ``name`` to ``u`` (scalar or array, clipped to ``[0, 1]``)."""
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if name == "linear":
        return u
    if name == "ease_in":
        return u * u
    if name == "ease_out":
        return 1.0 - (1.0 - u) ** 2
    if name == "ease_in_out":
        return u * u * (3.0 - 2.0 * u)
    if name == "hold":
        return np.where(u >= 1.0, 1.0, 0.0)
    check_timing(name)
    raise AssertionError("unreachable")


def interpolate_keys(frames, values, curves, positions) -> np.ndarray:
    """Keyframed ``values`` (``[K, ...]`` at the increasing timeline ``frames``) at real-valued ``positions``.

    Between keys ``k`` and ``k + 1``: ``v_k + w(u) · (v_k+1 − v_k)`` with ``u`` the elapsed fraction of the segment and
    ``w`` the curve ``curves[k]``; before the first key the first value holds, after the last the last. The one rule of
    box keyframes and camera keys (and the editors' JavaScript)."""
    values = np.asarray(values, dtype=np.float64)
    positions = np.atleast_1d(np.asarray(positions, dtype=np.float64))
    if len(values) == 1:
        return np.repeat(values[:1], len(positions), axis=0)
    frames = np.asarray(frames, dtype=np.float64)
    seg = np.clip(np.searchsorted(frames, positions, side="right") - 1, 0, len(frames) - 2)
    u = np.clip((positions - frames[seg]) / (frames[seg + 1] - frames[seg]), 0.0, 1.0)
    w = np.empty_like(u)
    for index in np.unique(seg):
        pick = seg == index
        w[pick] = ease(u[pick], curves[index])
    w = w.reshape((-1,) + (1,) * (values.ndim - 1))
    return values[seg] + w * (values[seg + 1] - values[seg])


def frame_positions(num_src: int, num_dst: int) -> np.ndarray:
    """Where each of ``num_dst`` output frames falls on a source timeline of ``num_src`` frames.

    First maps to first and last to last: output frame ``j`` sits at ``j * (num_src - 1) / (num_dst - 1)``. A single output
    frame sits at 0. This is the one resampling rule of the pack (tracklets, trajectories, editor documents).
    """
    if num_src < 1 or num_dst < 1:
        raise TrackDiffError(
            "num_frames", (num_src, num_dst), "frame counts must be at least 1", "ask for one frame or more"
        )
    if num_dst == 1:
        return np.zeros(1, dtype=np.float64)
    return np.arange(num_dst, dtype=np.float64) * ((num_src - 1) / (num_dst - 1))


def nearest_frame(position: np.ndarray) -> np.ndarray:
    """Round timeline positions to frame indices, halves upwards (``floor(x + 0.5)``, the same in JavaScript)."""
    return np.floor(np.asarray(position, dtype=np.float64) + 0.5).astype(np.int64)

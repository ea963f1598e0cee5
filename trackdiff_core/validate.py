"""Small checks used at construction time by the data types and parsers (each raises :class:`TrackDiffError`)."""

from __future__ import annotations

import math

import numpy as np

from .errors import TrackDiffError


def to_numpy(value) -> np.ndarray:
    """Accept numpy arrays, torch tensors (any device) and nested lists."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def float_array(value, field: str, ndim: int, last: int | None = None, fix: str = "") -> np.ndarray:
    """A finite float32 array with ``ndim`` dimensions (and ``last`` entries in the last one, if given)."""
    try:
        array = to_numpy(value).astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TrackDiffError(field, value, f"is not numeric ({exc})", fix or "pass numbers only") from None
    expected = "[" + ", ".join(["…"] * (ndim - 1) + [str(last) if last else "…"]) + "]"
    if array.ndim != ndim or (last is not None and array.shape[-1] != last):
        raise TrackDiffError(field, array, f"must have shape {expected}", fix or f"give an array shaped {expected}")
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0].tolist()
        raise TrackDiffError(
            field, array, f"contains NaN or infinity (first at index {bad})", fix or "replace non-finite numbers"
        )
    return array.astype(np.float32)


def bool_array(value, field: str, shape: tuple[int, ...], fix: str = "") -> np.ndarray:
    array = to_numpy(value)
    if array.shape != shape:
        raise TrackDiffError(field, array, f"must have shape {list(shape)}", fix or f"give an array shaped {list(shape)}")
    if array.dtype != np.bool_:
        if not np.issubdtype(array.dtype, np.number) or not np.all(np.isin(array, (0, 1))):
            raise TrackDiffError(field, array, "must hold booleans (or 0/1)", fix or "pass True/False values")
        array = array.astype(bool)
    return array


def finite_number(value, field: str, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TrackDiffError(field, value, "is not a number", fix)
    if not math.isfinite(value):
        raise TrackDiffError(field, value, "is not a finite number", fix)
    return float(value)


def integer(value, field: str, minimum: int | None = None, maximum: int | None = None, fix: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TrackDiffError(field, value, "is not a whole number", fix or "use an integer")
    value = int(value)
    if minimum is not None and value < minimum:
        raise TrackDiffError(field, value, f"must be at least {minimum}", fix or f"use a value of {minimum} or more")
    if maximum is not None and value > maximum:
        raise TrackDiffError(field, value, f"must be at most {maximum}", fix or f"use a value of {maximum} or less")
    return value


def frame_size(width, height) -> tuple[int, int]:
    """An explicit pixel size, as every pixel conversion needs one."""
    w = integer(width, "width", 1, fix="give the frame width in pixels (1 or more)")
    h = integer(height, "height", 1, fix="give the frame height in pixels (1 or more)")
    return w, h

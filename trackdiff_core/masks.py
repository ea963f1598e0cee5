"""Object masks: validation, label maps, resizing, and the run-length encoding the editor stores them in.

Run-length encoding (``{"size": [H, W], "counts": [...]}``): the mask is flattened row by row (row-major, top row first)
and ``counts`` alternates runs of 0s and 1s, always starting with a run of 0s (which may be 0 long); the counts sum to
``H * W``. It is simple to write from JavaScript and compact for painted blobs.
"""

from __future__ import annotations

import cv2
import numpy as np

from .errors import TrackDiffError, join_field
from .validate import integer, to_numpy


def as_masks(value, field: str = "masks", threshold: float = 0.5) -> np.ndarray:
    """``bool[N, H, W]`` from a mask batch (``[N, H, W]``, or one ``[H, W]`` mask); values above ``threshold`` are in."""
    array = to_numpy(value)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1] < 1 or array.shape[2] < 1:
        raise TrackDiffError(field, array, "must be a mask batch shaped [count, height, width]", "connect a MASK")
    if array.dtype != np.bool_:
        array = array.astype(np.float32)
        if not np.all(np.isfinite(array)):
            raise TrackDiffError(field, array, "contains NaN or infinity", "give masks with values between 0 and 1")
        array = array > threshold
    return array


def require_nonempty(masks: np.ndarray, field: str = "masks") -> np.ndarray:
    """Raise if any mask has no pixel set (an empty mask gives no points to move)."""
    for index, mask in enumerate(masks):
        if not mask.any():
            raise TrackDiffError(
                join_field(field, index), "empty mask", "has no pixel set", "paint the object's region, or remove the object"
            )
    return masks


def split_label_map(label_map, field: str = "label_map") -> tuple[np.ndarray, list[int]]:
    """One mask per non-zero label of an integer label map ``[H, W]``; returns ``(bool[N, H, W], labels)``."""
    array = to_numpy(label_map)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise TrackDiffError(field, array, "must be one [height, width] map", "give a single label image")
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise TrackDiffError(field, array, "contains NaN or infinity", "give whole-number labels")
        if not np.all(array == np.round(array)):
            # A float MASK in [0, 1] holding labels / 255 (as LoadImage produces from an 8-bit label PNG).
            array = np.round(array * 255.0)
        array = array.astype(np.int64)
    labels = [int(v) for v in np.unique(array) if v != 0]
    if not labels:
        raise TrackDiffError(field, "all zero", "has no labelled region", "label each object with its own non-zero value")
    return np.stack([array == v for v in labels]), labels


def resize_masks(masks: np.ndarray, width: int, height: int) -> np.ndarray:
    """Nearest-neighbour resize of ``bool[N, H, W]`` masks to ``width`` × ``height``."""
    if masks.shape[1:] == (height, width):
        return masks
    return np.stack(
        [cv2.resize(m.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool) for m in masks]
    ) if len(masks) else np.zeros((0, height, width), dtype=bool)


def rle_encode(mask) -> dict:
    """``bool[H, W]`` -> ``{"size": [H, W], "counts": [...]}`` (row-major, starting with a run of 0s)."""
    mask = np.asarray(mask, dtype=bool)
    flat = mask.reshape(-1).astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        counts = [0] + counts
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": [int(c) for c in counts]}


def rle_decode(rle, field: str = "mask") -> np.ndarray:
    """The inverse of :func:`rle_encode`, with a clear error for every malformed part."""
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise TrackDiffError(field, rle, 'must be {"size": [height, width], "counts": [...]}', "re-draw the mask in the editor")
    size = rle["size"]
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise TrackDiffError(join_field(field, "size"), size, "must be [height, width]", "give two whole numbers")
    h = integer(size[0], join_field(field, "size") + "[0]", 1, 16384)
    w = integer(size[1], join_field(field, "size") + "[1]", 1, 16384)
    counts = rle["counts"]
    if not isinstance(counts, (list, tuple)) or not counts:
        raise TrackDiffError(join_field(field, "counts"), counts, "must be a list of run lengths", "re-draw the mask")
    runs = [integer(c, f"{join_field(field, 'counts')}[{i}]", 0) for i, c in enumerate(counts)]
    if sum(runs) != h * w:
        raise TrackDiffError(
            join_field(field, "counts"), f"sum {sum(runs)}", f"must add up to height × width = {h * w}", "re-draw the mask"
        )
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    return np.repeat(values, runs).reshape(h, w)

"""COCO-style segmentations (as YouTube-VIS and OVIS store them): run-length encodings and polygons → masks.

An RLE is ``{"size": [height, width], "counts": ...}`` over the mask read column by column (Fortran order), starting
with a run of zeros. ``counts`` is a list of run lengths (uncompressed) or COCO's compressed string (each run a
little-endian sequence of 5-bit groups offset by 48, with runs after the second stored as the difference to the run
two before). A polygon is a list of ``[x0, y0, x1, y1, ...]`` rings in pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...errors import TrackDiffError


def counts_from_string(text: str) -> list[int]:
    """COCO's compressed RLE string → run lengths."""
    counts: list[int] = []
    position = 0
    while position < len(text):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(text):
                raise TrackDiffError("segmentation.counts", text[:40], "ends inside a run", "re-export the annotation")
            code = ord(text[position]) - 48
            value |= (code & 0x1F) << (5 * shift)
            more = bool(code & 0x20)
            position += 1
            shift += 1
            if not more and code & 0x10:
                value |= -1 << (5 * shift)
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def counts_to_string(counts: list[int]) -> str:
    """Run lengths → COCO's compressed RLE string (the inverse of :func:`counts_from_string`)."""
    out = []
    for index, value in enumerate(counts):
        if index > 2:
            value -= counts[index - 2]
        more = True
        while more:
            code = value & 0x1F
            value >>= 5
            more = value != -1 if code & 0x10 else value != 0
            if more:
                code |= 0x20
            out.append(chr(code + 48))
    return "".join(out)


def mask_to_counts(mask: np.ndarray) -> list[int]:
    """A boolean ``[H, W]`` mask → its run lengths (column-major, zeros first)."""
    flat = np.asarray(mask, dtype=bool).T.reshape(-1)
    changes = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat.size and flat[0] else runs


def decode_rle(rle: dict, field: str = "segmentation") -> np.ndarray:
    """An RLE dict → ``bool[H, W]``."""
    try:
        height, width = (int(v) for v in rle["size"])
        counts = rle["counts"]
    except (KeyError, TypeError, ValueError):
        raise TrackDiffError(field, str(rle)[:80], "is not an RLE with size and counts", "re-export the annotation") \
            from None
    if isinstance(counts, (bytes, str)):
        counts = counts_from_string(counts.decode("ascii") if isinstance(counts, bytes) else counts)
    counts = np.asarray(counts, dtype=np.int64)
    if (counts < 0).any() or counts.sum() != height * width:
        raise TrackDiffError(field, f"{int(counts.sum())} pixels", f"does not cover its {width}×{height} size",
                             "re-export the annotation")
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    return np.repeat(values, counts).reshape(width, height).T.copy()


def decode_polygons(polygons: list, height: int, width: int, field: str = "segmentation") -> np.ndarray:
    """Polygon rings ``[[x0, y0, x1, y1, ...], ...]`` → ``bool[H, W]``."""
    canvas = np.zeros((height, width), dtype=np.uint8)
    rings = []
    for ring in polygons:
        points = np.asarray(ring, dtype=np.float64).reshape(-1, 2) if len(ring) % 2 == 0 else None
        if points is None or len(points) < 3:
            raise TrackDiffError(field, str(ring)[:80], "is not a polygon of 3 or more x, y points",
                                 "re-export the annotation")
        rings.append(np.round(points).astype(np.int32))
    cv2.fillPoly(canvas, rings, 1)
    return canvas.astype(bool)


def decode_segmentation(segmentation, height: int, width: int, field: str = "segmentation") -> np.ndarray | None:
    """An RLE dict or a polygon list → ``bool[H, W]`` at ``height`` × ``width``; None (no mask) stays None."""
    if segmentation is None:
        return None
    if isinstance(segmentation, dict):
        mask = decode_rle(segmentation, field)
    elif isinstance(segmentation, list):
        mask = decode_polygons(segmentation, height, width, field) if segmentation else None
    else:
        raise TrackDiffError(field, str(segmentation)[:80], "is neither an RLE nor polygons", "re-export the annotation")
    if mask is not None and mask.shape != (height, width):
        raise TrackDiffError(field, f"{mask.shape[1]}×{mask.shape[0]}", f"is not the video's size {width}×{height}",
                             "give masks at the size of their frames")
    return mask

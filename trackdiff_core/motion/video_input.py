"""The inputs of Tracks From Video, checked and brought to what the tracker takes: frames as ``uint8[T, H, W, 3]`` at a
bounded size, object masks at the frames' size, and the query points (K per object inside its mask, or a grid).

Bounds, so any accepted input runs in bounded memory and time (or stops here with a message naming the input):

* ``MAX_SOURCE_FRAMES`` frames: a longer video is refused before anything is copied (load fewer frames, e.g. core
  Load Video's frame cap, or skip frames);
* frames larger than ``MAX_TRACK_SIDE`` on their longer side are tracked at a reduced size (positions come out
  normalised, so nothing else changes);
* ``MAX_OBJECTS`` objects and ``MAX_POINTS`` tracked points in all.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import TrackDiffError, join_field
from ..masks import as_masks, require_nonempty, split_label_map
from ..trackgo_points import sample_points_in_mask
from ..validate import integer, to_numpy

MASK_LAYOUTS = ("one_per_object", "label_map")
MAX_SOURCE_FRAMES = 1000
MAX_TRACK_SIDE = 1024
MAX_OBJECTS = 64
MAX_POINTS = 4096
MAX_GRID = 64
_CHUNK = 32  # frames converted to uint8 at a time (no float copy of the whole video)


def _shape(frames) -> tuple[int, ...]:
    shape = getattr(frames, "shape", None)
    return tuple(int(s) for s in shape) if shape is not None else tuple(np.shape(frames))


def video_frames(frames, field: str = "frames") -> np.ndarray:
    """``uint8[T, h, w, 3]`` from an IMAGE batch (float in ``[0, 1]``, or uint8), a list of frames of one size, at
    most ``MAX_TRACK_SIDE`` px on the longer side."""
    if isinstance(frames, (list, tuple)):
        shapes = sorted({_shape(f) for f in frames})
        if len(shapes) > 1:
            raise TrackDiffError(field, shapes[:4], "has frames of different sizes",
                                 "resize every frame to one width and height (e.g. core Image Scale) first")
        frames = np.stack([to_numpy(f) for f in frames]) if frames else np.zeros((0, 1, 1, 3), np.float32)
    shape = _shape(frames)
    if len(shape) != 4 or shape[-1] not in (3, 4):
        raise TrackDiffError(field, f"shape {list(shape)}", "must be images shaped [frames, height, width, 3]",
                             "connect an IMAGE batch, e.g. core Load Video -> Get Video Components")
    count, height, width = shape[:3]
    if count < 2:
        raise TrackDiffError(field, f"{count} frame", "has one frame; motion needs at least 2",
                             "connect a video (a batch of 2 or more frames), e.g. from Get Video Components")
    if count > MAX_SOURCE_FRAMES:
        raise TrackDiffError(field, f"{count} frames", f"is longer than the {MAX_SOURCE_FRAMES} frames this node tracks",
                             f"load at most {MAX_SOURCE_FRAMES} frames (core Load Video's frame cap, or skip frames); "
                             "the motion is resampled to frame_count anyway")
    if height < 8 or width < 8:
        raise TrackDiffError(field, f"{width}×{height}", "frames must be at least 8×8 pixels", "connect larger frames")
    scale = min(1.0, MAX_TRACK_SIDE / max(width, height))
    size = (max(8, int(round(width * scale))), max(8, int(round(height * scale))))
    out = np.empty((count, size[1], size[0], 3), dtype=np.uint8)
    for start in range(0, count, _CHUNK):
        chunk = to_numpy(frames[start:start + _CHUNK])[..., :3]
        if chunk.dtype != np.uint8:
            chunk = chunk.astype(np.float32)  # a copy: the caller's frames are never changed
            if not np.all(np.isfinite(chunk)):
                raise TrackDiffError(field, "NaN or infinity", "contains non-finite values",
                                     "give images with values between 0 and 1")
            chunk *= 255.0
            chunk += 0.5  # round half up, then truncate: one pass less than np.round
            chunk = np.clip(chunk, 0.0, 255.0, out=chunk).astype(np.uint8)
        for index, frame in enumerate(chunk):
            out[start + index] = frame if scale == 1.0 else cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return out


def object_masks(masks, layout: str, width: int, height: int, field: str = "masks") -> np.ndarray | None:
    """``bool[N, height, width]`` object masks (on the video's first frame) or ``None``; each must be the video's size
    and non-empty, and there may be at most ``MAX_OBJECTS``."""
    if masks is None:
        return None
    if layout not in MASK_LAYOUTS:
        raise TrackDiffError("mask_layout", layout, "is not a known layout", f"use one of {', '.join(MASK_LAYOUTS)}")
    shape = _shape(masks)
    if len(shape) not in (2, 3) or shape[-2:] != (height, width):
        raise TrackDiffError(field, f"shape {list(shape)}", f"is not the video's size {width}×{height}",
                             "give masks drawn on the video's first frame at its size (or scale them to it)")
    if layout == "label_map":
        array = to_numpy(masks)
        if array.ndim == 3 and array.shape[0] != 1:
            raise TrackDiffError(field, f"{array.shape[0]} maps", "must be one label map for the label_map layout",
                                 "give one label image, or use mask_layout one_per_object")
        distinct = np.count_nonzero(np.unique(array))
        if distinct > MAX_OBJECTS:
            raise TrackDiffError(field, f"{distinct} labels", f"has more than {MAX_OBJECTS} objects",
                                 f"label at most {MAX_OBJECTS} objects")
        try:
            result = split_label_map(array, field)[0]
        except TrackDiffError as exc:
            raise TrackDiffError(field, "all zero", "has no labelled region (an empty mask)",
                                 "label each object with its own non-zero value") from exc
    else:
        if len(shape) == 3 and shape[0] > MAX_OBJECTS:
            raise TrackDiffError(field, f"{shape[0]} masks", f"has more than {MAX_OBJECTS} objects",
                                 f"give at most {MAX_OBJECTS} masks (one per object)")
        result = as_masks(masks, field)
        for index, mask in enumerate(result):
            if not mask.any():
                raise TrackDiffError(join_field(field, index), "empty mask", "has no pixel set (an empty mask)",
                                     "paint the object's region, or remove that mask from the batch")
    return require_nonempty(result, field)


def inner_region(mask: np.ndarray) -> np.ndarray:
    """``mask`` shrunk by a margin (15 % of the square root of its area, 1 to 8 px) so that points are not sampled on
    its border: a tracking window centred on the border sees the background as much as the object, and such points
    stick to the background. A mask too thin to shrink is kept as it is."""
    radius = int(np.clip(round(0.15 * np.sqrt(mask.sum())), 1, 8))
    while radius >= 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        inner = cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)
        if inner.sum() >= 4:
            return inner
        radius //= 2
    return mask


def query_points(masks: np.ndarray | None, points_per_object: int, grid_size: int, seed: int = 0):
    """``(points float64[N, 2] normalised, groups int64[N])``: ``points_per_object`` points spread inside each mask
    (the pack's TrackGo sampling, its own stream per object, away from the mask's border: :func:`inner_region`), or
    without masks a ``grid_size`` × ``grid_size`` grid of cell centres, one object."""
    count = integer(points_per_object, "points_per_object", 1, MAX_POINTS,
                    fix="track at least 1 point per object (e.g. 16)")
    if masks is None:
        grid = integer(grid_size, "grid_size", 2, MAX_GRID, fix=f"use a grid of 2 to {MAX_GRID} points per side")
        centres = (np.arange(grid) + 0.5) / grid
        points = np.stack(np.meshgrid(centres, centres), axis=-1).reshape(-1, 2)
        return points.astype(np.float64), np.zeros(len(points), dtype=np.int64)
    if count * len(masks) > MAX_POINTS:
        raise TrackDiffError("points_per_object", f"{count} × {len(masks)} objects",
                             f"is more than {MAX_POINTS} points to track", "use fewer points per object or objects")
    points = [sample_points_in_mask(inner_region(mask), count, seed, index, join_field("masks", index))
              for index, mask in enumerate(masks)]
    groups = np.repeat(np.arange(len(masks), dtype=np.int64), count)
    return np.concatenate(points).astype(np.float64), groups

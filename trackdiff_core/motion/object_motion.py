"""``object_motion_error``: where each object's first-frame appearance went in a video, against its drawn path.

ObjMC (:func:`~trackdiff_core.motion.motion_fidelity`) tracks points from frame to frame. On videos a point tracker
cannot follow — a small or blocky generator whose objects change colour between frames, jump, or leave a faded copy
behind — it holds the points still or loses them, and a lost point leaves the mean: a video whose objects vanish
scores on the points that remain. This measure asks the object-level question directly, frame by frame:

* the template is frame 0 inside the object's mask, dilated by ``margin`` pixels (the object and its edge);
* in each later frame the template is searched, masked normalised cross-correlation (OpenCV's ``TM_CCOEFF_NORMED``
  with the template's mask), over every position within ``search`` × the frame's longer side of where it started
  (the frame padded with its border so an object may sit partly outside);
* the object's displacement is the best match's; the error is its distance from the drawn displacement, in pixels.

It needs no point to survive, so an object that vanishes is scored where its best (poor) match lies rather than left
out; a still video scores each object's drawn displacement. It reads coarser motion than ObjMC: on the toy world's
96×96 held-out clips, the true motion scores 6.4 px sharp and 10.0 px through the toy VAE's 8×8 blocks, against 18.4 px
for a still video (``tests/core/test_object_motion.py`` measures them). Videos larger than ``MAX_SIDE`` on their longer
side are searched at that size and the errors scaled back.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import TrackDiffError
from ..validate import float_array, to_numpy
from .config import TrackerConfig
from .inputs import check_frames

MAX_SIDE = 256  # longer side the search runs at (bounded time on full-size video); errors are scaled back
DEFAULT_MARGIN = 2
DEFAULT_SEARCH = 0.4


@dataclass(frozen=True)
class ObjectMotionError:
    """Attributes:
        mean: mean over objects and frames ≥ 1 of the distance in pixels between the object's found displacement and
            its drawn one.
        per_object: ``float64[N]``; per_frame: ``float64[T]`` (frame 0 is 0).
        displacements: ``float64[N, T, 2]`` each object's found displacement from frame 0, in pixels.
    """

    mean: float
    per_object: np.ndarray
    per_frame: np.ndarray
    displacements: np.ndarray


def _masks(masks, count: int, height: int, width: int) -> np.ndarray:
    array = to_numpy(masks)
    if array.ndim != 3 or array.shape[1:] != (height, width):
        raise TrackDiffError("masks", f"shape {tuple(array.shape)}", f"must be [objects, {height}, {width}] (the "
                             "video's size)", "give one first-frame mask per object at the video's size")
    array = array.astype(bool)
    if len(array) != count:
        raise TrackDiffError("masks", f"{len(array)} masks", f"do not match the {count} drawn paths",
                             "give one path per mask")
    empty = [i for i, m in enumerate(array) if not m.any()]
    if empty:
        raise TrackDiffError(f"masks[{empty[0]}]", "an empty mask", "has no pixel to take the object's appearance "
                             "from", "paint every object's mask on the first frame")
    return array


def _scaled(frames: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    height, width = frames.shape[1:3]
    scale = min(1.0, MAX_SIDE / max(height, width))
    if scale == 1.0:
        return frames, masks, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
    small_masks = np.stack([cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
                            for m in masks])
    for i, m in enumerate(small_masks):  # a thin mask can vanish when scaled: keep its centre pixel
        if not m.any():
            ys, xs = np.nonzero(masks[i])
            m[min(size[1] - 1, int(ys.mean() * scale)), min(size[0] - 1, int(xs.mean() * scale))] = True
    return small, small_masks, scale


def object_motion_error(masks, drawn_paths, video_frames, margin: int = DEFAULT_MARGIN,
                        search: float = DEFAULT_SEARCH) -> ObjectMotionError:
    """Find each object's frame-0 appearance in every frame of ``video_frames`` and compare with the drawing.

    Args:
        masks: ``bool[N, H, W]`` each object's first-frame mask at the video's size.
        drawn_paths: ``float[N, T, 2]`` pixel ``x, y`` of each object's drawn path (any point of the object: only its
            displacement from frame 0 is used).
        video_frames: ``uint8[T, H, W, 3]`` RGB, the generated video.
        margin: pixels the mask is dilated by for the template (the object's edge against its surroundings).
        search: the search radius as a share of the frame's longer side.

    Raises :class:`TrackDiffError` naming the bad input."""
    frames = check_frames(video_frames, TrackerConfig(), field="video_frames")
    count, height, width = frames.shape[:3]
    paths = float_array(drawn_paths, "drawn_paths", 3, 2, fix="give one [frames, 2] pixel path per object")
    if paths.shape[1] != count:
        raise TrackDiffError("drawn_paths", f"{paths.shape[1]} frames", f"do not match the video's {count}",
                             "resample the paths (or the video) to the same frame count")
    masks = _masks(masks, paths.shape[0], height, width)
    if not 0 <= int(margin) <= 64:
        raise TrackDiffError("margin", margin, "is out of range", "use 0 to 64 pixels")
    if not 0.0 < float(search) <= 1.0:
        raise TrackDiffError("search", search, "is out of range", "use a share of the frame's side in (0, 1]")
    small, small_masks, scale = _scaled(frames, masks)
    h, w = small.shape[1:3]
    pad = max(1, int(round(search * max(h, w))))
    kernel = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    padded = [cv2.copyMakeBorder(f, pad, pad, pad, pad, cv2.BORDER_REPLICATE).astype(np.float32) for f in small]
    displacements = np.zeros((len(masks), count, 2))
    for n, mask in enumerate(small_masks):
        region = cv2.dilate(mask.astype(np.uint8), kernel) > 0
        ys, xs = np.nonzero(region)
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        template = small[0, y0:y1, x0:x1].astype(np.float32)
        weights = np.repeat(region[y0:y1, x0:x1, None], 3, axis=2).astype(np.float32)
        for t in range(1, count):
            window = padded[t][y0:y1 + 2 * pad, x0:x1 + 2 * pad]
            score = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED, mask=weights)
            score = np.nan_to_num(score, nan=-2.0, posinf=-2.0, neginf=-2.0)
            dy, dx = np.unravel_index(int(np.argmax(score)), score.shape)
            displacements[n, t] = (dx - pad, dy - pad)
    displacements /= scale
    errors = np.linalg.norm(displacements - (paths - paths[:, :1]), axis=-1)  # [N, T]
    moving = errors[:, 1:]
    per_frame = np.concatenate([[0.0], moving.mean(axis=0)]) if count > 1 else np.zeros(1)
    return ObjectMotionError(float(moving.mean()), moving.mean(axis=1), per_frame, displacements)

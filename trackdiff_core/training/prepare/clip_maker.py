"""One window of a video → one training clip (:class:`~trackdiff_core.training.clips.Clip`), or the reason it is
skipped.

1. Resize so the frame covers the training size, then centre-crop (masks nearest-neighbour, boxes moved the same way).
2. Objects: those present in the window's first frame with at least ``min_area`` pixels (annotated masks, MOT boxes as
   box masks, or for unlabelled videos :func:`.moving_objects.moving_object_masks`).
3. Points: up to ``points_per_object`` evenly spread in each object's first-frame mask (eroded by 2 pixels when it is
   big enough, edges track worst), tracked through the window by :func:`trackdiff_core.motion.track_points`; a point
   is visible where the tracker says so *and*, on annotated frames, inside its object's mask (grown by 2 pixels) or box.
4. Boxes per frame: of the object's mask where annotated, the MOT box, or the visible points' bounds (unlabelled).
5. Filters: no object, more than ``max_objects`` objects, or less than ``min_motion`` pixels of motion (the largest
   per-object median displacement from the first frame) — the clip is skipped with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ...motion import track_points
from ...tracklets import Tracklets
from ...trajectories import PointTrajectories
from ..clips import Clip
from .moving_objects import moving_object_masks
from .sources import Sequence

PALETTE = np.array([[0.90, 0.10, 0.10], [0.10, 0.60, 0.90], [0.10, 0.80, 0.20], [0.95, 0.75, 0.10],
                    [0.70, 0.20, 0.85], [0.95, 0.45, 0.10], [0.10, 0.85, 0.80], [0.85, 0.30, 0.55]], np.float32)
SKIP_NO_OBJECT = "no object in the first frame"
SKIP_TOO_MANY = "too many objects"
SKIP_TOO_LITTLE_MOTION = "too little motion"


@dataclass(frozen=True)
class PrepareOptions:
    frames: int = 14
    stride: int = 1  # take every stride-th frame of the video
    width: int = 512
    height: int = 320
    points_per_object: int = 64
    max_objects: int = 8
    min_motion: float = 2.0  # pixels at the training size
    min_area: int = 16  # pixels at the training size
    max_clips_per_video: int = 0  # 0: every window


def resize_and_crop(sequence: Sequence, width: int, height: int) -> Sequence:
    """``sequence`` scaled to cover ``width`` × ``height`` and centre-cropped to it."""
    h, w = sequence.frames.shape[1:3]
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    left, top = (new_w - width) // 2, (new_h - height) // 2
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    frames = np.stack([cv2.resize(f, (new_w, new_h), interpolation=interpolation)[top:top + height, left:left + width]
                       for f in sequence.frames])
    masks = None
    if sequence.masks is not None:
        t, n = sequence.masks.shape[:2]
        masks = np.zeros((t, n, height, width), dtype=bool)
        for i in range(t):
            for j in range(n):
                resized = cv2.resize(sequence.masks[i, j].astype(np.uint8), (new_w, new_h),
                                     interpolation=cv2.INTER_NEAREST)
                masks[i, j] = resized[top:top + height, left:left + width].astype(bool)
    boxes, visible = sequence.boxes, sequence.box_visible
    if boxes is not None:
        boxes = boxes * (new_w / w, new_h / h, new_w / w, new_h / h) - (left, top, left, top)
        boxes = np.clip(boxes, 0, [width, height, width, height])
        visible = visible & ((boxes[..., 2] - boxes[..., 0]) >= 1) & ((boxes[..., 3] - boxes[..., 1]) >= 1)
    return Sequence(frames, masks, sequence.mask_known, boxes, visible, list(sequence.ids), list(sequence.labels))


def _box_masks(boxes: np.ndarray, visible: np.ndarray, height: int, width: int) -> np.ndarray:
    masks = np.zeros((*boxes.shape[:2], height, width), dtype=bool)
    for (t, n) in np.argwhere(visible):
        x1, y1, x2, y2 = boxes[t, n]
        masks[t, n, int(round(y1)):int(round(y2)), int(round(x1)):int(round(x2))] = True
    return masks


def _query_points(mask: np.ndarray, count: int) -> np.ndarray:
    eroded = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    pixels = np.argwhere(eroded if eroded.sum() >= count else mask)  # rows (y, x)
    chosen = pixels[np.unique(np.linspace(0, len(pixels) - 1, min(count, len(pixels))).round().astype(int))]
    return chosen[:, ::-1].astype(np.float64)


def _fill_boxes(boxes: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Frames where an object's box is unknown take the nearest known one (the box file needs a valid box)."""
    out = boxes.copy()
    for n in range(boxes.shape[1]):
        frames = np.flatnonzero(known[:, n])
        for t in range(boxes.shape[0]):
            if not known[t, n]:
                out[t, n] = boxes[frames[np.abs(frames - t).argmin()], n]
    return out


def make_clip(sequence: Sequence, options: PrepareOptions) -> tuple[Clip | None, str | None]:
    """The clip of ``sequence`` (already the window's frames), or ``(None, reason)`` when a filter skips it."""
    seq = resize_and_crop(sequence, options.width, options.height)
    frames = seq.frames
    count, height, width = frames.shape[:3]
    per_frame, known = seq.masks, seq.mask_known
    if seq.boxes is not None:
        per_frame, known = _box_masks(seq.boxes, seq.box_visible, height, width), np.ones(count, bool)
    if per_frame is None:  # no annotation: the objects that move against the camera
        first = moving_object_masks(frames, min_motion=options.min_motion)
        ids, labels = list(range(1, len(first) + 1)), [""] * len(first)
    else:
        first = per_frame[0]
        ids, labels = seq.ids, seq.labels
    keep = [n for n in range(len(first)) if first[n].sum() >= options.min_area]
    if not keep:
        return None, SKIP_NO_OBJECT
    if len(keep) > options.max_objects:
        return None, SKIP_TOO_MANY
    first = first[keep]
    queries, groups = [], []
    for n, mask in enumerate(first):
        points = _query_points(mask, options.points_per_object)
        queries.append(points)
        groups += [n] * len(points)
    starts = np.concatenate(queries)
    result = track_points(frames, np.concatenate([np.zeros((len(starts), 1)), starts], axis=1))
    points, visible = result.points, result.visible.copy()
    groups = np.asarray(groups, dtype=np.int64)
    if per_frame is not None:
        grown = per_frame[:, keep]
        for t in np.flatnonzero(known):
            for n in range(len(keep)):
                grown[t, n] = cv2.dilate(grown[t, n].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        xs = np.clip(np.round(points[..., 0]).astype(int), 0, width - 1)
        ys = np.clip(np.round(points[..., 1]).astype(int), 0, height - 1)
        inside = grown[np.arange(count)[:, None], groups[None, :], ys, xs]
        visible &= inside | ~known[:, None]
    moved = np.linalg.norm(points - points[:1], axis=-1)
    moved[~visible] = 0.0
    motion = max(float(np.median(moved[:, groups == n].max(axis=0))) for n in range(len(keep)))
    if motion < options.min_motion:
        return None, SKIP_TOO_LITTLE_MOTION
    boxes = np.zeros((count, len(keep), 4))
    present = np.zeros((count, len(keep)), dtype=bool)
    for n in range(len(keep)):
        for t in range(count):
            if per_frame is not None and known[t]:
                region = per_frame[t, keep[n]]
                if region.any():
                    ys_, xs_ = np.nonzero(region)
                    boxes[t, n] = [xs_.min(), ys_.min(), xs_.max() + 1, ys_.max() + 1]
                    present[t, n] = True
            else:
                seen = points[t, (groups == n) & visible[t]]
                if len(seen):
                    boxes[t, n] = [*seen.min(axis=0) - 2, *seen.max(axis=0) + 3]
                    present[t, n] = True
    if seq.boxes is not None:  # MOT: the boxes as given
        boxes, present = seq.boxes[:, keep], seq.box_visible[:, keep]
    boxes = _fill_boxes(np.clip(boxes, 0, [width, height, width, height]), present)
    boxes[..., 2] = np.maximum(boxes[..., 2], boxes[..., 0] + 1)
    boxes[..., 3] = np.maximum(boxes[..., 3], boxes[..., 1] + 1)
    normalised = (boxes / (width, height, width, height)).clip(0, 1).astype(np.float32)
    tracklets = Tracklets(normalised, present, [ids[n] for n in keep], [labels[n] for n in keep],
                          PALETTE[np.arange(len(keep)) % len(PALETTE)])
    trajectories = PointTrajectories(result.to_trajectories(width, height).points, visible, groups)
    return Clip(frames, trajectories, first, tracklets), None

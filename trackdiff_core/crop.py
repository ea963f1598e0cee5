"""Bring tracks drawn on a whole image into the frame SVD generates, which is a centre crop of it.

ComfyUI's ``SVD_img2vid_Conditioning`` and ``ImageScale`` (crop = center) cut the image to the video's aspect before
resizing it: ``x = round((W - W·a_new/a_old) / 2)`` columns (or rows) go on each side. Tracks made on the whole image
(a tracker's annotations, say) are moved into that crop so they line up with the video: coordinates are mapped, boxes are
clipped to the crop and hidden where nothing of them is left, masks are cut, and path points are clamped.
"""

from __future__ import annotations

import logging

import numpy as np

from .mask_arrow_document import MaskArrowDocument, MaskArrowObject
from .masks import rle_decode, rle_encode
from .tracklet_document import TrackletDocument
from .tracklets import Tracklets, hold_hidden_boxes
from .trajectories import PointTrajectories

log = logging.getLogger(__name__)


def center_crop_box(width: int, height: int, target_width: int, target_height: int) -> tuple[float, float, float, float]:
    """The normalised ``(x1, y1, x2, y2)`` of the part of a ``width × height`` image that ComfyUI keeps for a
    ``target_width × target_height`` output (the same rounding as ``comfy.utils.common_upscale``)."""
    old_aspect, new_aspect = width / height, target_width / target_height
    x = y = 0
    if old_aspect > new_aspect:
        x = round((width - width * (new_aspect / old_aspect)) / 2)
    elif old_aspect < new_aspect:
        y = round((height - height * (old_aspect / new_aspect)) / 2)
    return x / width, y / height, (width - x) / width, (height - y) / height


def is_whole(box) -> bool:
    return tuple(box) == (0.0, 0.0, 1.0, 1.0)


def _map(values: np.ndarray, box) -> np.ndarray:
    x1, y1, x2, y2 = box
    scale = np.array([x2 - x1, y2 - y1])
    return (values - np.array([x1, y1])) / scale


def crop_tracklets(tracklets: Tracklets, box) -> Tracklets:
    if is_whole(box):
        return tracklets
    mapped = np.concatenate([_map(tracklets.boxes[..., :2], box), _map(tracklets.boxes[..., 2:], box)], axis=-1)
    clipped = np.clip(mapped, 0.0, 1.0)
    visible = tracklets.visible & (clipped[..., 2] > clipped[..., 0]) & (clipped[..., 3] > clipped[..., 1])
    lost = int((tracklets.visible & ~visible).sum())
    if lost:
        log.info("cropping to the video's frame hides %d box(es) that lie outside it", lost)
    return Tracklets(hold_hidden_boxes(clipped, visible), visible, tracklets.ids, tracklets.labels, tracklets.colors)


def crop_trajectories(trajectories: PointTrajectories, box) -> PointTrajectories:
    """Points mapped into the crop; a point outside it is hidden there (it keeps its path)."""
    if is_whole(box):
        return trajectories
    points = _map(trajectories.points.astype(np.float64), box)
    inside = ((points >= 0.0) & (points <= 1.0)).all(axis=-1)
    return PointTrajectories(points, trajectories.visible & inside, trajectories.groups)


def crop_masks(masks: np.ndarray, box) -> np.ndarray:
    """``bool[N, H, W]`` masks cut to the crop (at their own resolution)."""
    if is_whole(box):
        return masks
    x1, y1, x2, y2 = box
    h, w = masks.shape[1:]
    return masks[:, int(round(y1 * h)):int(round(y2 * h)), int(round(x1 * w)):int(round(x2 * w))]


def crop_tracklet_document(document: TrackletDocument, box) -> TrackletDocument:
    if is_whole(box):
        return document
    return TrackletDocument.from_tracklets(crop_tracklets(document.to_tracklets(), box))


def crop_mask_arrow_document(document: MaskArrowDocument, box) -> MaskArrowDocument:
    if is_whole(box):
        return document
    x1, y1, x2, y2 = box
    objects = []
    for index, obj in enumerate(document.objects):
        mask = obj.mask
        if mask is not None:
            full = rle_decode(mask, f"objects[{index}].mask")
            h, w = full.shape
            part = full[int(round(y1 * h)):int(round(y2 * h)), int(round(x1 * w)):int(round(x2 * w))]
            mask = rle_encode(part) if part.any() else None
            if mask is None:
                log.warning("object %s lies outside the video's frame; its mask is dropped", obj.id)
                continue
        path = tuple(tuple(float(v) for v in np.clip(_map(np.asarray(p, dtype=np.float64), box), 0.0, 1.0))
                     for p in obj.path)
        objects.append(MaskArrowObject(obj.id, obj.label, obj.color, path, mask, obj.timing, obj.start_frame,
                                       obj.end_frame))
    return MaskArrowDocument(document.frame_count, tuple(objects))


def crop_document(document, box):
    """Either kind of editor document, brought into the crop ``box``."""
    if isinstance(document, TrackletDocument):
        return crop_tracklet_document(document, box)
    return crop_mask_arrow_document(document, box)

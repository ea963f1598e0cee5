"""Bring tracks drawn on a whole image into the frame SVD generates, which is a centre crop of it.

ComfyUI's ``SVD_img2vid_Conditioning`` and ``ImageScale`` (crop = center) cut the image to the video's aspect before
resizing it: ``x = round((W - W·a_new/a_old) / 2)`` columns (or rows) go on each side. Tracks made on the whole image
(a tracker's annotations, say) are moved into that crop so they line up with the video: coordinates are mapped, boxes are
clipped to the crop and hidden where nothing of them is left, masks are cut, and path points are clamped.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from .camera import Camera
from .mask_arrow_document import MaskArrowDocument
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
    camera = None if tracklets.camera is None else _crop_matrices(tracklets.camera, box)
    return Tracklets(hold_hidden_boxes(clipped, visible), visible, tracklets.ids, tracklets.labels, tracklets.colors,
                     camera)


def _crop_matrices(matrices: np.ndarray, box) -> np.ndarray:
    """Normalised camera matrices restated in the crop's normalised coordinates: ``C · M · C⁻¹``."""
    x1, y1, x2, y2 = box
    into = np.array([[1 / (x2 - x1), 0, -x1 / (x2 - x1)], [0, 1 / (y2 - y1), -y1 / (y2 - y1)], [0, 0, 1]])
    return into @ np.asarray(matrices, dtype=np.float64) @ np.linalg.inv(into)


def _crop_camera(camera: Camera | None, box) -> Camera | None:
    """The same camera in the crop's coordinates: pixels are unchanged, so zoom and rotation stay; the centre and the
    pan are restated relative to the crop (they may then lie outside the limits a hand-written document allows)."""
    if camera is None:
        return None
    x1, y1, x2, y2 = box
    scale = (x2 - x1, y2 - y1)
    center = ((camera.center[0] - x1) / scale[0], (camera.center[1] - y1) / scale[1])
    keys = tuple(replace(k, pan=(k.pan[0] / scale[0], k.pan[1] / scale[1])) for k in camera.keyframes)
    return Camera(keys, center, camera.interpolation)


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
    scene = crop_tracklets(replace(document, camera=None).to_tracklets(), box)  # the drawn boxes; the camera apart
    return replace(TrackletDocument.from_tracklets(scene), camera=_crop_camera(document.camera, box))


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
        objects.append(replace(obj, path=path, mask=mask))
    return MaskArrowDocument(document.frame_count, tuple(objects), _crop_camera(document.camera, box))


def crop_document(document, box):
    """Either kind of editor document, brought into the crop ``box``."""
    if isinstance(document, TrackletDocument):
        return crop_tracklet_document(document, box)
    return crop_mask_arrow_document(document, box)

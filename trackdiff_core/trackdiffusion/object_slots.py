"""Tracklets -> the per-frame, per-slot box arrays TrackDiffusion's box encoder reads.

Object identity is the **slot index**, the same slot on every frame. Slots are given **by first appearance**: the
objects shown on at least one of the frames the model runs (after resampling to its frame count) take slots ``0, 1,
…`` in the order of the first frame on which each has a box, ties in document order; an object never shown takes no
slot. That is the order the authors' model was trained in: their loader (``pixeli99/TrackDiffusion``,
``datasets/youtube_loader.py``) sorts a clip's instance ids (``torch.unique``), and those ids were assigned by
mmtracking's YouTube-VIS converter (``tools/convert_datasets/youtubevis/youtubevis2coco.py``, ``convert_vis``), which
walks the frames in order and, within a frame, the annotations in file order, giving a track the next id the first
time it has a box. So slot ``k`` was the ``k``-th object to appear. An editor's ids come from drawing order, which
means nothing of the kind, so they are not used. With an instance embedding in the weights (one learned row per slot,
see :mod:`.box_encoder`) the order is part of what the model learned; without one every module treats the slots
alike. Training builds its slots with the same rule (``training/box_tracklets.clip_slots``). Slots the tracklets do
not fill, and frames where an object is hidden, get the encoder's learned null features (presence 0). More objects
than the weights have slots is an error, never a silent drop.

Frame counts. The model call decides the frame count ``T`` (``SVD_img2vid_Conditioning``'s ``video_frames``); the
tracklets are resampled to it with :meth:`Tracklets.resample` (first frame to first, last to last; boxes interpolated,
visibility from the nearest frame), the same rule the editor documents. With ``frame_policy="resample"`` (the default)
a differing count is resampled and logged once as a warning; with ``"error"`` it raises :class:`TrackDiffError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import TrackDiffError
from ..tracklets import Tracklets

log = logging.getLogger(__name__)

FRAME_POLICIES = ("resample", "error")


@dataclass(frozen=True)
class SlotBoxes:
    """``boxes float32[T, S, 4]`` (normalised x1 y1 x2 y2), ``colors float32[T, S, 3]`` (RGB 0-1), ``present bool[T, S]``."""

    boxes: torch.Tensor
    colors: torch.Tensor
    present: torch.Tensor

    @property
    def frames(self) -> int:
        return int(self.boxes.shape[0])

    @property
    def slots(self) -> int:
        return int(self.boxes.shape[1])


def check_tracklets(tracklets, slots: int, field: str = "tracklets") -> Tracklets:
    """The tracklets, if TrackDiffusion can use them with ``slots`` slots (else a clear error)."""
    if not isinstance(tracklets, Tracklets):
        raise TrackDiffError(field, type(tracklets).__name__, "is not TRACKLETS",
                             "connect a Tracklet Editor (or another node that outputs TRACKLETS)")
    if tracklets.num_objects == 0:
        raise TrackDiffError(field, tracklets, "has no objects",
                             "draw at least one box in the Tracklet Editor, or bypass this node")
    if tracklets.num_objects > slots:
        raise TrackDiffError(
            field, f"{tracklets.num_objects} objects", f"has more objects than the weights' {slots} slots",
            f"keep at most {slots} objects (each object takes one slot for the whole clip)")
    return tracklets


def slot_boxes(tracklets: Tracklets, slots: int, frames: int | None = None, frame_policy: str = "resample",
               field: str = "tracklets", ordered: bool = True) -> SlotBoxes:
    """Fill ``slots`` slots from ``tracklets`` (resampled to ``frames`` when given, following ``frame_policy``), by
    first appearance; with ``ordered=False`` every object in document order (for :func:`by_first_appearance` later)."""
    tracklets = check_tracklets(tracklets, slots, field)
    if frame_policy not in FRAME_POLICIES:
        raise TrackDiffError("frame_policy", frame_policy, "is not a frame policy", f"use one of {FRAME_POLICIES}")
    if frames is not None and frames != tracklets.num_frames:
        if frame_policy == "error":
            raise TrackDiffError(
                field, f"{tracklets.num_frames} frames", f"does not match the video's {frames} frames",
                f"set the editor's frame count to {frames}, or choose frame_mismatch = resample")
        log.warning("TrackDiffusion: tracklets have %d frames, the video %d: resampled (first to first, last to last)",
                    tracklets.num_frames, frames)
        tracklets = tracklets.resample(frames)
    order = slot_order(tracklets) if ordered else np.arange(tracklets.num_objects)
    return fill_slots(tracklets, order, slots)


def fill_slots(tracklets: Tracklets, order: np.ndarray, slots: int) -> SlotBoxes:
    """``slots`` slots holding the objects ``order`` lists (slot ``k`` ← object ``order[k]``), the rest empty."""
    t, n = tracklets.num_frames, len(order)
    boxes = np.zeros((t, slots, 4), dtype=np.float32)
    colors = np.zeros((t, slots, 3), dtype=np.float32)
    present = np.zeros((t, slots), dtype=bool)
    boxes[:, :n] = tracklets.boxes[:, order]
    colors[:, :n] = tracklets.colors[order][None]
    present[:, :n] = tracklets.visible[:, order]
    return SlotBoxes(torch.from_numpy(boxes), torch.from_numpy(colors), torch.from_numpy(present))


def appearance_order(visible) -> np.ndarray:
    """``int[K]``: the indices of the objects visible on some frame (``visible`` ``bool[T, N]``), by the first frame
    each is visible on, ties by index."""
    visible = np.asarray(visible, dtype=bool)
    shown = np.flatnonzero(visible.any(axis=0))
    first = visible[:, shown].argmax(axis=0)
    return shown[np.argsort(first, kind="stable")]


def slot_order(tracklets: Tracklets) -> np.ndarray:
    """Object indices by slot: first appearance on the tracklets' frames, ties in document order (module docstring)."""
    return appearance_order(tracklets.visible)


def by_first_appearance(slots: SlotBoxes) -> SlotBoxes:
    """``slots`` re-ordered by the rule (slot index standing for document order): for boxes changed after they were
    put in slots, e.g. a training crop that hides some of them."""
    order = torch.from_numpy(appearance_order(slots.present.numpy()))
    boxes, colors, present = (torch.zeros_like(v) for v in (slots.boxes, slots.colors, slots.present))
    n = len(order)
    boxes[:, :n], colors[:, :n], present[:, :n] = slots.boxes[:, order], slots.colors[:, order], slots.present[:, order]
    return SlotBoxes(boxes, colors, present)


def any_visible(tracklets: Tracklets) -> bool:
    return bool(np.asarray(tracklets.visible).any())

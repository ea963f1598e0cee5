"""Tracklets -> the per-frame, per-slot box arrays TrackDiffusion's box encoder reads.

Object identity is the **slot index**, the same slot on every frame. The order is the authors' data loader's
(``pixeli99/TrackDiffusion``, ``datasets/youtube_loader.py``: ``id_to_index_map`` over ``torch.unique`` of the clip's
instance ids): the objects present in the clip — visible on at least one of the frames the model runs, after
resampling — take slots ``0, 1, …`` in **increasing id** order, whatever their order in the document. With an instance
embedding in the weights (one learned row per slot, see :mod:`.box_encoder`) that order is part of what the model saw in
training. Slots the tracklets do not fill, and frames where an object is hidden, get the encoder's learned null features
(presence 0). More objects than the weights have slots is an error, never a silent drop.

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
               field: str = "tracklets") -> SlotBoxes:
    """Fill ``slots`` slots from ``tracklets`` (resampled to ``frames`` when given, following ``frame_policy``)."""
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
    order = slot_order(tracklets)
    t, n = tracklets.num_frames, len(order)
    boxes = np.zeros((t, slots, 4), dtype=np.float32)
    colors = np.zeros((t, slots, 3), dtype=np.float32)
    present = np.zeros((t, slots), dtype=bool)
    boxes[:, :n] = tracklets.boxes[:, order]
    colors[:, :n] = tracklets.colors[order][None]
    present[:, :n] = tracklets.visible[:, order]
    return SlotBoxes(torch.from_numpy(boxes), torch.from_numpy(colors), torch.from_numpy(present))


def slot_order(tracklets: Tracklets) -> np.ndarray:
    """Object indices by slot: the objects visible on some frame, in increasing id order (the authors' loader)."""
    seen = np.flatnonzero(np.asarray(tracklets.visible).any(axis=0))
    return seen[np.argsort(np.asarray(tracklets.ids)[seen], kind="stable")]


def any_visible(tracklets: Tracklets) -> bool:
    return bool(np.asarray(tracklets.visible).any())

"""The motion-fidelity entry of a batch item's ``meta.json``: how far the generated video strays from the item's
boxes, ObjMC-style, in pixels of the generated frames (see :mod:`trackdiff_core.motion.fidelity_report`).

The drawn motion is the item's boxes on the generated frames (the same tracklets its labels are written from), as a
grid of 9 points inside each box that moves and scales with it; for a mask + arrow item these are the boxes of its
moving masks. A video the measure cannot be taken on (an object hidden on the first frame of every box, one frame)
gets ``{"error": message}`` instead: the item itself is still written.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from ..errors import TrackDiffError
from ..motion.fidelity_report import fidelity_report, tracklet_points
from ..tracklets import Tracklets

log = logging.getLogger(__name__)


def item_fidelity(tracklets: Tracklets, frames: list[np.ndarray]) -> dict:
    """``{"mean_px", "lost_fraction", "frames", "width", "height", "per_object", "per_frame_px"}`` for BGR
    ``frames`` (as OpenCV decodes them) against ``tracklets``, or ``{"error": ...}``."""
    try:
        video = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in frames])
        drawn, objects = tracklet_points(tracklets)
        return fidelity_report(drawn, video, objects, object_lines=False).to_dict()
    except TrackDiffError as exc:
        log.warning("motion fidelity not measured: %s", exc)
        return {"error": str(exc)}

"""Editor documents seeded from a video's motion, so a person starts from what the video does and edits from there.

* The **box document** (``kind: tracklets``) holds each object's boxes with linear keyframes only where the motion
  bends (:func:`~trackdiff_core.motion.keyframes.bend_frames` on the 4 box coordinates, ``BOX_TOLERANCE`` in
  normalised units) and its visibility as frame ranges.
* The **mask + arrow document** (``kind: mask_arrows``) holds each object's mask on the first frame (run-length
  encoded) and a path through its centroid: the first frame's mean point position plus the object's displacement
  (:func:`~trackdiff_core.trajectories.group_displacements`), kept at the frames where it bends. A path is followed at
  even speed from ``start_frame`` (the last frame before the centroid moves) to ``end_frame`` (the first frame at which
  it has arrived), so holds at either end are kept; changes of speed in between are not (a limit of the arrow format:
  the box document keeps them).

The camera layer: when :data:`CAMERA_IN_DOCUMENTS` is on (it is), each document holds the objects' motion in the first
frame's scene (the camera removed) and, unless the camera mode is ``object_only``, the estimated camera under the
top-level ``"camera"`` key; the editors apply it. When it is off, the documents hold the motion as the output video
shows it (the camera mode applied) and no ``"camera"`` key. :func:`with_camera` is the one place that adds the key.
"""

from __future__ import annotations

import json

import numpy as np

from ..colors import rgb_to_hex
from ..document import dumps
from ..mask_arrow_document import MaskArrowDocument, MaskArrowObject
from ..masks import rle_encode
from ..tracklet_document import BoxKeyframe, BoxObject, TrackletDocument, _ranges
from ..tracklets import Tracklets
from ..trajectories import PointTrajectories, group_displacements
from .keyframes import bend_frames

# On: the editors' document parsers (trackdiff_core/camera.py, merged from branch ``camera``) read a top-level "camera".
CAMERA_IN_DOCUMENTS = True
BOX_TOLERANCE = 0.004  # normalised: about 4 px of a 1024-px frame
PATH_TOLERANCE = 0.004


def with_camera(document: dict, camera: dict | None) -> dict:
    """``document`` with the camera layer under ``"camera"`` when :data:`CAMERA_IN_DOCUMENTS` is on and a camera is
    given; otherwise ``document`` unchanged."""
    if CAMERA_IN_DOCUMENTS and camera is not None:
        return {**document, "camera": camera}
    return document


def box_document(tracklets: Tracklets, tolerance: float = BOX_TOLERANCE) -> TrackletDocument:
    """Keyframes where each object's box bends, visibility as ranges (see the module docstring)."""
    frames = tracklets.num_frames
    objects = []
    for n in range(tracklets.num_objects):
        boxes = tracklets.boxes[:, n].astype(np.float64)
        ranges = _ranges(tracklets.visible[:, n])
        keys = tuple(BoxKeyframe(int(f), tuple(float(round(v, 6)) for v in boxes[f]))
                     for f in bend_frames(boxes, tolerance))
        objects.append(BoxObject(
            id=tracklets.ids[n], label=tracklets.labels[n], color=rgb_to_hex(tracklets.colors[n]), keyframes=keys,
            visibility=None if ranges == [(0, frames - 1)] else tuple(ranges) if ranges else ((0, 0),),
        ))
    return TrackletDocument(frames, tuple(objects))


def centroid_paths(trajectories: PointTrajectories, count: int) -> np.ndarray:
    """``float64[T, count, 2]``: each object's centroid over time (first-frame mean + displacement), in [0, 1]."""
    points = trajectories.points.astype(np.float64)
    groups = trajectories.groups
    moves = group_displacements(points, trajectories.visible, groups, count).astype(np.float64)
    first = np.stack([points[0, groups == g].mean(axis=0) for g in range(count)])
    return np.clip(first[None] + moves, 0.0, 1.0)


def _move_span(path: np.ndarray, tolerance: float) -> tuple[int, int]:
    """First and last frame of the move: before ``start`` and after ``end`` the centroid holds (within tolerance)."""
    moved = np.abs(path - path[0]).max(axis=1) > tolerance
    arrived = np.abs(path - path[-1]).max(axis=1) <= tolerance
    if not moved.any():
        return 0, len(path) - 1
    start = max(0, int(np.argmax(moved)) - 1)
    later = np.flatnonzero(~arrived)
    end = int(later[-1]) + 1 if later.size else len(path) - 1
    return start, max(end, start + 1) if len(path) > 1 else start


def mask_arrow_document(trajectories: PointTrajectories, masks: np.ndarray, objects: list[dict],
                        tolerance: float = PATH_TOLERANCE) -> MaskArrowDocument:
    """Each object's first-frame mask and a path through its centroid (see the module docstring)."""
    frames = trajectories.num_frames
    paths = centroid_paths(trajectories, len(masks))
    out = []
    for n, (mask, identity) in enumerate(zip(masks, objects)):
        path = paths[:, n]
        start, end = _move_span(path, tolerance)
        if np.abs(path - path[0]).max() <= tolerance or frames == 1:
            points, start, end = (tuple(float(round(v, 6)) for v in path[0]),), 0, frames - 1
        else:
            keep = [f for f in bend_frames(path[start:end + 1], tolerance)]
            points = tuple(tuple(float(round(v, 6)) for v in path[start + f]) for f in keep)
        out.append(MaskArrowObject(identity["id"], identity["label"], identity["color"], tuple(points),
                                   rle_encode(mask), "linear", start, end))
    return MaskArrowDocument(frames, tuple(out))


def seed_documents(motion) -> tuple[str, str]:
    """``(box document JSON, mask + arrow document JSON)`` of a :class:`~.video_motion.VideoMotion`."""
    use_scene = CAMERA_IN_DOCUMENTS
    tracklets = motion.scene_tracklets if use_scene else motion.tracklets
    trajectories = motion.scene if use_scene else motion.trajectories
    camera = motion.camera if motion.camera_mode != "object_only" else None
    boxes = with_camera(box_document(tracklets).to_json(), camera)
    if motion.masks is not None:
        arrows = mask_arrow_document(trajectories, motion.masks, motion.objects).to_json()
    else:
        arrows = MaskArrowDocument(trajectories.num_frames, ()).to_json()
    return dumps(boxes), dumps(with_camera(arrows, camera))


def camera_json(camera: dict) -> str:
    return json.dumps(camera, separators=(",", ":"))

"""ComfyUI's core ``TRACKS`` type: ``{"track_path": float[T, P, 2] pixels, "track_visibility": bool[T, P]}``.

This is what core's ``GenerateTracks``, ``WanMoveTracksFromCoords`` and ``WanMoveTrackToVideo`` produce and consume, so
points made here flow into those nodes and back. Pixel coordinates are at an explicit ``width`` × ``height`` (the
generation size): ``x_px = x * width``. Core nodes ignore keys they do not know; TrackDiff adds two, so its own nodes can
recover what a plain ``TRACKS`` dict cannot carry:

* ``"trackdiff_groups"``: ``int64[P]``, the object each point belongs to;
* ``"trackdiff_objects"``: per object ``{"id", "label", "color"}``; the camera layer's background group is marked
  ``"background": true`` (it is last);
* ``"trackdiff_camera"``: with a camera layer, ``float64[T, 3, 3]`` screen-from-scene matrices in pixels of the tracks'
  size (:mod:`trackdiff_core.camera`).

Visibility may be ``[T, P]``, ``[T, 1]`` (one flag per frame, as core's nodes make from a mask) or absent (all visible).
A point marked visible outside the frame is treated as hidden, as core's own track embedding does.
"""

from __future__ import annotations

import logging

import numpy as np

from ..camera import normalized_matrices, pixel_matrices
from ..colors import hex_to_rgb, palette_color, rgb_to_hex
from ..errors import TrackDiffError
from ..tracklets import Tracklets
from ..trajectories import PointTrajectories
from ..trackgo_points import tracklets_to_trajectories
from ..validate import float_array, frame_size, to_numpy

log = logging.getLogger(__name__)

GROUPS_KEY = "trackdiff_groups"
OBJECTS_KEY = "trackdiff_objects"
CAMERA_KEY = "trackdiff_camera"


def trajectories_to_tracks(trajectories: PointTrajectories, width: int, height: int, objects=None) -> dict:
    """A core ``TRACKS`` dict (torch tensors) at ``width`` × ``height``."""
    import torch

    out = {
        "track_path": torch.from_numpy(trajectories.to_pixels(width, height).copy()),
        "track_visibility": torch.from_numpy(trajectories.visible.copy()),
        GROUPS_KEY: torch.from_numpy(trajectories.groups.copy()),
    }
    if objects is not None:
        out[OBJECTS_KEY] = [dict(o) for o in objects]
    return out


def trajectories_from_tracks(tracks, width: int, height: int, field: str = "tracks") -> PointTrajectories:
    """Read a core ``TRACKS`` dict whose pixels are at ``width`` × ``height``."""
    w, h = frame_size(width, height)
    if not isinstance(tracks, dict) or "track_path" not in tracks:
        raise TrackDiffError(field, tracks, 'is not a TRACKS dict with a "track_path"', "connect a TRACKS output")
    path = float_array(tracks["track_path"], f"{field}.track_path", 3, 2, fix="give track_path as [frames, points, 2]")
    frames, count = path.shape[:2]
    if frames < 1:
        raise TrackDiffError(f"{field}.track_path", path, "has no frames", "give at least one frame")
    visible = tracks.get("track_visibility")
    if visible is None:
        visible = np.ones((frames, count), dtype=bool)
    else:
        visible = to_numpy(visible).astype(bool)
        if visible.ndim == 1 and visible.shape[0] == frames:
            visible = visible[:, None]
        if visible.shape == (frames, 1):
            visible = np.repeat(visible, count, axis=1)
        if visible.shape != (frames, count):
            raise TrackDiffError(
                f"{field}.track_visibility", visible, f"must be shaped [{frames}, {count}] or [{frames}, 1]",
                "give one visibility flag per frame and point",
            )
    points = path / np.array([w, h], dtype=np.float32)
    outside = ((points < 0.0) | (points > 1.0)).any(axis=-1) & visible
    if outside.any():
        log.warning(
            "%s: %d visible point(s) lie outside the %dx%d frame; they are treated as hidden there (as core's track "
            "embedding does). Check that width and height match the size the tracks were made at.",
            field, int(outside.sum()), w, h,
        )
        visible = visible & ~outside
    groups = tracks.get(GROUPS_KEY)
    if groups is not None:
        groups = to_numpy(groups)
        if groups.shape != (count,):
            raise TrackDiffError(f"{field}.{GROUPS_KEY}", groups, f"must hold {count} group numbers", "drop the key")
    return PointTrajectories(points, visible, groups)


def tracklets_to_tracks(tracklets: Tracklets, width: int, height: int, points_per_box: int = 1, corners: bool = False) -> dict:
    """Box tracklets as point tracks: ``points_per_box`` points on a grid inside each box (1 = the centre), or, with
    ``corners``, the top-left and bottom-right corners (which :func:`tracklets_from_tracks` inverts exactly)."""
    if corners:
        b = tracklets.boxes
        points = np.stack([b[..., 0:2], b[..., 2:4]], axis=2).reshape(tracklets.num_frames, -1, 2)
        visible = np.repeat(tracklets.visible, 2, axis=1)
        groups = np.repeat(np.arange(tracklets.num_objects, dtype=np.int64), 2)
        trajectories = PointTrajectories(points, visible, groups)
    else:
        trajectories = tracklets_to_trajectories(tracklets, points_per_box)
    objects = [
        {"id": i, "label": label, "color": rgb_to_hex(color)}
        for i, label, color in zip(tracklets.ids, tracklets.labels, tracklets.colors)
    ]
    tracks = trajectories_to_tracks(trajectories, width, height, objects)
    if tracklets.camera is not None:
        import torch

        tracks[CAMERA_KEY] = torch.from_numpy(pixel_matrices(tracklets.camera, width, height))
    return tracks


def camera_from_tracks(tracks, frames: int, width: int, height: int) -> np.ndarray | None:
    """The ``trackdiff_camera`` of ``tracks`` as normalised matrices, when it holds one per frame (else ``None``)."""
    camera = tracks.get(CAMERA_KEY) if isinstance(tracks, dict) else None
    if camera is None:
        return None
    camera = to_numpy(camera).astype(np.float64)
    if camera.shape != (frames, 3, 3) or not np.isfinite(camera).all():
        log.warning("tracks.%s is not one finite 3×3 matrix per frame; the camera is left out", CAMERA_KEY)
        return None
    return normalized_matrices(camera, width, height)


def tracklets_from_tracks(tracks, width: int, height: int, box_size: float = 0.1, field: str = "tracks") -> Tracklets:
    """Boxes from point tracks: per group (or per point, without groups) the bounding box of its visible points.

    Along an axis where a group has no extent (a single point, or points on one line) the box gets ``box_size``
    (normalised) centred on it. Identity comes from ``trackdiff_objects`` when present, else ids 0, 1, … with palette colours.
    A camera layer's background group is not an object and gives no box; the camera itself is kept.
    """
    trajectories = trajectories_from_tracks(tracks, width, height, field)
    groups = trajectories.groups if tracks.get(GROUPS_KEY) is not None else np.arange(trajectories.num_points)
    count = int(groups.max()) + 1 if len(groups) else 0
    objects = tracks.get(OBJECTS_KEY)
    if objects is not None and len(objects) == count and count and objects[-1].get("background"):
        objects, count = list(objects[:-1]), count - 1  # the background group is the last one
    frames = trajectories.num_frames
    boxes = np.zeros((frames, count, 4), dtype=np.float32)
    visible = np.zeros((frames, count), dtype=bool)
    half = float(box_size) / 2.0
    for g in range(count):
        pts = trajectories.points[:, groups == g]
        vis = trajectories.visible[:, groups == g]
        for t in range(frames):
            p = pts[t][vis[t]] if vis[t].any() else pts[t]
            lo, hi = p.min(axis=0), p.max(axis=0)
            flat = hi - lo <= 0  # per axis: a single point, or points on one line
            lo, hi = np.where(flat, lo - half, lo), np.where(flat, hi + half, hi)
            boxes[t, g] = np.clip([lo[0], lo[1], hi[0], hi[1]], 0.0, 1.0)
            visible[t, g] = bool(vis[t].any())
    if objects is not None and len(objects) == count:
        ids = [int(o["id"]) for o in objects]
        labels = [str(o.get("label", "")) for o in objects]
        colors = [hex_to_rgb(o.get("color", palette_color(i))) for i, o in enumerate(objects)]
    else:
        ids, labels, colors = list(range(count)), [""] * count, None
    return Tracklets(boxes, visible, ids, labels, colors, camera_from_tracks(tracks, frames, width, height))

"""Tracks From Video's logic: a video (and optional object masks) -> tracked points at a frame count and size, boxes
per object, and the camera, with the camera kept, removed or alone.

Steps:

1. frames and masks are checked and brought to a bounded size (:mod:`.video_input`); query points are sampled on the
   first frame, K inside each mask or a grid without masks;
2. the points are tracked through every frame (:func:`~trackdiff_core.motion.track_points`) and the camera estimated
   on the background, i.e. outside the masks (:func:`~trackdiff_core.motion.estimate_camera`), as homographies
   ``H_t`` from frame 0 to frame ``t``;
3. the camera mode picks what moves the points:

   * ``object_and_camera``: the tracked positions, as the video shows them;
   * ``object_only``: each position brought back through ``H_t⁻¹``, i.e. in the first frame's scene: the camera's
     motion is removed, the object's own remains;
   * ``camera_only``: each first-frame point moved by ``H_t`` alone, as if the objects stood still in the scene;

   a point that lands outside the frame is hidden there;
4. with masks, ``background_grid`` adds the camera's background points as a last group (``"background": true``, as
   the editors' camera layer makes them): a grid (:func:`~trackdiff_core.camera_tracks.background_grid_points`)
   outside every mask, moved by the camera alone in ``object_and_camera`` and ``camera_only`` and held still in
   ``object_only``, so a target moves the rest of the scene as the video's camera does (or keeps it still);
5. everything is resampled to ``frame_count`` with the pack's resample rule (first to first, last to last; positions
   linear, visibility nearest) and kept normalised; TRACKS are pixels of the output size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..camera_tracks import (
    BACKGROUND_COLOR,
    BACKGROUND_LABEL,
    background_grid_points,
    check_background_grid,
    outside_masks,
)
from ..colors import palette_color
from ..document import MAX_FRAMES
from ..errors import TrackDiffError
from ..masks import resize_masks
from ..tracklets import Tracklets
from ..trajectories import PointTrajectories, resample_frames
from ..validate import integer
from .camera_keys import camera_from_homographies
from .object_boxes import mask_boxes, object_tracklets
from .video_input import object_masks, query_points, video_frames

CAMERA_MODES = ("object_and_camera", "object_only", "camera_only")


@dataclass(frozen=True)
class VideoMotion:
    """What a video's motion gives, all normalised and at ``frame_count`` frames.

    Attributes:
        trajectories: the points as the camera mode asks (screen coordinates of the output video), and the background
            group last when there is one.
        scene: the same points with the camera removed (object motion in the first frame's scene; held still for
            ``camera_only``): what an editor document carrying the camera layer holds.
        objects: per object ``{"id", "label", "color"}`` (the background group's with ``"background": True``).
        masks: ``bool[N, h, w]`` object masks on the first frame (tracking size), or ``None`` (grid).
        tracklets: a box per masked object per frame, following ``trajectories`` (no objects without masks).
        scene_tracklets: the boxes following ``scene``.
        camera: the estimated camera as a camera-layer dict (keyframes where it bends) on ``frame_count`` frames.
        camera_mode: the mode used.
        video: ``uint8[T, h, w, 3]`` the frames as tracked (for the preview).
    """

    trajectories: PointTrajectories
    scene: PointTrajectories
    objects: list[dict]
    masks: np.ndarray | None
    tracklets: Tracklets
    scene_tracklets: Tracklets
    camera: dict
    camera_mode: str
    video: np.ndarray

    def group_masks(self) -> np.ndarray:
        """``bool[G, h, w]``: one mask per group of ``trajectories``: the objects' masks and, for the background group,
        everything outside them (as the editors' camera layer gives it). Only with masks."""
        masks = np.asarray(self.masks, dtype=bool)
        if any(o.get("background") for o in self.objects):
            masks = np.concatenate([masks, ~masks.any(axis=0)[None]])
        return masks.copy()


def _transform(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``points[T, P, 2]`` (or ``[P, 2]`` for every frame) through ``matrices[T, 3, 3]``."""
    if points.ndim == 2:
        points = np.broadcast_to(points, (len(matrices),) + points.shape)
    out = np.einsum("tij,tpj->tpi", matrices[:, :2, :2], points) + matrices[:, None, :2, 2]
    w = np.einsum("tj,tpj->tp", matrices[:, 2, :2], points) + matrices[:, None, 2, 2]
    return out / np.where(np.abs(w) < 1e-12, 1e-12, w)[..., None]


def _inside(points: np.ndarray) -> np.ndarray:
    return ((points >= 0.0) & (points <= 1.0)).all(axis=-1)


def _normalised_homographies(homographies: np.ndarray, width: int, height: int) -> np.ndarray:
    scale = np.diag([float(width), float(height), 1.0])
    return np.linalg.inv(scale) @ np.asarray(homographies, dtype=np.float64) @ scale


def _trajectories(points, visible, groups, frame_count) -> PointTrajectories:
    points, visible = resample_frames(points, frame_count, visible)
    visible = visible & _inside(points)
    return PointTrajectories(points.astype(np.float32), visible, groups)


def motion_from_video(frames, masks=None, mask_layout: str = "one_per_object", points_per_object: int = 16,
                      frame_count: int = 14, width: int = 1024, height: int = 576,
                      camera_mode: str = "object_and_camera", grid_size: int = 8, seed: int = 0,
                      tracker_config=None, background_grid: int = 0) -> VideoMotion:
    """Read the motion of ``frames`` (see the module docstring); ``width`` × ``height`` is the output size, used for
    the camera fit (the returned motion is normalised)."""
    from . import estimate_camera, track_points

    background_grid = check_background_grid(background_grid)
    if camera_mode not in CAMERA_MODES:
        raise TrackDiffError("camera_mode", camera_mode, "is not a known mode", f"use one of {', '.join(CAMERA_MODES)}")
    frame_count = integer(frame_count, "frame_count", 1, MAX_FRAMES, fix=f"use 1 to {MAX_FRAMES} frames")
    width = integer(width, "width", 16, 16384, fix="give the output width in pixels (16 to 16384)")
    height = integer(height, "height", 16, 16384, fix="give the output height in pixels (16 to 16384)")
    source_shape = tuple(getattr(frames, "shape", np.shape(frames[0]) if isinstance(frames, (list, tuple)) and frames
                                 else ()))
    video = video_frames(frames)
    source_h, source_w = (source_shape[-3], source_shape[-2]) if len(source_shape) >= 3 else video.shape[1:3]
    masks = object_masks(masks, mask_layout, int(source_w), int(source_h))
    track_h, track_w = video.shape[1:3]
    if masks is not None:
        masks = resize_masks(masks, track_w, track_h)
        if not all(m.any() for m in masks):  # a mask of a few pixels can vanish when a huge video is scaled down
            raise TrackDiffError("masks", "a mask too small", "vanishes at the tracking size", "paint larger masks")
    starts, groups = query_points(masks, points_per_object, grid_size, seed)
    size = np.array([track_w, track_h], dtype=np.float64)
    queries = np.concatenate([np.zeros((len(starts), 1)), starts * size], axis=1)
    tracked = track_points(video, queries, tracker_config)
    foreground = masks.any(axis=0) if masks is not None else None
    camera = estimate_camera(video, tracker_config, mask=foreground)
    homographies = _normalised_homographies(camera.homographies, track_w, track_h)

    raw = np.asarray(tracked.points, dtype=np.float64) / size
    seen = np.asarray(tracked.visible, dtype=bool)
    scene = _transform(np.linalg.inv(homographies), raw)
    if camera_mode == "object_and_camera":
        screen, screen_visible = raw, seen
    elif camera_mode == "object_only":
        screen, screen_visible = scene, seen
    else:
        screen = _transform(homographies, starts)
        screen_visible = np.ones_like(seen)
        scene = np.broadcast_to(starts, raw.shape).copy()
    scene_visible = seen if camera_mode != "camera_only" else np.ones_like(seen)

    objects = ([{"id": i, "label": "", "color": palette_color(i)} for i in range(len(masks))] if masks is not None
               else [{"id": 0, "label": "grid", "color": palette_color(0)}])
    trajectories = _trajectories(screen, screen_visible, groups, frame_count)
    scene_trajectories = _trajectories(scene, scene_visible, groups, frame_count)
    first_boxes = mask_boxes(masks) if masks is not None else np.zeros((0, 4))
    box_objects = objects if masks is not None else []

    def boxes(traj: PointTrajectories) -> Tracklets:
        return object_tracklets(traj.points, traj.visible, starts, groups, first_boxes, box_objects)

    object_boxes = boxes(trajectories)
    if masks is not None and background_grid:
        background = _background(homographies, camera_mode, masks, width, height, background_grid, frame_count)
        trajectories = PointTrajectories.concatenate([trajectories, background])
        objects = objects + [{"id": len(objects), "label": BACKGROUND_LABEL, "color": BACKGROUND_COLOR,
                              "background": True}]
    camera_dict = camera_from_homographies(_pixels(homographies, width, height), width, height, frame_count)
    return VideoMotion(trajectories, scene_trajectories, objects, masks, object_boxes, boxes(scene_trajectories),
                       camera_dict, camera_mode, video)


def _background(homographies, camera_mode: str, masks, width: int, height: int, grid: int,
                frame_count: int) -> PointTrajectories:
    """The background group: grid points (at the output size) outside every mask, moved by the camera alone (held
    still in ``object_only``), hidden off screen."""
    points = background_grid_points(width, height, grid)
    points = points[outside_masks(points, masks)]
    moves = homographies if camera_mode != "object_only" else np.repeat(np.eye(3)[None], len(homographies), 0)
    screen = _transform(moves, points)
    return _trajectories(screen, np.ones(screen.shape[:2], dtype=bool), np.zeros(len(points), np.int64), frame_count)


def _pixels(normalised: np.ndarray, width: int, height: int) -> np.ndarray:
    scale = np.diag([float(width), float(height), 1.0])
    return scale @ normalised @ np.linalg.inv(scale)

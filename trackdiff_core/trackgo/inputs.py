"""``MaskArrowToTrajectories``'s logic: masks + arrows (from the editor's document, a STRING of paths, or core TRACKS)
-> TrackGo point trajectories, as a core ``TRACKS`` dict that keeps each point's object and each object's mask.

Where the arrows come from:

* **the document** (``mask_arrows_json``, the drawing widget's state): each object has a path and either a painted mask
  or ``null``, which takes the next mask of the MASK input (the counts must match exactly);
* **a STRING of paths** (``arrows``): coordinate JSON ``[[{"x", "y"}, ...], ...]`` in pixels of ``width`` × ``height``
  (KJNodes' spline editor, core ``WanMoveTracksFromCoords``); path ``i`` moves mask ``i`` with the ``timing`` curve.
  Entries may have any lengths (each is its own polyline). When every entry has exactly ``frame_count`` points (and
  ``frame_count > 2``) they are read as one position per frame instead (:func:`per_frame_positions`);
* **core TRACKS** (``tracks``): each object (TrackDiff's groups, else each track; with a single mask, all tracks
  together) moves by its displacement (the mean step of its points visible on both frames of each step), resampled
  to the frame count.

With a STRING or TRACKS, the masks come from the MASK input (one per object, or a label map); there must be exactly one
arrow per mask. Each mask gets ``K · s`` points (farthest-point sampling, seeded per object: see
:mod:`trackdiff_core.trackgo_points`).

From the document, an anchor follows only its first path point (it holds still), and a ``"point"`` object is one track
from ``path[0]`` whose mask is the one pixel under it. With the document's **camera layer**, every object point is then
moved by the camera (a screen anchor is not), and a background group comes last: grid points outside every object's
mask moved by the camera alone (:mod:`trackdiff_core.camera_tracks`), whose mask is everything outside the objects. The
TRACKS then carry the camera as ``trackdiff_camera``: ``float64[T, 3, 3]`` screen-from-scene matrices in pixels of
``trackdiff_size``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..camera import normalized_matrices
from ..camera_tracks import (
    BACKGROUND_COLOR,
    BACKGROUND_LABEL,
    DEFAULT_BACKGROUND_GRID,
    background_trajectories,
    check_background_grid,
    compose_with_camera,
)
from ..colors import palette_color
from ..errors import TrackDiffError, join_field
from ..formats.coords_json import parse_coords
from ..formats.tracks_dict import CAMERA_KEY, GROUPS_KEY, trajectories_from_tracks, trajectories_to_tracks
from ..mask_arrow_document import MaskArrowDocument
from ..masks import as_masks, require_nonempty, resize_masks, split_label_map
from ..timing import check_timing, frame_positions
from ..trackgo_points import masks_and_paths_to_trajectories, sample_points_in_mask
from ..trajectories import PointTrajectories, group_displacements, resample_frames
from ..document import MAX_OBJECTS
from ..validate import frame_size, integer, to_numpy
from .guide import MASKS_KEY, SIZE_KEY

MASK_LAYOUTS = ("one_per_object", "label_map")
# Bounds on what one run may build, so any allowed input runs in bounded memory and time (or stops with a clear error):
MAX_MASK_PIXELS = 1 << 27  # all objects' masks at width × height together (128 MB as bool; 1024 × 576 × 227 objects)
MAX_POINT_FRAMES = 1 << 24  # frames × points in the TRACKS (128 MB as float32 x, y)


def check_budget(objects: int, width: int, height: int, frames: int, points: int) -> None:
    """A clear error when the masks or the trajectories would be larger than the bounds above."""
    if objects * width * height > MAX_MASK_PIXELS:
        raise TrackDiffError(
            "width × height", f"{width}×{height} for {objects} masks",
            f"would keep {objects * width * height / 1e6:.0f} M mask pixels (at most {MAX_MASK_PIXELS / 1e6:.1f} M)",
            "use the generation size (SVD: 1024×576) or fewer objects")
    if frames * objects * points > MAX_POINT_FRAMES:
        raise TrackDiffError(
            "K · s × objects × frame_count", f"{points} × {objects} × {frames}",
            f"is more than {MAX_POINT_FRAMES} point positions", "lower K or s, or frame_count")


@dataclass(frozen=True)
class TrackGoObjects:
    """The result: trajectories, each object's mask (at ``width`` × ``height``), its path for previews, identity."""

    trajectories: PointTrajectories
    masks: np.ndarray  # bool[N, height, width]
    paths: list[np.ndarray]  # N polylines, normalised (the arrow; for TRACKS input the objects' mean paths)
    objects: list[dict]  # N × {"id", "label", "color"} (+ "background": True for the camera's background group)
    width: int
    height: int
    camera: np.ndarray | None = None  # float64[T, 3, 3] pixel matrices of the document's camera layer

    @property
    def drawn_objects(self) -> int:
        """How many objects were drawn (the background group, when there is one, comes after them)."""
        return sum(1 for o in self.objects if not o.get("background"))

    def to_tracks(self) -> dict:
        """A core TRACKS dict in pixels of ``width`` × ``height``, with TrackDiff's groups, objects, size and masks
        (and the camera, when the document has one)."""
        import torch

        tracks = trajectories_to_tracks(self.trajectories, self.width, self.height, self.objects)
        tracks[SIZE_KEY] = [self.width, self.height]
        tracks[MASKS_KEY] = torch.from_numpy(self.masks.copy())
        if self.camera is not None:
            tracks[CAMERA_KEY] = torch.from_numpy(np.array(self.camera, dtype=np.float64))
        return tracks


def read_masks(masks, layout: str, field: str = "masks") -> np.ndarray | None:
    """``bool[N, H, W]`` from a MASK batch (one per object) or a label map (one object per non-zero label)."""
    if masks is None:
        return None
    if layout not in MASK_LAYOUTS:
        raise TrackDiffError("mask_layout", layout, "is not a known layout", f"use one of {', '.join(MASK_LAYOUTS)}")
    if layout == "label_map":
        distinct = np.unique(to_numpy(masks))
        if np.count_nonzero(distinct) > MAX_OBJECTS:  # each label becomes a full-size mask: bound them first
            raise TrackDiffError(field, f"{np.count_nonzero(distinct)} distinct values",
                                 f"is not a label map of at most {MAX_OBJECTS} objects (one value per object)",
                                 "give a label image with one whole-number value per object, or use one_per_object")
        return split_label_map(masks, field)[0]
    return as_masks(masks, field)


def _identity(count: int) -> list[dict]:
    return [{"id": i, "label": "", "color": palette_color(i)} for i in range(count)]


def _check_counts(arrows: int, masks: int, source: str) -> None:
    if arrows != masks:
        more = "arrows than masks" if arrows > masks else "masks than arrows"
        raise TrackDiffError(source, f"{arrows} arrows for {masks} masks", f"there are more {more}",
                             "give exactly one arrow (or one anchor point) per mask")


def _paths_from_string(arrows: str, width: int, height: int) -> list[np.ndarray]:
    tracks = parse_coords(arrows, "arrows", equal_lengths=False)  # each entry is its own polyline: any lengths
    paths = []
    for index, track in enumerate(tracks):
        path = np.asarray(track, dtype=np.float64) / np.array([width, height], dtype=np.float64)
        outside = ((path < 0.0) | (path > 1.0)).any(axis=-1)
        if outside.any():
            point = int(np.argmax(outside))
            raise TrackDiffError(
                f"arrows[{index}][{point}]", list(track[point]), f"lies outside the {width}×{height} frame",
                "keep arrows inside the image, or set width and height to the size the arrows were drawn at",
            )
        paths.append(path.astype(np.float32))
    return paths


def per_frame_positions(paths: list[np.ndarray], frames: int) -> bool:
    """Whether the arrows STRING holds one position per frame rather than paths: every entry has exactly
    ``frame_count`` points (and more than 2, where the two readings differ). Coordinates sampled once per frame
    (KJNodes' spline editor with ``points_to_sample`` = the frame count, core ``WanMoveTracksFromCoords``' input) then
    keep their own timing; anything else is a polyline followed at even pixel speed with the ``timing`` curve."""
    return frames > 2 and all(len(p) == frames for p in paths)


def _object_paths_from_tracks(tracks: dict, width: int, height: int, frames: int, masks: int) -> list[np.ndarray]:
    """Per object, its path: the first frame's mean position of its points plus the object's displacement
    (:func:`~trackdiff_core.trajectories.group_displacements`: steps of points visible on both frames, so points that
    hide or appear never move it), resampled to ``frames`` with the one resample rule.

    Objects are TrackDiff's groups when the tracks carry them; otherwise each track is an object, except that with a
    single mask all tracks move it together (e.g. core ``GenerateTracks``' bundle of parallel tracks)."""
    size = tracks.get(SIZE_KEY) if isinstance(tracks, dict) else None
    w, h = (int(size[0]), int(size[1])) if size is not None else (width, height)
    trajectories = trajectories_from_tracks(tracks, w, h, "tracks")
    if trajectories.num_points == 0:
        raise TrackDiffError("tracks", "0 points", "hold no track", "connect tracks with at least one point")
    if tracks.get(GROUPS_KEY) is not None:
        groups = trajectories.groups
    elif masks == 1:
        groups = np.zeros(trajectories.num_points, np.int64)
    else:
        groups = np.arange(trajectories.num_points)
    count = int(groups.max()) + 1
    _check_counts(count, masks, "tracks")  # before any per-object work
    moves = group_displacements(trajectories.points, trajectories.visible, groups, count)  # [T, N, 2]
    moves, _ = resample_frames(moves, frames)
    paths = []
    for g in range(count):
        first = trajectories.points[0, groups == g]
        seen = trajectories.visible[0, groups == g]
        start = (first[seen] if seen.any() else first).mean(axis=0)
        paths.append((start[None] + moves[:, g]).astype(np.float32))
    return paths


def _move_by_paths(masks: np.ndarray, paths: list[np.ndarray], frames: int, points: int, seed: int) -> PointTrajectories:
    """Points in each mask, moved by its per-frame path (one position per frame) relative to the path's start."""
    all_points, groups = [], []
    for index, (mask, path) in enumerate(zip(masks, paths)):
        start = sample_points_in_mask(mask, points, seed, index, join_field("masks", index))
        move = (path - path[:1]).astype(np.float32)
        all_points.append(start[None] + move[:, None])
        groups.append(np.full(len(start), index, dtype=np.int64))
    stacked = np.concatenate(all_points, axis=1)
    visible = ((stacked >= 0.0) & (stacked <= 1.0)).all(axis=-1)
    return PointTrajectories(stacked, visible, np.concatenate(groups))


def build_objects(
    document: MaskArrowDocument | None, masks=None, mask_layout: str = "one_per_object", arrows: str | None = None,
    tracks: dict | None = None, points_k: int = 8, points_s: int = 4, seed: int = 0, frame_count: int = 14,
    timing: str = "linear", width: int = 1024, height: int = 576, background_grid: int = DEFAULT_BACKGROUND_GRID,
) -> TrackGoObjects:
    """Masks + arrows -> :class:`TrackGoObjects` (the rules are in the module docstring)."""
    width, height = frame_size(width, height)
    frames = integer(frame_count, "frame_count", 1, 4096, fix="use between 1 and 4096 frames")
    points = integer(points_k, "K", 1, 4096) * integer(points_s, "s", 1, 64)
    if points > 4096:
        raise TrackDiffError("K · s", points, "is more than 4096 points per object", "lower K or s")
    timing = check_timing(timing, "timing")
    background_grid = check_background_grid(background_grid)
    external = read_masks(masks, mask_layout)
    if arrows is not None and not str(arrows).strip():
        arrows = None
    if arrows is not None and tracks is not None:
        raise TrackDiffError("arrows / tracks", "both connected", "give the arrows one way only",
                             "connect either the arrows STRING or the tracks")
    if arrows is not None or tracks is not None:
        source = "arrows" if arrows is not None else "tracks"
        if external is None:
            raise TrackDiffError("masks", None, f"are needed with {source} (they say which region each arrow moves)",
                                 "connect a MASK batch with one mask per arrow, or a label map")
        require_nonempty(external, "masks")
        check_budget(len(external), width, height, frames, points)
        fitted = resize_masks(external, width, height)
        if arrows is not None:
            paths = _paths_from_string(arrows, width, height)
            _check_counts(len(paths), len(fitted), "arrows")
            if per_frame_positions(paths, frames):
                trajectories = _move_by_paths(fitted, paths, frames, points, seed)
            else:
                trajectories = masks_and_paths_to_trajectories(fitted, paths, frames, points, seed, timing)
        else:
            paths = _object_paths_from_tracks(tracks, width, height, frames, len(fitted))
            _check_counts(len(paths), len(fitted), "tracks")
            trajectories = _move_by_paths(fitted, paths, frames, points, seed)
        return TrackGoObjects(trajectories, fitted, paths, _identity(len(paths)), width, height)

    document = document if document is not None else MaskArrowDocument(14, ())
    return _document_objects(document, external, frames, points, seed, width, height, background_grid)


def _point_mask(point, width: int, height: int) -> np.ndarray:
    """The one pixel under a normalised point, as a mask at ``width`` × ``height``."""
    mask = np.zeros((height, width), dtype=bool)
    mask[min(int(point[1] * height), height - 1), min(int(point[0] * width), width - 1)] = True
    return mask


def _document_objects(document: MaskArrowDocument, external, frames: int, points: int, seed: int, width: int,
                      height: int, background_grid: int) -> TrackGoObjects:
    taken = list(external) if external is not None else []
    wanted = sum(1 for obj in document.objects if obj.mask is None and obj.shape == "mask")
    if wanted != len(taken):
        raise TrackDiffError(
            "masks", f"{len(taken)} masks for {wanted} objects without a painted mask",
            "the MASK input does not match the objects that take their mask from it"
            + (" (more masks than arrows)" if len(taken) > wanted else " (more arrows than masks)"),
            "connect one mask per object that has no painted mask (or paint them in the editor)",
        )
    if not document.objects and document.camera is None:
        empty = PointTrajectories(np.zeros((frames, 0, 2), np.float32), groups=np.zeros(0, np.int64))
        return TrackGoObjects(empty, np.zeros((0, height, width), bool), [], [], width, height)
    check_budget(len(document.objects) + (document.camera is not None), width, height, frames, points)
    fitted, paths, timings, windows = [], [], [], []
    supply = iter(taken)
    for index, obj in enumerate(document.objects):
        if obj.shape == "point":
            fitted.append(_point_mask(obj.path[0], width, height))
        else:
            mask = obj.decoded_mask(f"mask_arrows_json.objects[{index}].mask")
            mask = next(supply) if mask is None else mask
            if not mask.any():
                raise TrackDiffError(f"masks[{index}]", "empty mask", "has no pixel set",
                                     "paint the object's region, or remove the object")
            fitted.append(resize_masks(mask[None], width, height)[0])
        paths.append(np.asarray(obj.motion_path, dtype=np.float32))
        timings.append(obj.timing)
        windows.append((obj.start_frame, document.end_frame(obj)))
    fitted = np.stack(fitted) if fitted else np.zeros((0, height, width), bool)
    objects = [{"id": o.id, "label": o.label, "color": o.color} for o in document.objects]
    if document.objects:
        trajectories = masks_and_paths_to_trajectories(fitted, paths, frames, points, seed, timings, windows,
                                                       document.frame_count)
        trajectories = _single_points(trajectories, document)
    else:
        trajectories = PointTrajectories(np.zeros((frames, 0, 2), np.float32), groups=np.zeros(0, np.int64))
    if document.camera is None:
        return TrackGoObjects(trajectories, fitted, paths, objects, width, height)
    positions = frame_positions(document.frame_count, frames)
    camera = document.camera.matrices(positions, width, height)
    normalised = normalized_matrices(camera, width, height)
    moves = np.array([document.objects[g].moves_with_camera for g in trajectories.groups], dtype=bool)
    screen, visible = compose_with_camera(trajectories.points, normalised, moves)
    trajectories = PointTrajectories(screen, visible, trajectories.groups)
    outside = ~fitted.any(axis=0) if len(fitted) else np.ones((height, width), bool)
    background = background_trajectories(normalised, width, height, background_grid, masks=fitted)
    if background.num_points and outside.any():
        trajectories = PointTrajectories.concatenate([trajectories, background]) if document.objects else background
        fitted = np.concatenate([fitted, outside[None]])
        objects.append({"id": max([o.id for o in document.objects], default=-1) + 1, "label": BACKGROUND_LABEL,
                        "color": BACKGROUND_COLOR, "background": True})
    return TrackGoObjects(trajectories, fitted, paths, objects, width, height, camera)


def _single_points(trajectories: PointTrajectories, document: MaskArrowDocument) -> PointTrajectories:
    """A ``"point"`` object keeps one track, started exactly at ``path[0]`` (its 1-pixel mask gave K·s copies of the
    pixel's centre)."""
    singles = [i for i, obj in enumerate(document.objects) if obj.shape == "point"]
    if not singles:
        return trajectories
    groups = trajectories.groups
    keep = np.ones(len(groups), dtype=bool)
    points = np.array(trajectories.points, dtype=np.float32)
    for index in singles:
        members = np.flatnonzero(groups == index)
        keep[members[1:]] = False
        first = members[0]
        start = np.asarray(document.objects[index].path[0], dtype=np.float32)
        points[:, first] = start + (points[:, first] - points[0, first])
    visible = ((points >= 0.0) & (points <= 1.0)).all(axis=-1)
    return PointTrajectories(points[:, keep], visible[:, keep], groups[keep])

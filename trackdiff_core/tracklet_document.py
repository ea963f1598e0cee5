"""The box editor's document (``"kind": "tracklets"``): objects with keyframes on a frame timeline.

The widget stores it; Python owns its meaning: :meth:`TrackletDocument.to_tracklets` resamples it to any frame count, so
an API prompt gives exactly what the widget shows. Schema and examples: ``docs/editor-documents.md``.

Interpolation between keyframes ``k`` and ``k+1`` at timeline position ``t`` (a real number of frames)::

    u = (t - frame_k) / (frame_k+1 - frame_k)
    box(t) = box_k + ease(u) * (box_k+1 - box_k)        # ease from trackdiff_core.timing

Before the first keyframe the first box holds, after the last the last box holds. The curve of a segment is the
``interpolation`` of the keyframe that starts it, else the object's. A ``static`` object keeps its first keyframe's box
on every frame (other keyframes stay in the document, so un-ticking static restores them). Visibility is a list of
inclusive ``[first, last]`` frame ranges; an output frame is visible when its nearest timeline frame is in a range.

The optional ``camera`` layer (:mod:`trackdiff_core.camera`) moves the scene on screen: boxes are drawn in the scene and
:meth:`TrackletDocument.to_tracklets` gives them in screen coordinates (each box's 4 corners moved, the bounds clipped
to the frame, hidden where it has left it), with the camera's matrices on the Tracklets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .camera import Camera, normalized_matrices, read_camera_document, transform_boxes
from .colors import hex_to_rgb, palette_color, rgb_to_hex
from .document import DOCUMENT_VERSION, dumps, read_frame, read_identity, reject_unknown, require
from .errors import TrackDiffError, join_field
from .timing import check_timing, frame_positions, interpolate_keys, nearest_frame
from .tracklets import Tracklets
from .validate import finite_number

KIND = "tracklets"


@dataclass(frozen=True)
class BoxKeyframe:
    frame: int
    box: tuple[float, float, float, float]
    interpolation: str | None = None  # overrides the object's curve for the segment this keyframe starts


@dataclass(frozen=True)
class BoxObject:
    id: int
    label: str
    color: str
    keyframes: tuple[BoxKeyframe, ...]
    interpolation: str = "linear"
    static: bool = False
    visibility: tuple[tuple[int, int], ...] | None = None  # None: visible on the whole timeline

    def boxes_at(self, positions: np.ndarray) -> np.ndarray:
        """``float32[len(positions), 4]`` boxes at real-valued timeline positions."""
        keys = self.keyframes
        if self.static or len(keys) == 1:
            return np.tile(np.asarray(keys[0].box, dtype=np.float64), (len(positions), 1)).astype(np.float32)
        curves = [k.interpolation or self.interpolation for k in keys]
        return interpolate_keys([k.frame for k in keys], [k.box for k in keys], curves, positions).astype(np.float32)

    def visible_at(self, frames: np.ndarray) -> np.ndarray:
        if self.visibility is None:
            return np.ones(len(frames), dtype=bool)
        shown = np.zeros(len(frames), dtype=bool)
        for first, last in self.visibility:
            shown |= (frames >= first) & (frames <= last)
        return shown


# Rotation under a camera depends on the frame's aspect ratio; without an image the box editor assumes SVD's.
DEFAULT_SIZE = (1024, 576)


@dataclass(frozen=True)
class TrackletDocument:
    frame_count: int
    objects: tuple[BoxObject, ...]
    camera: Camera | None = None  # the camera layer (trackdiff_core.camera); None: a still camera, as before

    # -- JSON ----------------------------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, value: Any, field: str = "tracklets_json") -> "TrackletDocument":
        """Parse and validate a document (JSON text or a decoded dict)."""
        frame_count, objects, camera = read_camera_document(value, KIND, field, _read_object)
        return cls(frame_count, tuple(objects), camera)

    @property
    def is_empty(self) -> bool:
        """No object and no camera: what an untouched widget holds (a seed document may then take its place)."""
        return not self.objects and self.camera is None

    def to_json(self) -> dict:
        """The document as a JSON-ready dict (keys in schema order, optional fields only when set)."""
        objects = []
        for obj in self.objects:
            out: dict[str, Any] = {"id": obj.id, "label": obj.label, "color": obj.color}
            out["interpolation"] = obj.interpolation
            if obj.static:
                out["static"] = True
            if obj.visibility is not None:
                out["visibility"] = [list(r) for r in obj.visibility]
            out["keyframes"] = [
                {"frame": k.frame, "box": [float(v) for v in k.box], **({"interpolation": k.interpolation} if k.interpolation else {})}
                for k in obj.keyframes
            ]
            objects.append(out)
        out = {"version": DOCUMENT_VERSION, "kind": KIND, "frame_count": self.frame_count, "objects": objects}
        if self.camera is not None:
            out["camera"] = self.camera.to_json()
        return out

    def dumps(self) -> str:
        return dumps(self.to_json())

    # -- dense tracks --------------------------------------------------------------------------------------------------
    def to_tracklets(self, num_frames: int | None = None, width: int = DEFAULT_SIZE[0],
                     height: int = DEFAULT_SIZE[1]) -> Tracklets:
        """Dense tracklets over ``num_frames`` frames (default: the timeline's own ``frame_count``), in screen
        coordinates: with a camera, each box is the camera's image of the drawn (scene) box (4 corners, axis-aligned
        bounds clipped to the frame), hidden where it has left the frame, and the tracklets carry the camera's
        normalised matrices. ``width`` × ``height`` matter only for a rotating camera (through the aspect ratio)."""
        count = self.frame_count if num_frames is None else int(num_frames)
        positions = frame_positions(self.frame_count, count)
        nearest = np.minimum(nearest_frame(positions), self.frame_count - 1)
        n = len(self.objects)
        boxes = np.zeros((count, n, 4), dtype=np.float32)
        visible = np.zeros((count, n), dtype=bool)
        for i, obj in enumerate(self.objects):
            boxes[:, i] = obj.boxes_at(positions)
            visible[:, i] = obj.visible_at(nearest)
        camera = None
        if self.camera is not None:
            camera = normalized_matrices(self.camera.matrices(positions, width, height), width, height)
            boxes, on_screen = transform_boxes(camera, boxes)
            visible &= on_screen
        return Tracklets(
            boxes,
            visible,
            [o.id for o in self.objects],
            [o.label for o in self.objects],
            [hex_to_rgb(o.color) for o in self.objects] if n else None,
            camera=camera,
        )

    @classmethod
    def from_tracklets(cls, tracklets: Tracklets, simplify: bool = True, tolerance: float = 1e-4) -> "TrackletDocument":
        """A document that reproduces ``tracklets`` on its own frame count (linear keyframes, visibility ranges).

        With ``simplify`` a keyframe is dropped wherever linear interpolation between its neighbours reproduces every
        box within ``tolerance`` (normalised units), so an imported tracker file becomes editable. The boxes are taken
        as they are (screen boxes of tracklets with a camera become drawn boxes; the document gets no camera).
        """
        objects = []
        frames = tracklets.num_frames
        for n in range(tracklets.num_objects):
            boxes = tracklets.boxes[:, n].astype(np.float64)
            keep = _simplify_linear(boxes, tolerance) if simplify else list(range(frames))
            ranges = _ranges(tracklets.visible[:, n])
            objects.append(
                BoxObject(
                    id=tracklets.ids[n],
                    label=tracklets.labels[n],
                    color=rgb_to_hex(tracklets.colors[n]),
                    keyframes=tuple(BoxKeyframe(int(f), tuple(float(v) for v in boxes[f])) for f in keep),
                    visibility=None if ranges == [(0, frames - 1)] else tuple(ranges),
                )
            )
        return cls(frames, tuple(objects))


def empty_document(frame_count: int = 14) -> TrackletDocument:
    return TrackletDocument(frame_count, ())


def new_object(index: int, box, frame: int = 0) -> BoxObject:
    """A fresh object with the palette colour of ``index`` and one keyframe."""
    return BoxObject(id=index, label="", color=palette_color(index), keyframes=(BoxKeyframe(frame, tuple(box)),))


# -- reading ----------------------------------------------------------------------------------------------------------
def _read_object(obj: dict, field: str, frame_count: int, seen: set[int]) -> BoxObject:
    reject_unknown(obj, {"id", "label", "color", "interpolation", "static", "visibility", "keyframes"}, field)
    obj_id, label, color = read_identity(obj, field, seen)
    interpolation = check_timing(obj.get("interpolation", "linear"), join_field(field, "interpolation"))
    static = obj.get("static", False)
    if not isinstance(static, bool):
        raise TrackDiffError(join_field(field, "static"), static, "must be true or false", "use true or false")
    visibility = _read_visibility(obj.get("visibility"), join_field(field, "visibility"), frame_count)
    keys_field = join_field(field, "keyframes")
    raw = require(obj, "keyframes", field)
    if not isinstance(raw, list) or not raw:
        raise TrackDiffError(keys_field, raw, "must be a non-empty list", "give the object at least one keyframe")
    keyframes = []
    for index, key in enumerate(raw):
        keyframes.append(_read_keyframe(key, f"{keys_field}[{index}]", frame_count))
    keyframes.sort(key=lambda k: k.frame)
    frames = [k.frame for k in keyframes]
    if len(set(frames)) != len(frames):
        dup = next(f for f in frames if frames.count(f) > 1)
        raise TrackDiffError(keys_field, frames, f"has two keyframes on frame {dup}", "keep one keyframe per frame")
    return BoxObject(obj_id, label, color, tuple(keyframes), interpolation, static, visibility)


def _read_keyframe(key: Any, field: str, frame_count: int) -> BoxKeyframe:
    if not isinstance(key, dict):
        raise TrackDiffError(field, key, 'must be {"frame": f, "box": [x1, y1, x2, y2]}', "fix the keyframe")
    reject_unknown(key, {"frame", "box", "interpolation"}, field)
    frame = read_frame(require(key, "frame", field), join_field(field, "frame"), frame_count)
    box_field = join_field(field, "box")
    box = require(key, "box", field)
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        raise TrackDiffError(box_field, box, "must be [x1, y1, x2, y2]", "give four normalised numbers")
    values = tuple(finite_number(v, f"{box_field}[{i}]", "use a number between 0 and 1") for i, v in enumerate(box))
    if any(v < 0.0 or v > 1.0 for v in values):
        raise TrackDiffError(
            box_field, list(values), "lies outside the frame [0, 1]",
            "keep the box inside the image (the editor clamps boxes when you drag them out)",
        )
    x1, y1, x2, y2 = values
    if not (x1 < x2 and y1 < y2):
        raise TrackDiffError(
            box_field, list(values), "is inverted or has no area (need x1 < x2 and y1 < y2)",
            "give the top-left corner first and the bottom-right corner second",
        )
    interpolation = key.get("interpolation")
    if interpolation is not None:
        check_timing(interpolation, join_field(field, "interpolation"))
    return BoxKeyframe(frame, values, interpolation)


def _read_visibility(value: Any, field: str, frame_count: int):
    if value is None:
        return None
    if not isinstance(value, list):
        raise TrackDiffError(field, value, "must be a list of [first, last] frame ranges", "e.g. [[0, 6], [10, 13]]")
    ranges = []
    for index, item in enumerate(value):
        item_field = f"{field}[{index}]"
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise TrackDiffError(item_field, item, "must be [first, last]", "give two frame numbers")
        first = read_frame(item[0], item_field + "[0]", frame_count)
        last = read_frame(item[1], item_field + "[1]", frame_count)
        if last < first:
            raise TrackDiffError(item_field, [first, last], "ends before it starts", "put the first frame first")
        ranges.append((first, last))
    return tuple(_merge(ranges))


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def _ranges(visible: np.ndarray) -> list[tuple[int, int]]:
    idx = np.flatnonzero(visible)
    return _merge([(int(i), int(i)) for i in idx])


def _simplify_linear(boxes: np.ndarray, tolerance: float) -> list[int]:
    """Keyframe indices such that linear interpolation between them reproduces ``boxes`` within ``tolerance``."""
    frames = len(boxes)
    if frames <= 2:
        return list(range(frames))
    keep = [0]
    anchor = 0
    for end in range(2, frames):
        span = np.arange(anchor + 1, end)
        u = (span - anchor) / (end - anchor)
        line = boxes[anchor] + u[:, None] * (boxes[end] - boxes[anchor])
        if np.abs(line - boxes[span]).max() > tolerance:
            keep.append(end - 1)
            anchor = end - 1
    keep.append(frames - 1)
    return keep

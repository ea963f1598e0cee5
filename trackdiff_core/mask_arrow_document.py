"""The mask/arrow editor's document (``"kind": "mask_arrows"``): per object a mask and a path saying where it goes.

Each object has

* ``mask``: a run-length encoded mask (see :mod:`trackdiff_core.masks`), or ``null`` to take the mask with the same
  position among the null-mask objects from the node's MASK input;
* ``path``: a polyline ``[[x, y], ...]`` in normalised coordinates. The first point is where the drag starts; the
  object's points move by ``path(progress) - path[0]``. One point (or a path of zero length) is a *static anchor*: the
  region is held still;
* ``timing`` and ``start_frame`` / ``end_frame``: the move runs from ``start_frame`` to ``end_frame`` of the timeline with
  the given timing curve, holding before and after;
* ``anchor`` (optional): ``"scene"`` or ``"screen"`` makes the whole object hold still whatever its path (only
  ``path[0]`` counts; the other points stay in the document). A scene anchor holds still in the scene, so the camera
  layer moves it like the background; a screen anchor keeps its pixels whatever the camera. Without ``anchor`` a
  one-point path is a scene anchor;
* ``shape`` (optional): ``"mask"`` (default) or ``"point"``: a point object has no mask, it is the single point
  ``path[0]`` (one track), e.g. a point anchor.

The optional top-level ``camera`` (:mod:`trackdiff_core.camera`) moves the scene under the objects.

Schema and examples: ``docs/editor-documents.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .document import (
    DOCUMENT_VERSION,
    dumps,
    read_frame,
    read_identity,
    read_point,
    reject_unknown,
    require,
)
from .camera import Camera, read_camera_document
from .errors import TrackDiffError, join_field
from .masks import rle_decode
from .timing import check_timing

KIND = "mask_arrows"
ANCHORS = ("scene", "screen")
SHAPES = ("mask", "point")


@dataclass(frozen=True)
class MaskArrowObject:
    id: int
    label: str
    color: str
    path: tuple[tuple[float, float], ...]
    mask: dict | None = None  # run-length encoded, or None: from the node's MASK input
    timing: str = "linear"
    start_frame: int = 0
    end_frame: int | None = None  # None: the timeline's last frame
    anchor: str | None = None  # "scene" / "screen": the whole object holds still (see the module docstring)
    shape: str = "mask"  # "point": no mask, the single point path[0]

    @property
    def is_static(self) -> bool:
        return self.anchor is not None or len(self.path) == 1 or all(p == self.path[0] for p in self.path)

    @property
    def moves_with_camera(self) -> bool:
        """False only for a screen anchor: everything else is drawn in the scene and the camera moves it."""
        return self.anchor != "screen"

    @property
    def motion_path(self) -> tuple[tuple[float, float], ...]:
        """The path the object follows: its first point alone for an anchor."""
        return self.path[:1] if self.anchor is not None else self.path

    def decoded_mask(self, field: str = "mask") -> np.ndarray | None:
        return None if self.mask is None else rle_decode(self.mask, field)


@dataclass(frozen=True)
class MaskArrowDocument:
    frame_count: int
    objects: tuple[MaskArrowObject, ...]
    camera: Camera | None = None  # the camera layer (trackdiff_core.camera); None: a still camera, as before

    @classmethod
    def parse(cls, value: Any, field: str = "mask_arrows_json") -> "MaskArrowDocument":
        frame_count, objects, camera = read_camera_document(value, KIND, field, _read_object)
        return cls(frame_count, tuple(objects), camera)

    @property
    def is_empty(self) -> bool:
        """No object and no camera: what an untouched widget holds (a seed document may then take its place)."""
        return not self.objects and self.camera is None

    def to_json(self) -> dict:
        objects = []
        for obj in self.objects:
            out: dict[str, Any] = {"id": obj.id, "label": obj.label, "color": obj.color, "mask": obj.mask}
            out["path"] = [[float(x), float(y)] for x, y in obj.path]
            out["timing"] = obj.timing
            out["start_frame"] = obj.start_frame
            out["end_frame"] = self.frame_count - 1 if obj.end_frame is None else obj.end_frame
            if obj.anchor is not None:
                out["anchor"] = obj.anchor
            if obj.shape != "mask":
                out["shape"] = obj.shape
            objects.append(out)
        out = {"version": DOCUMENT_VERSION, "kind": KIND, "frame_count": self.frame_count, "objects": objects}
        if self.camera is not None:
            out["camera"] = self.camera.to_json()
        return out

    def dumps(self) -> str:
        return dumps(self.to_json())

    def end_frame(self, obj: MaskArrowObject) -> int:
        return self.frame_count - 1 if obj.end_frame is None else obj.end_frame


def _read_object(obj: dict, field: str, frame_count: int, seen: set[int]) -> MaskArrowObject:
    reject_unknown(obj, {"id", "label", "color", "mask", "path", "timing", "start_frame", "end_frame", "anchor", "shape"},
                   field)
    obj_id, label, color = read_identity(obj, field, seen)
    anchor = obj.get("anchor")
    if anchor is not None and anchor not in ANCHORS:
        raise TrackDiffError(join_field(field, "anchor"), anchor, "is not a kind of anchor",
                             '"scene" holds the object still in the scene (the camera moves it), "screen" holds it '
                             "still on screen; remove the field for an object that follows its path")
    shape = obj.get("shape", "mask")
    if shape not in SHAPES:
        raise TrackDiffError(join_field(field, "shape"), shape, "is not a shape",
                             '"mask" (a painted or connected mask) or "point" (the single point path[0])')
    mask = obj.get("mask")
    if shape == "point" and mask is not None:
        raise TrackDiffError(join_field(field, "mask"), "a painted mask", 'is set on a "point" object',
                             'remove the mask (a point object is the point path[0]), or set "shape": "mask"')
    if mask is not None:
        decoded = rle_decode(mask, join_field(field, "mask"))
        if not decoded.any():
            raise TrackDiffError(join_field(field, "mask"), "empty mask", "has no pixel set", "paint the object's region")
    path_field = join_field(field, "path")
    path = require(obj, "path", field)
    if not isinstance(path, list) or not path:
        raise TrackDiffError(path_field, path, "must be a non-empty list of [x, y] points", "draw an arrow or set an anchor")
    points = tuple(read_point(p, f"{path_field}[{i}]") for i, p in enumerate(path))
    timing = check_timing(obj.get("timing", "linear"), join_field(field, "timing"))
    start = read_frame(obj.get("start_frame", 0), join_field(field, "start_frame"), frame_count)
    end = read_frame(obj.get("end_frame", frame_count - 1), join_field(field, "end_frame"), frame_count)
    if end < start:
        raise TrackDiffError(join_field(field, "end_frame"), end, f"comes before start_frame {start}", "swap them")
    return MaskArrowObject(obj_id, label, color, points, mask, timing, start, end, anchor, shape)

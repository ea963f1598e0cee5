"""The mask/arrow editor's document (``"kind": "mask_arrows"``): per object a mask and a path saying where it goes.

Each object has

* ``mask``: a run-length encoded mask (see :mod:`trackdiff_core.masks`), or ``null`` to take the mask with the same
  position among the null-mask objects from the node's MASK input;
* ``path``: a polyline ``[[x, y], ...]`` in normalised coordinates. The first point is where the drag starts; the
  object's points move by ``path(progress) - path[0]``. One point (or a path of zero length) is a *static anchor*: the
  region is held still;
* ``timing`` and ``start_frame`` / ``end_frame``: the move runs from ``start_frame`` to ``end_frame`` of the timeline with
  the given timing curve, holding before and after.

Schema and examples: ``docs/editor-documents.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .document import (
    DOCUMENT_VERSION,
    dumps,
    read_document,
    read_frame,
    read_identity,
    read_point,
    reject_unknown,
    require,
)
from .errors import TrackDiffError, join_field
from .masks import rle_decode
from .timing import check_timing

KIND = "mask_arrows"


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

    @property
    def is_static(self) -> bool:
        return len(self.path) == 1 or all(p == self.path[0] for p in self.path)

    def decoded_mask(self, field: str = "mask") -> np.ndarray | None:
        return None if self.mask is None else rle_decode(self.mask, field)


@dataclass(frozen=True)
class MaskArrowDocument:
    frame_count: int
    objects: tuple[MaskArrowObject, ...]

    @classmethod
    def parse(cls, value: Any, field: str = "mask_arrows_json") -> "MaskArrowDocument":
        frame_count, objects = read_document(value, KIND, field, _read_object)
        return cls(frame_count, tuple(objects))

    def to_json(self) -> dict:
        objects = []
        for obj in self.objects:
            out: dict[str, Any] = {"id": obj.id, "label": obj.label, "color": obj.color, "mask": obj.mask}
            out["path"] = [[float(x), float(y)] for x, y in obj.path]
            out["timing"] = obj.timing
            out["start_frame"] = obj.start_frame
            out["end_frame"] = self.frame_count - 1 if obj.end_frame is None else obj.end_frame
            objects.append(out)
        return {"version": DOCUMENT_VERSION, "kind": KIND, "frame_count": self.frame_count, "objects": objects}

    def dumps(self) -> str:
        return dumps(self.to_json())

    def end_frame(self, obj: MaskArrowObject) -> int:
        return self.frame_count - 1 if obj.end_frame is None else obj.end_frame


def _read_object(obj: dict, field: str, frame_count: int, seen: set[int]) -> MaskArrowObject:
    reject_unknown(obj, {"id", "label", "color", "mask", "path", "timing", "start_frame", "end_frame"}, field)
    obj_id, label, color = read_identity(obj, field, seen)
    mask = obj.get("mask")
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
    return MaskArrowObject(obj_id, label, color, points, mask, timing, start, end)

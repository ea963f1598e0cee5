"""What every editor document shares: JSON parsing, the version and kind header, and checked field readers.

An editor document is one JSON object per widget, stored in one STRING widget so that it lands in the workflow's
``widgets_values`` and in API prompts. The schema is described in ``docs/editor-documents.md``.
"""

from __future__ import annotations

import json
from typing import Any

from .colors import hex_to_rgb
from .errors import TrackDiffError, join_field
from .validate import finite_number, integer

DOCUMENT_VERSION = 1
MAX_FRAMES = 4096  # the largest video_frames ComfyUI's SVD conditioning node accepts
MAX_OBJECTS = 256


def load_json_object(value: Any, field: str) -> dict:
    """Parse ``value`` (a JSON string or an already decoded dict) into a dict, with a readable error on bad JSON."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise TrackDiffError(field, value, "is not JSON text", "pass the editor's JSON string")
    if not value.strip():
        raise TrackDiffError(field, value, "is empty", "draw something in the editor, or paste a saved document")
    try:
        data = json.loads(value)
    except RecursionError:
        raise TrackDiffError(field, value, "is JSON nested too deeply to read", "reset the editor, or paste a saved document") from None
    except json.JSONDecodeError as exc:
        raise TrackDiffError(
            field,
            value,
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            "fix the JSON syntax, or reset the editor",
        ) from None
    if not isinstance(data, dict):
        raise TrackDiffError(field, data, "must be a JSON object {...}", 'start from {"version": 1, ...}')
    return data


def read_header(data: dict, kind: str, field: str) -> int:
    """Check ``version`` and ``kind``; return the timeline's ``frame_count``."""
    version = data.get("version")
    if version != DOCUMENT_VERSION:
        if version is None:
            raise TrackDiffError(join_field(field, "version"), None, "is missing", f'add "version": {DOCUMENT_VERSION}')
        raise TrackDiffError(
            join_field(field, "version"),
            version,
            f"is not a document version this TrackDiff reads (it reads version {DOCUMENT_VERSION})",
            "update TrackDiff, or re-save the document from this version's editor",
        )
    if data.get("kind") != kind:
        raise TrackDiffError(
            join_field(field, "kind"), data.get("kind"), f'must be "{kind}" for this node', f"connect a {kind} document"
        )
    return integer(
        require(data, "frame_count", field), join_field(field, "frame_count"), 1, MAX_FRAMES,
        fix=f"set the timeline length to between 1 and {MAX_FRAMES} frames",
    )


def require(data: dict, key: str, field: str) -> Any:
    if key not in data:
        raise TrackDiffError(join_field(field, key), None, "is missing", f'add "{key}"')
    return data[key]


def reject_unknown(data: dict, allowed: set[str], field: str) -> None:
    """Typos in hand-written JSON fail loudly; editors keep their own state under ``"ui"``."""
    unknown = sorted(set(data) - allowed - {"ui"})
    if unknown:
        raise TrackDiffError(
            join_field(field, unknown[0]),
            data[unknown[0]],
            "is not a field of this document",
            f"remove it, or use one of {', '.join(sorted(allowed))} (editor state may go under \"ui\")",
        )


def read_objects(data: dict, field: str) -> list:
    objects = require(data, "objects", field)
    if not isinstance(objects, list):
        raise TrackDiffError(join_field(field, "objects"), objects, "must be a list", "give a list of objects, possibly []")
    if len(objects) > MAX_OBJECTS:
        raise TrackDiffError(
            join_field(field, "objects"), f"{len(objects)} objects", f"has more than {MAX_OBJECTS} objects",
            "remove objects",
        )
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise TrackDiffError(join_field(join_field(field, "objects"), index), obj, "must be a JSON object", "fix it")
    return objects


def read_identity(obj: dict, field: str, seen_ids: set[int]) -> tuple[int, str, str]:
    """``id`` (unique, non-negative), ``label`` (default "") and ``color`` (``#rrggbb``) of one object."""
    obj_id = integer(require(obj, "id", field), join_field(field, "id"), 0, fix="give the object a non-negative integer id")
    if obj_id in seen_ids:
        raise TrackDiffError(join_field(field, "id"), obj_id, "is used by an earlier object", "give each object its own id")
    seen_ids.add(obj_id)
    label = obj.get("label", "")
    if not isinstance(label, str):
        raise TrackDiffError(join_field(field, "label"), label, "is not a string", 'use text such as "car" or ""')
    color = require(obj, "color", field)
    hex_to_rgb(color, join_field(field, "color"))
    return obj_id, label, color.lower()


def read_point(value: Any, field: str) -> tuple[float, float]:
    """A normalised ``[x, y]`` inside the frame."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TrackDiffError(field, value, "must be [x, y]", "give two normalised numbers")
    x = finite_number(value[0], field + "[0]", "use a number between 0 and 1")
    y = finite_number(value[1], field + "[1]", "use a number between 0 and 1")
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise TrackDiffError(
            field, [x, y], "lies outside the frame [0, 1]",
            "keep points inside the image (0 is the left/top edge, 1 the right/bottom edge)",
        )
    return x, y


def read_frame(value: Any, field: str, frame_count: int) -> int:
    return integer(
        value, field, 0, frame_count - 1, fix=f"use a frame between 0 and {frame_count - 1} (the timeline has {frame_count})"
    )


def read_document(value: Any, kind: str, field: str, read_object) -> tuple[int, list, Any]:
    """``(frame_count, objects, camera)`` of a document of ``kind``; ``read_object(obj, field, frame_count, seen_ids)``
    reads and validates one object. ``camera`` is the optional top-level camera layer, still raw (``None`` when absent
    or null): the document kinds read it with :func:`trackdiff_core.camera.parse_camera`, which builds on this module."""
    data = load_json_object(value, field)
    reject_unknown(data, {"version", "kind", "frame_count", "objects", "camera"}, field)
    frame_count = read_header(data, kind, field)
    seen: set[int] = set()
    objects = [read_object(obj, f"{field}.objects[{i}]", frame_count, seen)
               for i, obj in enumerate(read_objects(data, field))]
    return frame_count, objects, data.get("camera")


def dumps(document: dict) -> str:
    """Compact, stable JSON text for a document (what the widget stores)."""
    return json.dumps(document, separators=(",", ":"), sort_keys=False)

"""The camera layer of the editor documents: how the *scene* moves on screen, as keyframes of pan, zoom and rotation.

Objects are drawn in scene coordinates (the screen of frame 0 when frame 0's camera is the identity); what a target
receives is the camera applied to the objects' motion, in the video's pixels. At a real-valued timeline position ``t``
the camera's pan, zoom and rotation are interpolated between keyframes exactly like box keyframes (the timing curve of
the earlier key, else the camera's ``interpolation``; the first key holds before it, the last after it). In pixels of a
``W`` × ``H`` frame, with ``c = center · (W, H)``::

    screen = c + pan · (W, H) + zoom · R(rotation) · (scene − c),    R(a) = [[cos a, −sin a], [sin a, cos a]]

``y`` points down, so a positive rotation (degrees) turns the content clockwise on screen. Pan is a fraction of the
frame's width and height. :meth:`Camera.matrices` gives this as ``float64[F, 3, 3]`` pixel matrices (screen from
scene); :func:`normalized_matrices` restates them in normalised coordinates (pan and zoom do not depend on the frame
size there, a rotation depends on its aspect ratio). Boxes are moved by transforming their 4 corners and taking the
axis-aligned bounds (:func:`transform_boxes`). Schema: ``docs/editor-documents.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .document import MAX_FRAMES, read_document, reject_unknown, require
from .errors import TrackDiffError, join_field
from .timing import check_timing, interpolate_keys
from .validate import finite_number, frame_size, integer

CAMERA_VERSION = 1
MIN_ZOOM, MAX_ZOOM = 0.05, 20.0
MAX_ROTATION = 360.0  # degrees, either way
MAX_PAN = 2.0  # fractions of the frame's width / height, either way
DEFAULT_CENTER = (0.5, 0.5)


@dataclass(frozen=True)
class CameraKey:
    frame: int
    pan: tuple[float, float] = (0.0, 0.0)
    zoom: float = 1.0
    rotation: float = 0.0  # degrees; positive turns the content clockwise on screen (y down)
    interpolation: str | None = None  # overrides the camera's curve for the segment this key starts

    @property
    def is_identity(self) -> bool:
        return self.pan == (0.0, 0.0) and self.zoom == 1.0 and self.rotation == 0.0


@dataclass(frozen=True)
class Camera:
    """Keyframes (sorted by frame, at distinct frames, at least one), the centre of zoom and rotation (normalised) and
    the default timing curve between keys."""

    keyframes: tuple[CameraKey, ...]
    center: tuple[float, float] = DEFAULT_CENTER
    interpolation: str = "linear"

    @property
    def is_identity(self) -> bool:
        """Every key is the identity (no pan, zoom 1, rotation 0), so the camera moves nothing at any position."""
        return all(key.is_identity for key in self.keyframes)

    def parameters(self, positions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(pan float64[F, 2], zoom float64[F], rotation_degrees float64[F])`` at real-valued timeline positions."""
        positions = np.atleast_1d(np.asarray(positions, dtype=np.float64))
        keys = self.keyframes
        values = np.array([[*k.pan, k.zoom, k.rotation] for k in keys], dtype=np.float64)
        curves = [k.interpolation or self.interpolation for k in keys]
        at = interpolate_keys([k.frame for k in keys], values, curves, positions)
        return at[:, :2], at[:, 2], at[:, 3]

    def matrices(self, positions, width: int, height: int) -> np.ndarray:
        """``float64[F, 3, 3]``: screen-from-scene matrices in pixels of ``width`` × ``height`` at ``positions``."""
        w, h = frame_size(width, height)
        pan, zoom, rotation = self.parameters(positions)
        size = np.array([w, h], dtype=np.float64)
        centre = np.asarray(self.center, dtype=np.float64) * size
        angle = np.deg2rad(rotation)
        cos, sin = np.cos(angle) * zoom, np.sin(angle) * zoom
        out = np.zeros((len(zoom), 3, 3), dtype=np.float64)
        out[:, 0, 0], out[:, 0, 1] = cos, -sin
        out[:, 1, 0], out[:, 1, 1] = sin, cos
        linear = out[:, :2, :2]
        out[:, :2, 2] = centre + pan * size - np.einsum("fij,j->fi", linear, centre)
        out[:, 2, 2] = 1.0
        return out

    def to_json(self) -> dict:
        """The camera as a JSON-ready dict (every field written, keys in schema order)."""
        keys = []
        for key in self.keyframes:
            out: dict[str, Any] = {"frame": key.frame, "pan": [float(key.pan[0]), float(key.pan[1])],
                                   "zoom": float(key.zoom), "rotation": float(key.rotation)}
            if key.interpolation:
                out["interpolation"] = key.interpolation
            keys.append(out)
        return {"version": CAMERA_VERSION, "center": [float(self.center[0]), float(self.center[1])],
                "interpolation": self.interpolation, "keyframes": keys}


def identity_camera() -> Camera:
    return Camera((CameraKey(0),))


# -- matrices ---------------------------------------------------------------------------------------------------------
def normalized_matrices(pixel_matrices, width: int, height: int) -> np.ndarray:
    """Pixel matrices at ``width`` × ``height`` restated in normalised coordinates: ``S⁻¹ · M · S`` with
    ``S = diag(W, H, 1)``."""
    w, h = frame_size(width, height)
    scale = np.diag([float(w), float(h), 1.0])
    inverse = np.diag([1.0 / w, 1.0 / h, 1.0])
    return inverse @ np.asarray(pixel_matrices, dtype=np.float64) @ scale


def pixel_matrices(normalized, width: int, height: int) -> np.ndarray:
    """The inverse of :func:`normalized_matrices`."""
    w, h = frame_size(width, height)
    scale = np.diag([float(w), float(h), 1.0])
    inverse = np.diag([1.0 / w, 1.0 / h, 1.0])
    return scale @ np.asarray(normalized, dtype=np.float64) @ inverse


def apply_to_points(matrices, points) -> np.ndarray:
    """``float64[F, P, 2]``: ``points`` (``[F, P, 2]``, or ``[P, 2]`` for the same points on every frame) moved by the
    per-frame ``matrices`` ``[F, 3, 3]`` (affine; the coordinates are those the matrices are in)."""
    matrices = np.asarray(matrices, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    if points.ndim == 2:
        points = np.broadcast_to(points[None], (len(matrices),) + points.shape)
    return np.einsum("fij,fpj->fpi", matrices[:, :2, :2], points) + matrices[:, None, :2, 2]


def transform_boxes(matrices, boxes) -> tuple[np.ndarray, np.ndarray]:
    """Boxes ``[F, N, 4]`` (``x1, y1, x2, y2`` normalised) moved by normalised ``matrices`` ``[F, 3, 3]``.

    Each box's 4 corners are transformed and the box becomes their axis-aligned bounds, clipped to the frame
    ``[0, 1]``. Returns ``(float32[F, N, 4] clipped bounds, bool[F, N] on_screen)``: a box whose bounds lie fully outside
    the frame (no area left after clipping) is off screen, so the target should treat it as hidden there; its clipped
    bounds then sit on the edge it left by (zero area), so the box still moves smoothly when resampled."""
    boxes = np.asarray(boxes, dtype=np.float64)
    x1, y1, x2, y2 = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    corners = np.stack([np.stack([x1, y1], -1), np.stack([x2, y1], -1),
                        np.stack([x1, y2], -1), np.stack([x2, y2], -1)], axis=2)  # [F, N, 4, 2]
    frames, count = boxes.shape[:2]
    moved = apply_to_points(matrices, corners.reshape(frames, count * 4, 2)).reshape(frames, count, 4, 2)
    bounds = np.concatenate([moved.min(axis=2), moved.max(axis=2)], axis=-1)
    clipped = np.clip(bounds, 0.0, 1.0)
    on_screen = (clipped[..., 2] > clipped[..., 0]) & (clipped[..., 3] > clipped[..., 1])
    return clipped.astype(np.float32), on_screen


# -- parsing ----------------------------------------------------------------------------------------------------------
def parse_camera(value: Any, field: str = "camera", frame_count: int | None = None) -> Camera:
    """Validate a document's ``camera`` field (a decoded dict) into a :class:`Camera`.

    ``frame_count`` is the document's timeline length (keys must be on it); without it keys may lie anywhere in
    ``0 .. MAX_FRAMES - 1``. Every error names the field (``tracklets_json.camera.keyframes[1].zoom``), the bad value
    and the fix."""
    if not isinstance(value, dict):
        raise TrackDiffError(field, value, "must be a JSON object {\"version\": 1, \"keyframes\": [...]}",
                             'write it as {"version": 1, "keyframes": [{"frame": 0, "pan": [0, 0], "zoom": 1, '
                             '"rotation": 0}]}, or remove "camera" for a still camera')
    reject_unknown(value, {"version", "center", "interpolation", "keyframes"}, field)
    version = require(value, "version", field)
    if version != CAMERA_VERSION or isinstance(version, bool):
        raise TrackDiffError(join_field(field, "version"), version,
                             f"is not a camera version this TrackDiff reads (it reads version {CAMERA_VERSION})",
                             "update TrackDiff, or re-save the document from this version's editor")
    center = _read_center(value.get("center", list(DEFAULT_CENTER)), join_field(field, "center"))
    interpolation = check_timing(value.get("interpolation", "linear"), join_field(field, "interpolation"))
    last = (MAX_FRAMES if frame_count is None else int(frame_count)) - 1
    keys_field = join_field(field, "keyframes")
    raw = require(value, "keyframes", field)
    if not isinstance(raw, list) or not raw:
        raise TrackDiffError(keys_field, raw, "must be a non-empty list",
                             "give the camera at least one key, e.g. [{\"frame\": 0}]")
    if len(raw) > last + 1:
        raise TrackDiffError(keys_field, f"{len(raw)} keys", f"has more keys than the {last + 1} frames of the timeline",
                             "keep one key per frame at most")
    keys = sorted((_read_key(key, join_field(keys_field, i), last) for i, key in enumerate(raw)), key=lambda k: k.frame)
    frames = [k.frame for k in keys]
    if len(set(frames)) != len(frames):
        dup = next(f for f in frames if frames.count(f) > 1)
        raise TrackDiffError(keys_field, frames, f"has two keys on frame {dup}", "keep one camera key per frame")
    return Camera(tuple(keys), center, interpolation)


def read_camera_document(value: Any, kind: str, field: str, read_object) -> tuple[int, list, Camera | None]:
    """:func:`trackdiff_core.document.read_document` with its camera layer read: ``(frame_count, objects, camera)``,
    the camera a :class:`Camera` checked against the document's frame count, or None for a still camera. What both
    document kinds (boxes, mask + arrow) parse with."""
    frame_count, objects, camera = read_document(value, kind, field, read_object)
    if camera is not None:
        camera = parse_camera(camera, join_field(field, "camera"), frame_count)
    return frame_count, objects, camera


def _read_center(value: Any, field: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TrackDiffError(field, value, "must be [x, y]", "give two normalised numbers, e.g. [0.5, 0.5] (the middle)")
    x = finite_number(value[0], field + "[0]", "use a number between 0 and 1")
    y = finite_number(value[1], field + "[1]", "use a number between 0 and 1")
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise TrackDiffError(field, [x, y], "lies outside the frame [0, 1]",
                             "put the centre of zoom and rotation inside the image ([0.5, 0.5] is the middle)")
    return x, y


def _read_key(key: Any, field: str, last: int) -> CameraKey:
    if not isinstance(key, dict):
        raise TrackDiffError(field, key, 'must be {"frame": f, "pan": [x, y], "zoom": z, "rotation": degrees}',
                             "fix the camera key")
    reject_unknown(key, {"frame", "pan", "zoom", "rotation", "interpolation"}, field)
    frame = integer(require(key, "frame", field), join_field(field, "frame"), 0, last,
                    fix=f"use a frame between 0 and {last} (the timeline has {last + 1})")
    pan_field = join_field(field, "pan")
    pan = key.get("pan", [0.0, 0.0])
    if not isinstance(pan, (list, tuple)) or len(pan) != 2:
        raise TrackDiffError(pan_field, pan, "must be [x, y]", "give two numbers: fractions of the width and height")
    pan = tuple(finite_number(v, f"{pan_field}[{i}]", f"use a number between -{MAX_PAN:g} and {MAX_PAN:g}")
                for i, v in enumerate(pan))
    if any(abs(v) > MAX_PAN for v in pan):
        raise TrackDiffError(pan_field, list(pan), f"moves more than {MAX_PAN:g} frame widths / heights",
                             f"keep each pan between -{MAX_PAN:g} and {MAX_PAN:g} (1 = one whole frame)")
    zoom_field = join_field(field, "zoom")
    zoom = finite_number(key.get("zoom", 1.0), zoom_field, f"use a number between {MIN_ZOOM:g} and {MAX_ZOOM:g}")
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise TrackDiffError(zoom_field, zoom, f"is outside [{MIN_ZOOM:g}, {MAX_ZOOM:g}]",
                             f"use a zoom between {MIN_ZOOM:g} and {MAX_ZOOM:g} (1 = no zoom, 2 = twice as large)")
    rotation_field = join_field(field, "rotation")
    rotation = finite_number(key.get("rotation", 0.0), rotation_field, "use degrees between -360 and 360")
    if abs(rotation) > MAX_ROTATION:
        raise TrackDiffError(rotation_field, rotation, f"turns more than {MAX_ROTATION:g} degrees",
                             f"use degrees between -{MAX_ROTATION:g} and {MAX_ROTATION:g}")
    interpolation = key.get("interpolation")
    if interpolation is not None:
        check_timing(interpolation, join_field(field, "interpolation"))
    return CameraKey(frame, (float(pan[0]), float(pan[1])), float(zoom), float(rotation), interpolation)

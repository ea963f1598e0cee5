"""Estimated camera homographies -> the editors' camera layer (``"camera"`` in a document, see CONTRACTS / docs).

The camera layer describes how the scene moves on screen with three numbers per keyframe, about a centre ``c``
(pixels, ``center * (W, H)``)::

    screen = c + pan * (W, H) + zoom * R(rotation) @ (scene - c),   R(a) = [[cos a, -sin a], [sin a, cos a]]

A homography ``H_t`` (frame 0 pixel -> frame t pixel, as :func:`~trackdiff_core.motion.estimate_camera` gives) has
eight degrees of freedom; the layer keeps four. For each frame, :func:`similarity_parameters` maps a 5 × 5 grid of
points spread over the whole frame through ``H_t`` and fits ``A = zoom · R(rotation)`` and ``pan`` to them by linear
least squares (the similarity that moves the frame's content most like ``H_t`` does, in pixels). Perspective and shear
are dropped; the fit's residual says how much (:attr:`CameraFit.residual_px`).

:func:`camera_from_homographies` resamples the per-frame parameters to the document's frame count with the pack's
resample rule and keeps keyframes only where the motion bends (:func:`~trackdiff_core.motion.keyframes.bend_frames`
on ``pan``, ``(zoom - 1) / 2`` and ``rotation`` in radians / 2: each is about the displacement, as a fraction of the
frame, that it causes at the frame's edge, so one tolerance fits all three).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import TrackDiffError
from ..trajectories import resample_frames
from ..validate import frame_size, integer
from .keyframes import bend_frames

CAMERA_VERSION = 1
CENTER = (0.5, 0.5)
ZOOM_RANGE = (0.05, 20.0)
PAN_LIMIT = 2.0
ROTATION_LIMIT = 360.0
DEFAULT_TOLERANCE = 0.002  # about 2 px of a 1024-px frame


@dataclass(frozen=True)
class CameraFit:
    """Per-frame similarity parameters: ``pan float64[T, 2]`` (fractions of W, H), ``zoom float64[T]``,
    ``rotation float64[T]`` (degrees, unwrapped so it never jumps by 360), ``residual_px float64[T]`` (RMS pixel
    distance between the homography and the fitted similarity over the grid)."""

    pan: np.ndarray
    zoom: np.ndarray
    rotation: np.ndarray
    residual_px: np.ndarray


def similarity_matrix(pan, zoom: float, rotation: float, width: int, height: int, center=CENTER) -> np.ndarray:
    """``float64[3, 3]``: the pixel matrix of one camera state (the formula in the module docstring)."""
    w, h = frame_size(width, height)
    c = np.array([center[0] * w, center[1] * h])
    a = math.radians(rotation)
    linear = zoom * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    out = np.eye(3)
    out[:2, :2] = linear
    out[:2, 2] = c + np.asarray(pan, dtype=np.float64) * np.array([w, h]) - linear @ c
    return out


def _grid(width: int, height: int, count: int = 5) -> np.ndarray:
    xs = np.linspace(0.0, width, count)
    ys = np.linspace(0.0, height, count)
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    homogeneous = points @ matrix[:2, :2].T + matrix[:2, 2]
    w = points @ matrix[2, :2] + matrix[2, 2]
    return homogeneous / np.where(np.abs(w) < 1e-9, 1e-9, w)[:, None]


def check_homographies(homographies, field: str = "homographies") -> np.ndarray:
    array = np.asarray(homographies, dtype=np.float64)
    if array.ndim != 3 or array.shape[1:] != (3, 3) or array.shape[0] < 1:
        raise TrackDiffError(field, array, "must be shaped [frames, 3, 3]", "give one homography per frame")
    if not np.all(np.isfinite(array)):
        raise TrackDiffError(field, array, "contains NaN or infinity", "give finite homographies")
    return array


def similarity_parameters(homographies, width: int, height: int, center=CENTER) -> CameraFit:
    """Fit pan, zoom and rotation about ``center`` to each homography (see the module docstring)."""
    homographies = check_homographies(homographies)
    w, h = frame_size(width, height)
    c = np.array([center[0] * w, center[1] * h])
    scene = _grid(w, h)
    rel = scene - c
    # screen - c = [[a, -b], [b, a]] @ rel + p  ->  rows for x and y, unknowns (a, b, px, py)
    design = np.zeros((2 * len(rel), 4))
    design[0::2] = np.stack([rel[:, 0], -rel[:, 1], np.ones(len(rel)), np.zeros(len(rel))], axis=1)
    design[1::2] = np.stack([rel[:, 1], rel[:, 0], np.zeros(len(rel)), np.ones(len(rel))], axis=1)
    frames = homographies.shape[0]
    pan = np.zeros((frames, 2))
    zoom = np.ones(frames)
    rotation = np.zeros(frames)
    residual = np.zeros(frames)
    for t, matrix in enumerate(homographies):
        screen = _apply(matrix, scene) - c
        solution, *_ = np.linalg.lstsq(design, screen.reshape(-1), rcond=None)
        a, b, px, py = solution
        zoom[t] = math.hypot(a, b)
        rotation[t] = math.degrees(math.atan2(b, a))
        pan[t] = (px / w, py / h)
        residual[t] = math.sqrt(np.mean((design @ solution - screen.reshape(-1)) ** 2) * 2)
    rotation = np.degrees(np.unwrap(np.radians(rotation)))
    return CameraFit(pan, zoom, rotation, residual)


def camera_from_homographies(
    homographies, width: int, height: int, frame_count: int | None = None, tolerance: float = DEFAULT_TOLERANCE,
) -> dict:
    """A camera dict (schema version 1) whose linear keyframes follow the homographies on ``frame_count`` frames
    (default: one per homography), keeping keys only where the motion bends."""
    fit = similarity_parameters(homographies, width, height)
    frames = len(fit.zoom) if frame_count is None else integer(frame_count, "frame_count", 1)
    params = np.concatenate([fit.pan, fit.zoom[:, None], fit.rotation[:, None]], axis=1)
    params, _ = resample_frames(params, frames)
    params[:, 0:2] = np.clip(params[:, 0:2], -PAN_LIMIT, PAN_LIMIT)
    params[:, 2] = np.clip(params[:, 2], *ZOOM_RANGE)
    params[:, 3] = np.clip(params[:, 3], -ROTATION_LIMIT, ROTATION_LIMIT)
    signal = np.concatenate([params[:, 0:2], (params[:, 2:3] - 1.0) / 2.0, np.radians(params[:, 3:4]) / 2.0], axis=1)
    keys = []
    for frame in bend_frames(signal, tolerance):
        pan_x, pan_y, zoom, rotation = (float(v) for v in params[frame])
        keys.append({"frame": int(frame), "pan": [round(pan_x, 6) + 0.0, round(pan_y, 6) + 0.0], "zoom": round(zoom, 6),
                     "rotation": round(rotation, 4) + 0.0})
    return {"version": CAMERA_VERSION, "center": list(CENTER), "interpolation": "linear", "keyframes": keys}


def camera_keys_matrices(camera: dict, frame_count: int, width: int, height: int) -> np.ndarray:
    """``float64[frame_count, 3, 3]``: the pixel matrices of a camera dict written by
    :func:`camera_from_homographies` (linear keys only), one per timeline frame. The editors' own reader
    (``trackdiff_core.camera``) reads every document; this one exists to check what is written here."""
    keys = camera["keyframes"]
    frames = np.array([k["frame"] for k in keys], dtype=np.float64)
    params = np.array([[*k["pan"], k["zoom"], k["rotation"]] for k in keys], dtype=np.float64)
    t = np.arange(frame_count, dtype=np.float64)
    values = np.stack([np.interp(t, frames, params[:, i]) for i in range(4)], axis=1)
    return np.stack([similarity_matrix(v[0:2], v[2], v[3], width, height, camera["center"]) for v in values])

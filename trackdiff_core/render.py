"""Preview drawing with OpenCV: boxes with ids and colours, points with tails, arrows and mask tints.

Frames come as a batch ``[T, H, W, 3]`` (or one ``[H, W, 3]`` frame), either ComfyUI's float images in ``[0, 1]`` or
``uint8``; the result has the input's dtype and size. Track coordinates are normalised, so any frame size works.
When the frame count differs from the tracks', a single frame is repeated for every track frame and a batch of another
length gets the tracks resampled to it (the same rule the model applies), so previews over generated videos line up.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .colors import hex_to_rgb, palette_color, rgb_to_255
from .errors import TrackDiffError
from .tracklets import Tracklets
from .trajectories import PointTrajectories
from .validate import to_numpy

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _frames_uint8(frames, field: str = "images") -> tuple[np.ndarray, bool]:
    array = to_numpy(frames)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] not in (3, 4) or array.shape[0] < 1:
        raise TrackDiffError(field, array, "must be images shaped [frames, height, width, 3]", "connect an IMAGE")
    array = array[..., :3]
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array.copy()), False
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise TrackDiffError(field, array, "contains NaN or infinity", "give images with values between 0 and 1")
    return np.ascontiguousarray(np.clip(np.round(array * 255.0), 0, 255).astype(np.uint8)), True


def _finish(frames: np.ndarray, as_float: bool) -> np.ndarray:
    return frames.astype(np.float32) / 255.0 if as_float else frames


def _match(frames: np.ndarray, track_frames: int) -> tuple[np.ndarray, int]:
    """Frames to draw on, and the frame count the tracks must be resampled to."""
    if frames.shape[0] == 1 and track_frames > 1:
        return np.repeat(frames, track_frames, axis=0), track_frames
    return frames, frames.shape[0]


def blank_frames(width: int, height: int, count: int = 1, gray: float = 0.5) -> np.ndarray:
    """``float32[count, height, width, 3]`` gray frames to draw on when no image is connected."""
    return np.full((count, height, width, 3), gray, dtype=np.float32)


def _scale(frame: np.ndarray) -> float:
    return max(frame.shape[0], frame.shape[1]) / 512.0


def draw_tracklets(frames, tracklets: Tracklets, thickness: int | None = None, show_labels: bool = True) -> np.ndarray:
    """Each visible box as a rectangle in its object's colour, tagged with its id (and label)."""
    canvas, as_float = _frames_uint8(frames)
    canvas, count = _match(canvas, tracklets.num_frames)
    if count != tracklets.num_frames:
        tracklets = tracklets.resample(count)
    height, width = canvas.shape[1:3]
    px = tracklets.to_pixels(width, height)
    scale = _scale(canvas[0])
    line = thickness or max(1, int(round(2 * scale)))
    font_scale = 0.45 * scale
    for t in range(count):
        frame = canvas[t]
        for n in range(tracklets.num_objects):
            if not tracklets.visible[t, n]:
                continue
            color = rgb_to_255(tracklets.colors[n])
            x1, y1, x2, y2 = (int(round(v)) for v in px[t, n])
            cv2.rectangle(frame, (x1, y1), (max(x1, x2 - 1), max(y1, y2 - 1)), color, line, cv2.LINE_AA)
            if show_labels:
                text = str(tracklets.ids[n]) + (f" {tracklets.labels[n]}" if tracklets.labels[n] else "")
                (tw, th), base = cv2.getTextSize(text, _FONT, font_scale, max(1, line // 2))
                top = y1 - th - base - 2 if y1 - th - base - 2 >= 0 else y1
                cv2.rectangle(frame, (x1, top), (x1 + tw + 4, top + th + base + 2), color, -1)
                cv2.putText(frame, text, (x1 + 2, top + th + 1), _FONT, font_scale, (255, 255, 255), max(1, line // 2), cv2.LINE_AA)
    return _finish(canvas, as_float)


def group_colors(count: int, colors: Sequence[str] | None = None) -> list[tuple[int, int, int]]:
    """0-255 RGB colours per group: the given ``#rrggbb`` list, else the palette."""
    hexes = list(colors) if colors is not None else [palette_color(i) for i in range(count)]
    return [rgb_to_255(hex_to_rgb(h)) for h in hexes]


def draw_trajectories(
    frames, trajectories: PointTrajectories, tail: int = 8, radius: int | None = None, colors: Sequence[str] | None = None,
) -> np.ndarray:
    """Each visible point as a dot in its group's colour, with a tail through its last ``tail`` positions."""
    canvas, as_float = _frames_uint8(frames)
    canvas, count = _match(canvas, trajectories.num_frames)
    if count != trajectories.num_frames:
        trajectories = trajectories.resample(count)
    height, width = canvas.shape[1:3]
    px = trajectories.to_pixels(width, height)
    palette = group_colors(trajectories.num_groups, colors)
    scale = _scale(canvas[0])
    dot = radius or max(2, int(round(3 * scale)))
    line = max(1, int(round(1.5 * scale)))
    for t in range(count):
        frame = canvas[t]
        for p in range(trajectories.num_points):
            color = palette[int(trajectories.groups[p]) % len(palette)]
            start = max(0, t - tail)
            for s in range(start, t):
                if trajectories.visible[s, p] and trajectories.visible[s + 1, p]:
                    a = tuple(int(round(v)) for v in px[s, p])
                    b = tuple(int(round(v)) for v in px[s + 1, p])
                    cv2.line(frame, a, b, color, line, cv2.LINE_AA)
            if trajectories.visible[t, p]:
                cv2.circle(frame, tuple(int(round(v)) for v in px[t, p]), dot, color, -1, cv2.LINE_AA)
    return _finish(canvas, as_float)


def draw_paths(frames, paths: Sequence, colors: Sequence[str] | None = None, thickness: int | None = None) -> np.ndarray:
    """Arrows along normalised polylines (an arrow head on the last segment; a ring for a one-point static anchor)."""
    canvas, as_float = _frames_uint8(frames)
    height, width = canvas.shape[1:3]
    palette = group_colors(len(paths), colors)
    scale = _scale(canvas[0])
    line = thickness or max(1, int(round(3 * scale)))
    for frame in canvas:
        for index, path in enumerate(paths):
            pts = [(int(round(x * width)), int(round(y * height))) for x, y in np.asarray(path, dtype=np.float64)]
            color = palette[index % len(palette)]
            if len(pts) == 1 or all(p == pts[0] for p in pts):
                cv2.circle(frame, pts[0], max(3, 3 * line), color, line, cv2.LINE_AA)
                continue
            for a, b in zip(pts[:-2], pts[1:-1]):
                cv2.line(frame, a, b, color, line, cv2.LINE_AA)
            a, b = pts[-2], pts[-1]
            length = max(1.0, float(np.hypot(b[0] - a[0], b[1] - a[1])))
            cv2.arrowedLine(frame, a, b, color, line, cv2.LINE_AA, tipLength=min(0.5, 14 * scale / length))
    return _finish(canvas, as_float)


def draw_masks(frames, masks, colors: Sequence[str] | None = None, alpha: float = 0.4) -> np.ndarray:
    """Tint each mask's region in its colour (masks are resized to the frames)."""
    canvas, as_float = _frames_uint8(frames)
    height, width = canvas.shape[1:3]
    masks = np.asarray(masks, dtype=bool)
    palette = group_colors(len(masks), colors)
    for index, mask in enumerate(masks):
        if mask.shape != (height, width):
            mask = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        tint = np.array(palette[index % len(palette)], dtype=np.float32)
        region = canvas[:, mask].astype(np.float32)
        canvas[:, mask] = np.clip(region * (1 - alpha) + tint * alpha, 0, 255).astype(np.uint8)
    return _finish(canvas, as_float)

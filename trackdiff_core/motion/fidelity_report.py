"""Motion Fidelity's logic: drawn tracks (or boxes) + a generated video -> ObjMC-style error in pixels, per object and
per frame, a plot of it, and a JSON report. The measure itself is :func:`~trackdiff_core.motion.motion_fidelity`.

The drawing is brought to the video first: its normalised positions are resampled to the video's frame count (the
pack's resample rule) and scaled to the video's pixel size. A drawing made for another aspect ratio than the video's
is refused (its points would land elsewhere). Boxes become point tracks as Tracklets To Tracks makes them (a grid of
points inside each box, moving and scaling with it). Errors are in pixels of the video as given (a video larger than
1024 px on its longer side is tracked at that size and the errors scaled back).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..colors import hex_to_rgb, palette_color, rgb_to_255, rgb_to_hex
from ..errors import TrackDiffError
from ..tracklets import Tracklets
from ..trackgo_points import tracklets_to_trajectories
from ..trajectories import PointTrajectories
from .video_input import video_frames

MAX_PLOTTED_OBJECTS = 8  # objects that get their own line (each is one more tracking pass); beyond, one line for all
ASPECT_TOLERANCE = 0.02
POINTS_PER_BOX = 9


@dataclass(frozen=True)
class FidelityReport:
    """``mean`` px, ``lost_fraction``, ``per_object float64[G]``, ``per_frame float64[T]``, ``lines float64[L, T]``
    (one per plotted object, or one for all), ``line_objects`` (the objects of the lines), ``objects``
    (identities), ``size`` (video width, height)."""

    mean: float
    lost_fraction: float
    per_object: np.ndarray
    per_frame: np.ndarray
    lines: np.ndarray
    line_objects: list[dict]
    objects: list[dict]
    size: tuple[int, int]

    def to_dict(self) -> dict:
        def number(v: float):
            return None if not math.isfinite(float(v)) else round(float(v), 4)

        return {
            "mean_px": number(self.mean),
            "lost_fraction": round(float(self.lost_fraction), 4),
            "frames": len(self.per_frame),
            "width": self.size[0],
            "height": self.size[1],
            "per_object": [{**o, "mean_px": number(e)} for o, e in zip(self.objects, self.per_object)],
            "per_frame_px": [number(v) for v in self.per_frame],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def tracklet_points(tracklets: Tracklets, points_per_box: int = POINTS_PER_BOX) -> tuple[PointTrajectories, list[dict]]:
    """Box tracklets as point tracks (a grid inside each box) and the objects' identities."""
    objects = [{"id": i, "label": label, "color": rgb_to_hex(color)}
               for i, label, color in zip(tracklets.ids, tracklets.labels, tracklets.colors)]
    return tracklets_to_trajectories(tracklets, points_per_box), objects


def identities(count: int, objects=None) -> list[dict]:
    if objects is not None and len(objects) == count:
        return [{"id": int(o.get("id", i)), "label": str(o.get("label", "")),
                 "color": str(o.get("color", palette_color(i)))} for i, o in enumerate(objects)]
    return [{"id": i, "label": "", "color": palette_color(i)} for i in range(count)]


def fidelity_report(drawn: PointTrajectories, video, objects=None, drawn_aspect: float | None = None,
                    config=None, object_lines: bool = True) -> FidelityReport:
    """Compare the drawing ``drawn`` (normalised) with ``video`` (IMAGE batch or ``uint8[T, H, W, 3]``).
    ``object_lines``: also the per-frame error of each object (for the plot; one more tracking pass per object)."""
    from . import motion_fidelity

    frames = video_frames(video, "video")
    source = getattr(video, "shape", None)
    width, height = (int(source[2]), int(source[1])) if source is not None else (frames.shape[2], frames.shape[1])
    if drawn_aspect is not None and abs(drawn_aspect / (width / height) - 1.0) > ASPECT_TOLERANCE:
        raise TrackDiffError("video", f"{width}×{height}", f"has another aspect ratio than the tracks "
                             f"({drawn_aspect:.3f} against {width / height:.3f})",
                             "compare tracks made for this video's size (set the tracks' width and height to it)")
    if drawn.num_points == 0:
        raise TrackDiffError("tracks", "0 points", "hold no point to compare", "connect tracks with points")
    count = frames.shape[0]
    drawn = drawn.resample(count) if drawn.num_frames != count else drawn
    track_size = np.array([frames.shape[2], frames.shape[1]], dtype=np.float64)
    to_video_px = width / frames.shape[2]
    pixels = drawn.points.astype(np.float64) * track_size
    groups = drawn.groups
    group_count = drawn.num_groups
    if not drawn.visible[0].any():
        raise TrackDiffError("tracks", "no point visible at frame 0", "have no point visible on the first frame",
                             "give tracks whose points are visible on the first frame (tracking starts there)")
    total = motion_fidelity(pixels, drawn.visible, frames, groups, config)
    lines, line_objects = [], []
    objects = identities(group_count, objects)
    if group_count == 1:
        lines, line_objects = [total.per_frame], objects[:1]
    elif group_count <= MAX_PLOTTED_OBJECTS and object_lines:
        lines, line_objects = list(total.per_object_frame), list(objects[:group_count])
    else:
        lines, line_objects = [total.per_frame], [{"id": -1, "label": "all", "color": "#404040"}]
    return FidelityReport(total.mean * to_video_px, total.lost_fraction,
                          np.asarray(total.per_object) * to_video_px, np.asarray(total.per_frame) * to_video_px,
                          np.asarray(lines, dtype=np.float64) * to_video_px, line_objects, objects, (width, height))


def plot_errors(report: FidelityReport, width: int = 512, height: int = 256) -> np.ndarray:
    """``float32[1, height, width, 3]``: error per frame, a line per object in its colour (white background, axes,
    the largest error written on the y axis). Drawn with OpenCV."""
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    left, right, top, bottom = 48, 12, 22, 28
    cv2.rectangle(canvas, (left, top), (width - right, height - bottom), (160, 160, 160), 1)
    values = report.lines[np.isfinite(report.lines)]
    peak = float(values.max()) if values.size and values.max() > 0 else 1.0
    frames = report.lines.shape[1] if report.lines.ndim == 2 else 1
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, f"{peak:.1f} px", (2, top + 4), font, 0.35, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(canvas, "0", (left - 12, height - bottom + 4), font, 0.35, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(canvas, f"frame 0..{frames - 1}", (left, height - 8), font, 0.35, (60, 60, 60), 1, cv2.LINE_AA)
    mean = "n/a" if not math.isfinite(report.mean) else f"{report.mean:.2f} px"
    cv2.putText(canvas, f"motion error per frame (mean {mean}, lost {report.lost_fraction:.0%})", (left, 14), font,
                0.4, (20, 20, 20), 1, cv2.LINE_AA)
    span_x = (width - right - left) / max(1, frames - 1)
    span_y = height - bottom - top
    for line, identity in zip(report.lines, report.line_objects):
        color = rgb_to_255(hex_to_rgb(identity["color"]))
        points = [(int(round(left + t * span_x)), int(round(height - bottom - v / peak * span_y)))
                  for t, v in enumerate(line) if math.isfinite(v)]
        if len(points) > 1:
            cv2.polylines(canvas, [np.array(points, dtype=np.int32)], False, color, 2, cv2.LINE_AA)
        for p in points:
            cv2.circle(canvas, p, 2, color, -1, cv2.LINE_AA)
    return (canvas.astype(np.float32) / 255.0)[None]

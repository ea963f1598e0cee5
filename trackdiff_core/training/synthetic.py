"""Synthetic training clips: textured shapes moving along known paths over a textured background.

Every clip is a pure function of ``(seed, index)``, so a training run (and its resume) sees the same data. Per clip:

* a background of random colour gratings plus smooth noise;
* 1 to ``max_objects`` shapes (circle, rectangle, triangle, ellipse) of random size and colour, with a stripe texture
  that moves with the shape (so motion is visible inside it), drawn in order (later shapes in front);
* each shape follows a polyline path (one or two segments, random timing curve) or, with ``static_fraction``
  probability, stays put (TrackGo's static anchors). Motion is rigid translation, so ground truth is exact;
* ``points_per_object`` point tracks per shape, sampled in its visible frame-0 region and moved with it, hidden where
  another shape covers them or they leave the frame;
* each shape's frame-0 visible mask, and its box per frame (the bounding box of its visible pixels) for box-based
  training (TrackDiffusion's Instance Enhancer).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..colors import rgb_to_hex
from ..timing import ease
from ..tracklets import Tracklets, hold_hidden_boxes
from ..trackgo_points import point_on_path, sample_points_in_mask
from ..trajectories import PointTrajectories
from ..validate import integer
from .clips import Clip

SHAPES = ("circle", "rectangle", "triangle", "ellipse")
MOTION_TIMINGS = ("linear", "ease_in", "ease_out", "ease_in_out")
_SHIFT = 4  # OpenCV sub-pixel bits: shapes move smoothly by fractions of a pixel
_ONE = 1 << _SHIFT


class SyntheticClips:
    """An endless, deterministic source of :class:`Clip` (``clip(i)`` depends only on ``seed`` and ``i``)."""

    endless = True

    def __init__(self, frames: int = 14, width: int = 128, height: int = 128, seed: int = 0, max_objects: int = 3,
                 points_per_object: int = 64, static_fraction: float = 0.2):
        self.frames = integer(frames, "frames", 1, 4096)
        self.width = integer(width, "width", 16, 4096)
        self.height = integer(height, "height", 16, 4096)
        self.seed = int(seed)
        self.max_objects = integer(max_objects, "max_objects", 1, 64)
        self.points_per_object = integer(points_per_object, "points_per_object", 1, 4096)
        self.static_fraction = float(static_fraction)

    def __repr__(self) -> str:
        return (f"SyntheticClips(frames={self.frames}, {self.width}x{self.height}, seed={self.seed}, "
                f"max_objects={self.max_objects})")

    # -- pieces --------------------------------------------------------------------------------------------------------
    def _background(self, rng: np.random.Generator) -> np.ndarray:
        h, w = self.height, self.width
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        image = np.zeros((h, w, 3), np.float32)
        for channel in range(3):
            for _ in range(3):
                angle, freq, phase = rng.uniform(0, np.pi), rng.uniform(2, 10) * 2 * np.pi / max(h, w), rng.uniform(0, 6.3)
                image[..., channel] += np.sin((x * np.cos(angle) + y * np.sin(angle)) * freq + phase)
        noise = rng.normal(size=(max(2, h // 8), max(2, w // 8), 3)).astype(np.float32)
        image += 1.5 * cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
        image -= image.min()
        image /= max(float(image.max()), 1e-6)
        base = rng.uniform(0.2, 0.8, size=3).astype(np.float32)
        return np.clip(0.55 * image + 0.45 * base, 0.0, 1.0)

    def _path(self, rng: np.random.Generator) -> np.ndarray:
        start = rng.uniform(0.2, 0.8, size=2)
        if rng.uniform() < self.static_fraction:
            return np.repeat(start[None], self.frames, axis=0)
        points = [start]
        for _ in range(int(rng.integers(1, 3))):
            angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(0.15, 0.45)
            points.append(np.clip(points[-1] + length * np.array([np.cos(angle), np.sin(angle)]), 0.1, 0.9))
        timing = MOTION_TIMINGS[int(rng.integers(len(MOTION_TIMINGS)))]
        progress = ease(np.linspace(0.0, 1.0, self.frames), timing)
        return point_on_path(np.asarray(points), progress)

    def _shape_mask(self, shape: str, centre: np.ndarray, radius: float, aspect: float, angle: float) -> np.ndarray:
        h, w = self.height, self.width
        canvas = np.zeros((h, w), np.uint8)
        cx, cy = centre[0] * w, centre[1] * h
        c = (int(round(cx * _ONE)), int(round(cy * _ONE)))
        if shape == "circle":
            cv2.circle(canvas, c, int(round(radius * _ONE)), 1, -1, cv2.LINE_8, _SHIFT)
        elif shape == "ellipse":
            axes = (int(round(radius * _ONE)), int(round(radius * aspect * _ONE)))
            cv2.ellipse(canvas, c, axes, float(np.degrees(angle)), 0, 360, 1, -1, cv2.LINE_8, _SHIFT)
        else:
            if shape == "rectangle":
                local = np.array([[-1, -aspect], [1, -aspect], [1, aspect], [-1, aspect]], np.float64) * radius
            else:  # triangle
                local = np.array([[0, -1], [0.95, 0.7], [-0.95, 0.7]], np.float64) * radius
            rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            pts = (local @ rot.T + np.array([cx, cy])) * _ONE
            cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1, cv2.LINE_8, _SHIFT)
        return canvas.astype(bool)

    # -- a clip --------------------------------------------------------------------------------------------------------
    def clip(self, index: int) -> Clip:
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, int(index) & 0xFFFFFFFF, 0x5C1])
        background = self._background(rng)
        count = int(rng.integers(1, self.max_objects + 1))
        size = min(self.width, self.height)
        objects = []
        for _ in range(count):
            objects.append({
                "shape": SHAPES[int(rng.integers(len(SHAPES)))],
                "color": rng.uniform(0.0, 1.0, size=3).astype(np.float32),
                "radius": float(rng.uniform(0.08, 0.18) * size),
                "aspect": float(rng.uniform(0.5, 1.0)),
                "angle": float(rng.uniform(0, np.pi)),
                "stripe": float(rng.uniform(3.0, 8.0)),
                "path": self._path(rng),
                "stream": int(rng.integers(1 << 30)),
            })
        labels, objects = self._labels(objects)
        frames = self._render(background, objects, labels)
        return self._annotate(frames, objects, labels)

    def _labels(self, objects: list[dict]) -> tuple[np.ndarray, list[dict]]:
        """Per-frame label maps (index of the front-most object, -1 for background); drops objects hidden at frame 0."""
        while True:
            labels = np.full((self.frames, self.height, self.width), -1, np.int16)
            for i, obj in enumerate(objects):
                obj["masks"] = [self._shape_mask(obj["shape"], obj["path"][t], obj["radius"], obj["aspect"], obj["angle"])
                                for t in range(self.frames)]
                for t in range(self.frames):
                    labels[t][obj["masks"][t]] = i
            hidden = [i for i in range(len(objects)) if (labels[0] == i).sum() < 16]
            if not hidden or len(objects) == 1:
                return labels, objects
            objects = [o for i, o in enumerate(objects) if i not in hidden]

    def _render(self, background: np.ndarray, objects: list[dict], labels: np.ndarray) -> np.ndarray:
        frames = np.repeat(background[None], self.frames, axis=0)
        y, x = np.mgrid[0:self.height, 0:self.width].astype(np.float32)
        for t in range(self.frames):
            for i, obj in enumerate(objects):
                region = labels[t] == i
                if not region.any():
                    continue
                cx, cy = obj["path"][t][0] * self.width, obj["path"][t][1] * self.height
                stripes = 0.5 + 0.5 * np.sin(((x - cx) + 0.5 * (y - cy)) * 2 * np.pi / obj["stripe"])
                shade = (0.7 + 0.3 * stripes)[..., None] * obj["color"]
                frames[t][region] = shade[region]
        return np.round(np.clip(frames, 0, 1) * 255).astype(np.uint8)

    def _annotate(self, frames: np.ndarray, objects: list[dict], labels: np.ndarray) -> Clip:
        count = len(objects)
        all_points, groups = [], []
        masks = np.stack([labels[0] == i for i in range(count)])
        for i, obj in enumerate(objects):
            start = sample_points_in_mask(masks[i], self.points_per_object, obj["stream"], i, f"object {i}")
            move = (obj["path"] - obj["path"][:1]).astype(np.float32)
            all_points.append(start[None] + move[:, None])
            groups.append(np.full(len(start), i, np.int64))
        points = np.concatenate(all_points, axis=1)
        inside = ((points >= 0.0) & (points < 1.0)).all(axis=-1)
        col = np.clip((points[..., 0] * self.width).astype(int), 0, self.width - 1)
        row = np.clip((points[..., 1] * self.height).astype(int), 0, self.height - 1)
        group = np.concatenate(groups)
        front = labels[np.arange(self.frames)[:, None], row, col] == group[None]
        trajectories = PointTrajectories(points, inside & front, group)
        boxes = np.zeros((self.frames, count, 4), np.float32)
        present = np.zeros((self.frames, count), bool)
        for t in range(self.frames):
            for i in range(count):
                ys, xs = np.nonzero(labels[t] == i)
                if len(xs):
                    present[t, i] = True
                    boxes[t, i] = [xs.min() / self.width, ys.min() / self.height, (xs.max() + 1) / self.width,
                                   (ys.max() + 1) / self.height]
        boxes = hold_hidden_boxes(boxes, present)
        tracklets = Tracklets(boxes, present, list(range(count)), [o["shape"] for o in objects],
                              np.stack([o["color"] for o in objects]))
        return Clip(frames, trajectories, masks, tracklets)


def object_colors_hex(clip: Clip) -> list[str]:
    return [rgb_to_hex(c) for c in clip.tracklets.colors]

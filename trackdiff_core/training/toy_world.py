"""The toy world of the motion-control proof (issue 10): flat-coloured shapes whose motion only the tracks tell.

The question the experiment asks is whether a control module learns to *read* trajectories. So every clip is built
such that its first frame says nothing about where things go:

* 2 to ``max_objects`` shapes (circle, rectangle, triangle, ellipse), each a distinct saturated colour from
  :data:`PALETTE` (the colour names the object in a generated video, so its centroid and box can be measured exactly),
  of random size, drawn in order (later shapes in front: occlusion);
* each shape moves in a straight line, in a uniformly random direction, at a random speed (a displacement of
  ``0.15``–``0.6`` of the frame over the clip) with a random timing curve, or stays put (``static_fraction``); paths
  are not kept inside the frame, so shapes leave it, and some start half outside and come in;
* a smooth, muted background (two-colour gradient plus faint low-frequency noise), so the shapes stand out in colour.

Ground truth is exact, as for :class:`~.synthetic.SyntheticClips` (whose label, point and box annotation this class
reuses): point tracks hidden where covered or off-frame, frame-0 masks, and a box tracklet per shape. Clip ``i``
depends only on ``(seed, i)``.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..timing import ease
from .clips import Clip
from .synthetic import MOTION_TIMINGS, SHAPES, SyntheticClips

# Saturated, well-separated hues (0-1 RGB); a clip uses each at most once.
PALETTE = np.array([
    [0.95, 0.15, 0.15],  # red
    [0.15, 0.85, 0.20],  # green
    [0.15, 0.30, 0.95],  # blue
    [0.95, 0.85, 0.10],  # yellow
    [0.90, 0.20, 0.90],  # magenta
    [0.10, 0.85, 0.90],  # cyan
], np.float32)


class ToyWorldClips(SyntheticClips):
    """An endless, deterministic source of toy-world :class:`Clip` (``clip(i)`` depends only on ``seed`` and ``i``)."""

    def __init__(self, frames: int = 8, width: int = 128, height: int = 128, seed: int = 0, max_objects: int = 3,
                 points_per_object: int = 64, static_fraction: float = 0.15, entering_fraction: float = 0.2):
        super().__init__(frames, width, height, seed, min(int(max_objects), len(PALETTE)), points_per_object,
                         static_fraction)
        self.entering_fraction = float(entering_fraction)

    def __repr__(self) -> str:
        return (f"ToyWorldClips(frames={self.frames}, {self.width}x{self.height}, seed={self.seed}, "
                f"max_objects={self.max_objects})")

    def _background(self, rng: np.random.Generator) -> np.ndarray:
        h, w = self.height, self.width
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (x / w - 0.5) * np.cos(angle) + (y / h - 0.5) * np.sin(angle) + 0.5
        grey = rng.uniform(0.35, 0.65)
        a, b = (grey + rng.uniform(-0.12, 0.12, size=3)).astype(np.float32), (grey + rng.uniform(-0.12, 0.12, size=3))
        image = a[None, None] * (1 - ramp[..., None]) + b.astype(np.float32)[None, None] * ramp[..., None]
        noise = rng.normal(size=(3, 3, 3)).astype(np.float32)
        image += 0.03 * cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
        return np.clip(image, 0.0, 1.0)

    def _path(self, rng: np.random.Generator) -> np.ndarray:
        if rng.uniform() < self.entering_fraction:  # starts on an edge, half outside, and comes in
            side = int(rng.integers(4))
            along = rng.uniform(0.2, 0.8)
            start = np.array([[0.0, along], [1.0, along], [along, 0.0], [along, 1.0]][side])
            inward = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]][side], np.float64)
            angle = np.arctan2(inward[1], inward[0]) + rng.uniform(-0.6, 0.6)
        else:
            start = rng.uniform(0.15, 0.85, size=2)
            if rng.uniform() < self.static_fraction:
                return np.repeat(start[None], self.frames, axis=0)
            angle = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(0.15, 0.6)
        end = start + length * np.array([np.cos(angle), np.sin(angle)])
        timing = MOTION_TIMINGS[int(rng.integers(len(MOTION_TIMINGS)))]
        progress = ease(np.linspace(0.0, 1.0, self.frames), timing)
        return start[None] + progress[:, None] * (end - start)[None]

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed & 0xFFFFFFFF, int(index) & 0xFFFFFFFF, 0x7A1])

    def background(self, index: int) -> np.ndarray:
        """Clip ``index``'s background without its shapes (``float32[H, W, 3]`` in [0, 1]), for measuring them."""
        return self._background(self._rng(index))

    def clip(self, index: int) -> Clip:
        rng = self._rng(index)
        background = self._background(rng)
        count = int(rng.integers(min(2, self.max_objects), self.max_objects + 1))
        colours = rng.permutation(len(PALETTE))[:count]
        size = min(self.width, self.height)
        objects = [{
            "shape": SHAPES[int(rng.integers(len(SHAPES)))],
            "color": PALETTE[colours[i]],
            "radius": float(rng.uniform(0.08, 0.15) * size),
            "aspect": float(rng.uniform(0.6, 1.0)),
            "angle": float(rng.uniform(0, np.pi)),
            "path": self._path(rng),
            "stream": int(rng.integers(1 << 30)),
        } for i in range(count)]
        labels, objects = self._labels(objects)
        frames = self._render(background, objects, labels)
        return self._annotate(frames, objects, labels)

    def _render(self, background: np.ndarray, objects: list[dict], labels: np.ndarray) -> np.ndarray:
        frames = np.repeat(background[None], self.frames, axis=0)
        for t in range(self.frames):
            for i, obj in enumerate(objects):
                frames[t][labels[t] == i] = obj["color"]
        return np.round(np.clip(frames, 0, 1) * 255).astype(np.uint8)

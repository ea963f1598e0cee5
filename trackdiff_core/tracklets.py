"""``Tracklets``: a box per object per frame, the data behind TrackDiffusion (the ``TRACKLETS`` socket type).

Coordinates are normalised to the frame (``x1, y1, x2, y2`` in ``[0, 1]``, origin top-left), so a change of image or
generation size never moves a box; pixels exist only at the edges (:meth:`Tracklets.to_pixels`,
:meth:`Tracklets.from_pixels`) and always with an explicit width × height.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .colors import hex_to_rgb, palette_color
from .errors import TrackDiffError, join_field
from .trajectories import resample_frames
from .validate import bool_array, float_array, frame_size, to_numpy


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


class Tracklets:
    """Boxes per object per frame, validated once here.

    Attributes:
        boxes: ``float32[T, N, 4]`` normalised ``x1, y1, x2, y2``; every value in ``[0, 1]``, and ``x1 < x2``,
            ``y1 < y2`` wherever the box is visible. Where it is hidden the box is kept (the importers hold the nearest
            visible box there) so that resampling moves smoothly.
        visible: ``bool[T, N]``, whether object ``n`` is present at frame ``t`` (appear / disappear).
        ids: ``N`` distinct non-negative integers (the object's identity across frames and files).
        labels: ``N`` strings (a class name such as ``"car"``, or ``""``).
        colors: ``float32[N, 3]`` RGB in ``[0, 1]`` (the object's colour, a second identity cue for TrackDiffusion).
        camera: ``float64[T, 3, 3]`` or ``None``: the camera layer that moved these boxes (the boxes are already in
            screen coordinates), as per-frame screen-from-scene matrices in normalised coordinates
            (:mod:`trackdiff_core.camera`), so a target can add background tracks that move with the camera alone.
            Resampled with the boxes (linearly, entry by entry) and kept by every derived Tracklets.
    """

    __slots__ = ("boxes", "visible", "ids", "labels", "colors", "camera")

    def __init__(
        self,
        boxes,
        visible=None,
        ids: Sequence[int] | None = None,
        labels: Sequence[str] | None = None,
        colors=None,
        camera=None,
    ):
        boxes = float_array(boxes, "boxes", 3, 4, fix="give boxes as [frames, objects, 4] normalised x1, y1, x2, y2")
        frames, count = boxes.shape[:2]
        if frames < 1:
            raise TrackDiffError("boxes", boxes, "has no frames", "give at least one frame")
        if visible is None:
            visible = np.ones((frames, count), dtype=bool)
        visible = bool_array(visible, "visible", (frames, count), fix="give one True/False per frame and object")
        outside = (boxes < 0.0) | (boxes > 1.0)
        if outside.any():
            t, n, k = np.argwhere(outside)[0].tolist()
            raise TrackDiffError(
                f"boxes[{t}][{n}]",
                boxes[t, n].tolist(),
                f"coordinate {'x1 y1 x2 y2'.split()[k]} lies outside the frame [0, 1]",
                "keep boxes inside the image (normalised coordinates run from 0 at the left/top to 1 at the right/bottom)",
            )
        inverted = (boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1])
        empty = ((boxes[..., 2] <= boxes[..., 0]) | (boxes[..., 3] <= boxes[..., 1])) & visible
        bad = inverted | empty
        if bad.any():
            t, n = np.argwhere(bad)[0].tolist()
            raise TrackDiffError(
                f"boxes[{t}][{n}]",
                boxes[t, n].tolist(),
                "is inverted or has no area (need x1 < x2 and y1 < y2)",
                "give the top-left corner first and the bottom-right corner second",
            )
        if ids is None:
            ids = list(range(count))
        ids = tuple(int(i) for i in _sized(ids, count, "ids"))
        if any(i < 0 for i in ids):
            raise TrackDiffError("ids", list(ids), "must be non-negative integers", "number objects 0, 1, 2, …")
        if len(set(ids)) != count:
            dup = next(i for i in ids if ids.count(i) > 1)
            raise TrackDiffError("ids", list(ids), f"id {dup} is used by more than one object", "give each object its own id")
        labels = tuple(_sized(labels if labels is not None else [""] * count, count, "labels"))
        for index, label in enumerate(labels):
            if not isinstance(label, str):
                raise TrackDiffError(join_field("labels", index), label, "is not a string", 'use text such as "car" or ""')
        if colors is None:
            colors = [hex_to_rgb(palette_color(i)) for i in range(count)]
        elif len(colors) and isinstance(colors[0], str):
            colors = [hex_to_rgb(c, join_field("colors", i)) for i, c in enumerate(colors)]
        colors = float_array(np.reshape(colors, (-1, 3)) if count else np.zeros((0, 3)), "colors", 2, 3)
        if colors.shape[0] != count or ((colors < 0) | (colors > 1)).any():
            raise TrackDiffError("colors", colors, f"must be {count} RGB triples in [0, 1]", "give one colour per object")
        if camera is not None:
            float_array(camera, "camera", 3, 3, fix="give one 3×3 matrix per frame, or no camera")  # shape, finite
            camera = np.array(to_numpy(camera), dtype=np.float64)  # kept in float64: matrices compose exactly
            if camera.shape != (frames, 3, 3):
                raise TrackDiffError("camera", camera, f"must have shape [{frames}, 3, 3] (one matrix per frame)",
                                     "give one 3×3 screen-from-scene matrix per frame, or no camera")
            camera = _readonly(camera)
        for name, value in (("boxes", boxes), ("visible", visible), ("colors", colors)):
            object.__setattr__(self, name, _readonly(value))
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "camera", camera)

    def __setattr__(self, name, value):
        raise AttributeError("Tracklets are immutable; build a new one")

    # -- shape ---------------------------------------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        return int(self.boxes.shape[0])

    @property
    def num_objects(self) -> int:
        return int(self.boxes.shape[1])

    def __repr__(self) -> str:
        camera = "" if self.camera is None else ", camera"
        return f"Tracklets(frames={self.num_frames}, objects={self.num_objects}, ids={list(self.ids)}{camera})"

    # -- derived -------------------------------------------------------------------------------------------------------
    def resample(self, num_frames: int) -> "Tracklets":
        """The same motion over ``num_frames`` frames (first to first, last to last).

        Boxes are interpolated linearly between the two nearest source frames; visibility is taken from the nearest
        source frame. Resampling to the same count returns an equal copy.
        """
        boxes, visible = resample_frames(self.boxes, num_frames, self.visible)
        camera = None if self.camera is None else resample_frames(self.camera, num_frames)[0]
        return Tracklets(np.clip(boxes, 0.0, 1.0), visible, self.ids, self.labels, self.colors, camera)

    def to_pixels(self, width: int, height: int) -> np.ndarray:
        """``float32[T, N, 4]`` boxes in pixels at ``width`` × ``height`` (edges, not pixel centres)."""
        w, h = frame_size(width, height)
        return (self.boxes * np.array([w, h, w, h], dtype=np.float32)).astype(np.float32)

    @classmethod
    def from_pixels(
        cls,
        boxes,
        width: int,
        height: int,
        visible=None,
        ids: Sequence[int] | None = None,
        labels: Sequence[str] | None = None,
        colors=None,
        camera=None,
    ) -> "Tracklets":
        """Build from pixel boxes ``x1, y1, x2, y2`` at ``width`` × ``height`` (the inverse of :meth:`to_pixels`);
        ``camera`` is in normalised coordinates, as on the object."""
        w, h = frame_size(width, height)
        px = float_array(boxes, "boxes", 3, 4, fix="give boxes as [frames, objects, 4] pixel x1, y1, x2, y2")
        return cls(px / np.array([w, h, w, h], dtype=np.float32), visible, ids, labels, colors, camera)

    def centers(self) -> np.ndarray:
        """``float32[T, N, 2]`` normalised box centres."""
        return np.stack(
            [(self.boxes[..., 0] + self.boxes[..., 2]) * 0.5, (self.boxes[..., 1] + self.boxes[..., 3]) * 0.5], axis=-1
        )

    def select(self, indices: Iterable[int]) -> "Tracklets":
        """The objects at ``indices``, in that order."""
        idx = list(indices)
        return Tracklets(
            self.boxes[:, idx],
            self.visible[:, idx],
            [self.ids[i] for i in idx],
            [self.labels[i] for i in idx],
            self.colors[idx],
            self.camera,
        )

    def allclose(self, other: "Tracklets", atol: float = 1e-6) -> bool:
        """Equal up to ``atol`` in coordinates and colours, and exactly equal in everything else."""
        return (
            self.boxes.shape == other.boxes.shape
            and np.allclose(self.boxes, other.boxes, atol=atol, rtol=0)
            and np.array_equal(self.visible, other.visible)
            and self.ids == other.ids
            and self.labels == other.labels
            and np.allclose(self.colors, other.colors, atol=max(atol, 1.0 / 255), rtol=0)
            and (self.camera is None) == (other.camera is None)
            and (self.camera is None or np.allclose(self.camera, other.camera, atol=atol, rtol=0))
        )


def hold_hidden_boxes(boxes: np.ndarray, visible: np.ndarray, fallback=(0.0, 0.0, 1.0, 1.0)) -> np.ndarray:
    """Fill the boxes at hidden frames with the nearest visible box of the same object (earlier wins a tie).

    Importers use this so that a box never jumps to a placeholder between two visible frames. An object that is never
    visible gets ``fallback``.
    """
    boxes = np.array(boxes, dtype=np.float32, copy=True)
    frames, count = visible.shape
    for n in range(count):
        shown = np.flatnonzero(visible[:, n])
        if shown.size == 0:
            boxes[:, n] = fallback
            continue
        nearest = shown[np.abs(np.arange(frames)[:, None] - shown[None, :]).argmin(axis=1)]
        boxes[:, n] = boxes[nearest, n]
    return boxes


def _sized(values, count: int, field: str) -> list:
    values = list(values)
    if len(values) != count:
        raise TrackDiffError(field, values, f"has {len(values)} entries for {count} objects", "give one entry per object")
    return values

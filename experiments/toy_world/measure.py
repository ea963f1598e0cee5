"""Measuring the toy world: drawn tracks (true, another clip's, reversed, still) and where generated shapes are.

Nothing here imports ComfyUI. The shapes are flat colours from a fixed palette over a muted background, so in any
picture a pixel's *colour fraction* of object ``k`` — ``α_k = ⟨x − B, c_k − B⟩ / ‖c_k − B‖²`` (clipped to [0, 1]),
with ``B`` the clip's background and ``c_k`` the object's colour — is the share of that pixel the object covers. It
survives the toy VAE's 8×8 block means (a half-covered block reads 0.5), so centroids are sub-block exact. A pixel
counts for the object whose fraction is largest there, if that is at least ``MIN_FRACTION``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackdiff_core.training.clips import Clip

MIN_FRACTION = 0.3  # a pixel counts for an object when at least this share of it has the object's colour
MIN_PRESENCE = 0.3  # an object is "found" in a frame when its colour covers at least this share of its frame-0 area
VARIANTS = ("true", "other", "reversed", "still")


def object_motion(clip: Clip) -> np.ndarray:
    """``float[N, T, 2]`` normalised displacement of each object from frame 0 (the toy world's motion is rigid)."""
    trajectories = clip.trajectories
    moves = []
    for k in range(len(clip.masks)):
        first = np.flatnonzero(trajectories.groups == k)[0]
        moves.append(trajectories.points[:, first] - trajectories.points[:1, first])
    return np.stack(moves).astype(np.float64)


def drawn_motion(clip: Clip, variant: str, other: Clip | None = None) -> np.ndarray:
    """The displacement a person draws for each object of ``clip`` (``float[N, T, 2]``, normalised)."""
    motion = object_motion(clip)
    if variant == "true":
        return motion
    if variant == "reversed":
        return -motion
    if variant == "still":
        return np.zeros_like(motion)
    if variant == "other":
        if other is None:
            raise ValueError("the 'other' variant needs another clip")
        theirs = object_motion(other)
        return np.stack([theirs[k % len(theirs)] for k in range(len(motion))])
    raise ValueError(f"unknown variant {variant!r}; use one of {VARIANTS}")


def mask_centroids(masks: np.ndarray) -> np.ndarray:
    """``float[N, 2]`` pixel centroid (x, y) of each frame-0 mask: where a person starts each shape's drawn path."""
    out = []
    for mask in masks:
        ys, xs = np.nonzero(mask)
        out.append((xs.mean() + 0.5, ys.mean() + 0.5))
    return np.array(out, np.float64)


def colour_fractions(frames: np.ndarray, background: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """``float[N, T, H, W]``: each pixel's share of each object's colour (0 where another object's share is larger)."""
    frames = np.asarray(frames, np.float64)
    if frames.ndim == 3:
        frames = frames[None]
    bg = np.asarray(background, np.float64)
    fractions = []
    for colour in np.asarray(colours, np.float64):
        direction = colour[None, None] - bg
        fractions.append(((frames - bg[None]) * direction[None]).sum(-1) / (direction ** 2).sum(-1).clip(1e-6)[None])
    fractions = np.clip(np.stack(fractions), 0.0, 1.0)
    best = fractions.argmax(axis=0)
    keep = (np.arange(len(fractions))[:, None, None, None] == best[None]) & (fractions >= MIN_FRACTION)
    return np.where(keep, fractions, 0.0)


@dataclass
class Measured:
    centroids: np.ndarray  # float[N, T, 2] pixels (x, y); NaN where the object is not found
    presence: np.ndarray  # float[N, T]: colour-covered area / the object's frame-0 area


def measure(frames: np.ndarray, background: np.ndarray, colours: np.ndarray, areas: np.ndarray) -> Measured:
    """Centroids (pixels) and presence of each object in ``frames`` (``float[T, H, W, 3]`` in [0, 1])."""
    fractions = colour_fractions(frames, background, colours)
    _, _, height, width = fractions.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    mass = fractions.sum(axis=(2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = (fractions * xs).sum(axis=(2, 3)) / mass
        cy = (fractions * ys).sum(axis=(2, 3)) / mass
    presence = mass / np.asarray(areas, np.float64)[:, None].clip(1.0)
    centroids = np.stack([cx, cy], axis=-1)
    centroids[presence < MIN_PRESENCE] = np.nan
    return Measured(centroids, presence)


def _shifted(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    height, width = mask.shape
    out = np.zeros_like(mask)
    src = mask[max(0, -dy):height - max(0, dy), max(0, -dx):width - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def targets(motion: np.ndarray, masks: np.ndarray, min_visible: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    """Where drawn motion puts each object and in which frames that can be measured.

    Each frame-0 mask is moved by its drawn displacement (to the nearest pixel) and the moved masks are layered in
    the clip's depth order (later objects in front, as the toy world draws them). The target is the centroid of what
    stays visible (``float[N, T, 2]`` pixels); a frame is measurable when at least ``min_visible`` of the object's
    frame-0 area stays visible there (not covered, not out of the frame)."""
    count, frames = motion.shape[:2]
    height, width = masks.shape[1:]
    pixels = np.rint(motion * np.array([width, height])).astype(int)
    areas = masks.reshape(count, -1).sum(axis=1)
    where = np.full((count, frames, 2), np.nan)
    measurable = np.zeros((count, frames), bool)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    for t in range(frames):
        labels = np.full((height, width), -1)
        for k in range(count):
            labels[_shifted(masks[k], pixels[k, t, 0], pixels[k, t, 1])] = k
        for k in range(count):
            visible = labels == k
            if visible.any():
                where[k, t] = xs[visible].mean(), ys[visible].mean()
            measurable[k, t] = areas[k] > 0 and visible.sum() >= min_visible * areas[k]
    return where, measurable


def trajectory_error(measured: Measured, where: np.ndarray, measurable: np.ndarray, diagonal: float) -> dict:
    """TrackGo's ObjMC analogue: the mean pixel distance between generated and drawn object positions over the frames
    after the first that can be measured. A frame whose object is not found counts at ``diagonal`` (the frame's
    diagonal: as far off as it can be) in ``error``; ``lost`` is the share of such frames, ``found_error`` the mean
    over the others."""
    use = measurable.copy()
    use[:, 0] = False
    distance = np.linalg.norm(measured.centroids - where, axis=-1)
    found = np.isfinite(distance) & use
    if not use.any():
        return {"error": np.nan, "found_error": np.nan, "lost": np.nan, "frames": 0}
    penalised = np.where(found, distance, diagonal)[use]
    return {"error": float(penalised.mean()), "found_error": float(distance[found].mean()) if found.any() else np.nan,
            "lost": float(1.0 - found.sum() / use.sum()), "frames": int(use.sum())}


def object_boxes(frames: np.ndarray, background: np.ndarray, colours: np.ndarray, areas: np.ndarray | None = None,
                 threshold: float = MIN_FRACTION) -> np.ndarray:
    """The box of each object in ``frames`` (``float[T, H, W, 3]`` in [0, 1]): ``float[N, T, 4]`` pixel edges
    ``x1 y1 x2 y2`` of the pixels that count for the object (colour fraction at least ``threshold``); NaN where there is
    none or, given the objects' frame-0 ``areas``, where they cover less than ``MIN_PRESENCE`` of it. Like the toy
    world's own box tracklets it is the box of the *visible* part, so on a ground-truth clip it is the clip's box.

    Through the toy VAE's 8×8 block means an edge snaps to a block boundary. At 64×64 (8×8 latents, shapes 10–20 px)
    that caps the IoU of ground-truth frames passed through the blocks at about 0.57 (tests/core/test_toy_world_boxes.py):
    compare generated videos with that ceiling, measured on the same clips' encoded-and-decoded frames."""
    fractions = colour_fractions(frames, background, colours)
    inside = fractions >= threshold
    count, frames_count = inside.shape[:2]
    boxes = np.full((count, frames_count, 4), np.nan)
    for k in range(count):
        for t in range(frames_count):
            rows, cols = np.nonzero(inside[k, t])
            if len(rows) == 0:
                continue
            if areas is not None and inside[k, t].sum() < MIN_PRESENCE * float(areas[k]):
                continue
            boxes[k, t] = cols.min(), rows.min(), cols.max() + 1, rows.max() + 1
    return boxes


def drawn_boxes(boxes: np.ndarray, visible: np.ndarray, width: int, height: int) -> np.ndarray:
    """Normalised box tracklets (``float[T, N, 4]``, ``bool[T, N]``, as ``Tracklets.boxes``/``visible``) as
    ``float[N, T, 4]`` pixel edges, NaN where the object is hidden (nothing drawn to compare with)."""
    pixels = np.asarray(boxes, np.float64) * np.array([width, height, width, height], np.float64)
    pixels[~np.asarray(visible, bool)] = np.nan
    return pixels.transpose(1, 0, 2)


def box_iou(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes ``[..., 4]`` (``x1 y1 x2 y2``); NaN where either box is NaN."""
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    width = np.minimum(first[..., 2], second[..., 2]) - np.maximum(first[..., 0], second[..., 0])
    height = np.minimum(first[..., 3], second[..., 3]) - np.maximum(first[..., 1], second[..., 1])
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    area = lambda b: np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / (area(first) + area(second) - inter)


def box_agreement(generated: np.ndarray, drawn: np.ndarray) -> dict:
    """TrackDiffusion's box-following measure: per-frame IoU of the generated objects' boxes (:func:`object_boxes`)
    against the drawn ones (:func:`drawn_boxes`), both ``float[N, T, 4]``, over the frames after the first where a box
    was drawn. An object not found counts as IoU 0 in ``iou``; ``per_frame`` is the mean over objects at each frame
    (NaN where nothing was drawn), ``lost`` the share of drawn boxes with no object found."""
    use = np.isfinite(drawn).all(axis=-1)
    use[:, 0] = False
    iou = np.where(use, np.nan_to_num(box_iou(generated, drawn), nan=0.0), np.nan)
    found = np.isfinite(generated).all(axis=-1) & use
    if not use.any():
        return {"iou": np.nan, "per_frame": np.full(drawn.shape[1], np.nan), "lost": np.nan, "boxes": 0}
    per_frame = np.array([iou[use[:, t], t].mean() if use[:, t].any() else np.nan for t in range(drawn.shape[1])])
    return {"iou": float(iou[use].mean()), "per_frame": per_frame, "lost": float(1.0 - found.sum() / use.sum()),
            "boxes": int(use.sum())}

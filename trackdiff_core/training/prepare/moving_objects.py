"""Moving objects in a video with no annotation (``prepare --source videos``): points that move against the camera.

A grid of points on frame 0 is tracked (:func:`trackdiff_core.motion.track_points`) and the camera's motion is fitted
to those same tracks as a similarity (pan, zoom, rotation), frame 0 → t directly, by RANSAC with a 1-pixel threshold (so a moving object's points, a few
pixels off, cannot join the fit; composing frame-to-frame steps, as ``estimate_camera`` does, lets an object that
moves less per frame than its RANSAC threshold drag the camera along on small frames). A point's *residual* at frame ``t`` is where
it is minus where the camera alone would have put it. Points whose residual exceeds ``min_motion`` pixels in some frame
(and that stay visible at least half of the clip) are moving; two moving points belong to one object when they start
within ``1.5`` grid steps of each other and their residual paths differ by less than ``max(1.5 px, 15 %)`` of the
larger one in every frame both are seen (union-find over those links). The strict per-frame agreement keeps out
background points that a moving object covers and drags along from some frame on (the tracker's first version does
not always hide them): they start moving later than the object. An object is the union of its points' grid cells (closed
morphologically); clusters of fewer than ``min_points`` points are dropped.

How good this is: it finds objects that move rigidly enough for their points to agree, against a camera a similarity
describes (pans, zooms, rotations about the optical axis). It merges objects that touch and move alike, splits articulated
ones whose parts move differently, misses objects that only deform in place, and takes parallax (near scenery under a
moving camera) for motion. Its masks are grid-cell accurate, not pixel accurate.
"""

from __future__ import annotations

import numpy as np

from ...motion import TrackerConfig, track_points


def _apply(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    ones = np.ones((len(points), 1))
    mapped = np.concatenate([points, ones], axis=1) @ homography.T
    return mapped[:, :2] / mapped[:, 2:3]


def camera_from_tracks(starts: np.ndarray, points: np.ndarray, visible: np.ndarray, threshold: float = 1.0) -> np.ndarray:
    """The similarity (pan, zoom, rotation) frame 0 → this frame that most tracked points agree with, as a 3×3 matrix
    (identity when too few are seen). Four degrees of freedom, not a homography's eight: with few points and small
    motions a homography finds room to bend around a moving object's points."""
    import cv2

    if visible.sum() < 8:
        return np.eye(3)
    matrix, _ = cv2.estimateAffinePartial2D(starts[visible], points[visible].astype(np.float64), method=cv2.RANSAC,
                                            ransacReprojThreshold=threshold, maxIters=2000, confidence=0.999)
    return np.eye(3) if matrix is None else np.vstack([matrix, [0.0, 0.0, 1.0]])


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def moving_object_masks(frames: np.ndarray, grid: int = 8, min_motion: float = 2.0, min_points: int = 4,
                        config: TrackerConfig | None = None) -> np.ndarray:
    """``bool[N, H, W]``: the frame-0 regions of the objects that move against the camera, largest first."""
    count, height, width = frames.shape[:3]
    ys, xs = np.mgrid[grid // 2:height:grid, grid // 2:width:grid]
    starts = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    queries = np.concatenate([np.zeros((len(starts), 1)), starts], axis=1)
    tracks = track_points(frames, queries, config)
    residual = np.zeros((count, len(starts), 2))
    for t in range(count):
        residual[t] = tracks.points[t] - _apply(camera_from_tracks(starts, tracks.points[t], tracks.visible[t]), starts)
    visible = tracks.visible
    size = np.linalg.norm(residual, axis=-1)
    size[~visible] = 0.0
    moving = np.flatnonzero((size.max(axis=0) > min_motion) & (visible.mean(axis=0) >= 0.5))
    if len(moving) == 0:
        return np.zeros((0, height, width), dtype=bool)
    parent = list(range(len(moving)))
    both = visible[:, moving]
    for a in range(len(moving)):
        for b in range(a + 1, len(moving)):
            i, j = moving[a], moving[b]
            if np.abs(starts[i] - starts[j]).max() > 1.5 * grid:
                continue
            shared = both[:, a] & both[:, b]
            if not shared.any():
                continue
            difference = np.linalg.norm(residual[shared, i] - residual[shared, j], axis=-1).max()
            scale = max(size[:, i].max(), size[:, j].max())
            if difference < max(1.5, 0.15 * scale):
                parent[_find(parent, a)] = _find(parent, b)
    clusters: dict[int, list[int]] = {}
    for a in range(len(moving)):
        clusters.setdefault(_find(parent, a), []).append(moving[a])
    import cv2

    masks = []
    for members in sorted(clusters.values(), key=len, reverse=True):
        if len(members) < min_points:
            continue
        mask = np.zeros((height, width), dtype=np.uint8)
        for x, y in starts[members]:
            x0, y0 = int(x) - grid // 2, int(y) - grid // 2
            mask[max(0, y0):y0 + grid, max(0, x0):x0 + grid] = 1
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        masks.append(mask.astype(bool))
    return np.stack(masks) if masks else np.zeros((0, height, width), dtype=bool)

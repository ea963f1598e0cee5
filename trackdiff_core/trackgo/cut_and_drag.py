"""Zero-weight TrackGo (experimental): a rough "cut and drag" guide video from the first frame.

No TrackGo weights exist, so this gives masks + arrows an effect today without any training: each object's masked
region of the first frame is cut out and pasted, frame by frame, at its points' mean displacement; the hole it leaves
is filled (OpenCV inpainting) or left as it was. The result is a crude animation — rigid translation, no rotation,
no occlusion reasoning, no lighting — meant to be VAE-encoded and re-noised: sampling SVD from it at denoise < 1
(SDEdit) keeps the coarse motion and lets the model repaint the details. It is a guide, not a TrackGo result.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import TrackDiffError
from ..masks import as_masks, resize_masks
from ..trajectories import PointTrajectories, group_displacements

FILLS = ("inpaint", "keep")


def object_displacements(trajectories: PointTrajectories) -> np.ndarray:
    """``float32[T, N, 2]``: each object's (group's) displacement since frame 0, normalised (see
    :func:`~trackdiff_core.trajectories.group_displacements`: points that hide or appear never move it)."""
    return group_displacements(trajectories.points, trajectories.visible, trajectories.groups, trajectories.num_groups)


def masks_from_points(trajectories: PointTrajectories, width: int, height: int, grow: float = 0.03) -> np.ndarray:
    """Masks when none are known: the convex hull of each object's frame-0 points, grown by ``grow`` of the frame."""
    radius = max(2, int(round(grow * min(width, height))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    masks = np.zeros((trajectories.num_groups, height, width), dtype=np.uint8)
    for g in range(trajectories.num_groups):
        pts = trajectories.points[0, trajectories.groups == g] * np.array([width, height], dtype=np.float32)
        if len(pts) == 0:
            continue
        hull = cv2.convexHull(np.round(pts).astype(np.int32))
        cv2.fillConvexPoly(masks[g], hull, 1)
        masks[g] = cv2.dilate(masks[g], kernel)
    return masks.astype(bool)


def render_cut_and_drag(
    image, trajectories: PointTrajectories, masks=None, fill: str = "inpaint", feather: float = 2.0,
) -> np.ndarray:
    """``float32[T, H, W, 3]`` guide frames from ``image`` (``[H, W, 3]`` or ``[1, H, W, 3]``, values 0-1)."""
    frame = np.asarray(image, dtype=np.float32)
    if frame.ndim == 4:
        frame = frame[0]
    if frame.ndim != 3 or frame.shape[-1] < 3:
        raise TrackDiffError("image", frame, "must be an image shaped [height, width, 3]", "connect an IMAGE")
    if not np.all(np.isfinite(frame)):
        raise TrackDiffError("image", frame, "contains NaN or infinity", "give an image with values between 0 and 1")
    if fill not in FILLS:
        raise TrackDiffError("fill", fill, "is not a known fill", f"use one of {', '.join(FILLS)}")
    frame = np.clip(frame[..., :3], 0.0, 1.0)
    height, width = frame.shape[:2]
    if masks is None:
        masks = masks_from_points(trajectories, width, height)
    else:
        masks = resize_masks(as_masks(masks, "masks"), width, height)
    if len(masks) != trajectories.num_groups:
        raise TrackDiffError("masks", f"{len(masks)} masks for {trajectories.num_groups} objects",
                             "must hold one mask per object of the tracks", "connect the tracks' own masks")
    moves = object_displacements(trajectories) * np.array([width, height], dtype=np.float32)
    union = masks.any(axis=0)
    frame8 = np.round(frame * 255.0).astype(np.uint8)
    if fill == "inpaint" and union.any():
        grown = cv2.dilate(union.astype(np.uint8), np.ones((5, 5), np.uint8))
        background = cv2.inpaint(frame8, grown, 5, cv2.INPAINT_TELEA).astype(np.float32) / 255.0
    else:
        background = frame.copy()
    out = np.repeat(background[None], trajectories.num_frames, axis=0)
    sigma = max(0.0, float(feather))
    for g in range(len(masks)):
        alpha0 = masks[g].astype(np.float32)
        if sigma > 0:
            alpha0 = cv2.GaussianBlur(alpha0, (0, 0), sigma)
        for t in range(trajectories.num_frames):
            dx, dy = moves[t, g]
            shift = np.float32([[1, 0, dx], [0, 1, dy]])
            alpha = cv2.warpAffine(alpha0, shift, (width, height), flags=cv2.INTER_LINEAR, borderValue=0.0)[..., None]
            moved = cv2.warpAffine(frame, shift, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
            out[t] = out[t] * (1.0 - alpha) + moved * alpha
    return np.clip(out, 0.0, 1.0).astype(np.float32)

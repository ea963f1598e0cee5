"""The two naive trackers a user would write in ten lines, scored beside the pack's tracker."""

from __future__ import annotations

import cv2
import numpy as np


def _grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def _both_directions(frames, queries, step):
    """Run ``step(previous_frame, next_frame, points) -> points`` forward and backward from each query frame."""
    count = len(frames)
    query_frame = queries[:, 0].astype(int)
    points = np.zeros((count, len(queries), 2), np.float32)
    for order in (range(count), range(count - 1, -1, -1)):
        position = queries[:, 1:].astype(np.float32).copy()
        started = np.zeros(len(queries), bool)
        previous = None
        for t in order:
            grey = _grey(frames[t])
            if previous is not None and started.any():
                position[started] = step(previous, grey, position[started])
            joining = query_frame == t
            position[joining] = queries[joining, 1:]
            started |= joining
            points[t, started] = position[started]
            previous = grey
    return points, np.ones(points.shape[:2], bool)


def naive_lk(frames: np.ndarray, queries: np.ndarray):
    """Frame-to-frame ``cv2.calcOpticalFlowPyrLK`` with OpenCV's defaults, no checks, always visible."""

    def step(previous, current, points):
        moved, _, _ = cv2.calcOpticalFlowPyrLK(previous, current, points.reshape(-1, 1, 2), None)
        return moved.reshape(-1, 2)

    return _both_directions(frames, queries, step)


def naive_farneback(frames: np.ndarray, queries: np.ndarray):
    """Chained dense ``cv2.calcOpticalFlowFarneback`` (the OpenCV tutorial's parameters), sampled bilinearly, always
    visible."""

    def step(previous, current, points):
        flow = cv2.calcOpticalFlowFarneback(previous, current, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        dx = cv2.remap(flow[..., 0], points[:, 0].reshape(1, -1), points[:, 1].reshape(1, -1), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE).reshape(-1)
        dy = cv2.remap(flow[..., 1], points[:, 0].reshape(1, -1), points[:, 1].reshape(1, -1), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE).reshape(-1)
        return points + np.stack([dx, dy], 1)

    return _both_directions(frames, queries, step)

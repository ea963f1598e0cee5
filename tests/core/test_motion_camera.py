"""estimate_camera recovers a known camera motion, ignoring a masked foreground object."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from trackdiff_core import TrackDiffError
from trackdiff_core.motion import estimate_camera

from motion_clips import photos, shifted_video


def camera_path(count=8):
    steps = []
    for t in range(count):
        angle, zoom = np.deg2rad(0.8 * t), 1 + 0.015 * t
        c, s = np.cos(angle) * zoom, np.sin(angle) * zoom
        centre = np.array([[1, 0, 128], [0, 1, 80], [0, 0, 1]]) @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) \
            @ np.array([[1, 0, -128], [0, 1, -80], [0, 0, 1]])
        steps.append(np.array([[1, 0, 2.0 * t], [0, 1, -1.0 * t], [0, 0, 1]]) @ centre)
    return steps


def corner_error(estimated, truth):
    corners = np.array([[[0, 0]], [[255, 0]], [[0, 159]], [[255, 159]]], np.float64)
    return max(np.abs(cv2.perspectiveTransform(corners, e) - cv2.perspectiveTransform(corners, t)).max()
               for e, t in zip(estimated, truth))


def test_a_known_homography_path_is_recovered():
    frames, truth = shifted_video(photos()["coffee"], camera_path())
    camera = estimate_camera(frames)
    assert camera.homographies.shape == (8, 3, 3) and np.array_equal(camera.homographies[0], np.eye(3))
    assert corner_error(camera.homographies, truth) < 1.0  # pixels, at the corners (extrapolated)
    assert (camera.inliers > 0.8).all()


def test_a_moving_object_inside_the_mask_does_not_move_the_camera():
    frames, truth = shifted_video(photos()["coffee"], camera_path())
    frames = frames.copy()
    block = photos()["brick"][:90, :120]
    mask = np.zeros((8, 160, 256), bool)
    for t in range(8):  # a large textured object sliding right, faster than the camera
        x = 20 + 12 * t
        frames[t, 30:120, x:x + 120] = block
        mask[t, 30:120, x:x + 120] = True
    camera = estimate_camera(frames, mask=mask)
    assert corner_error(camera.homographies, truth) < 1.5


def test_estimate_camera_is_deterministic_and_checks_its_mask():
    frames, _ = shifted_video(photos()["coffee"], camera_path(4))
    assert np.array_equal(estimate_camera(frames).homographies, estimate_camera(frames).homographies)
    with pytest.raises(TrackDiffError, match="mask"):
        estimate_camera(frames, mask=np.zeros((10, 10), bool))

"""Keyframes where motion bends, and the camera layer fitted to homographies (pure Python, no tracker)."""

import json

import numpy as np
import pytest

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.motion.camera_keys import (
    camera_from_homographies,
    camera_keys_matrices,
    similarity_matrix,
    similarity_parameters,
)
from trackdiff_core.motion.keyframes import bend_frames

W, H = 320, 180


def test_a_straight_move_needs_two_keys_and_a_stop_adds_one():
    t = np.arange(20, dtype=np.float64)
    straight = np.stack([0.1 + 0.02 * t, 0.5 - 0.01 * t], axis=1)
    assert bend_frames(straight, 1e-6) == [0, 19]
    stop = np.minimum(t, 8.0)[:, None] * np.array([[0.03, 0.01]])
    assert bend_frames(stop, 1e-6) == [0, 8, 19]


def test_kept_keys_reproduce_a_curved_path_within_the_tolerance(rng):
    t = np.linspace(0, 1, 50)
    path = np.stack([0.5 + 0.3 * np.sin(4 * t), 0.5 + 0.2 * np.cos(3 * t), t ** 2, 0.1 * t], axis=1)
    for tolerance in (0.001, 0.01):
        keys = bend_frames(path, tolerance)
        rebuilt = np.stack([np.interp(np.arange(50), keys, path[keys, i]) for i in range(4)], axis=1)
        assert np.abs(rebuilt - path).max() <= tolerance + 1e-12
        assert len(keys) < 50
    assert len(bend_frames(path, 0.001)) > len(bend_frames(path, 0.01))


def test_a_negative_tolerance_is_refused():
    with pytest.raises(TrackDiffError, match="tolerance"):
        bend_frames(np.zeros((4, 2)), -1.0)


def _camera_path(frames: int = 25):
    """Pan, zoom and rotation that change linearly until frame 12, then hold."""
    u = np.minimum(np.arange(frames), 12) / 12.0
    pan = np.stack([-0.1 * u, 0.05 * u], axis=1)
    zoom = 1.0 + 0.2 * u
    rotation = 6.0 * u
    return pan, zoom, rotation


def test_pan_zoom_and_rotation_are_recovered_from_a_similarity():
    pan, zoom, rotation = _camera_path()
    homographies = np.stack([similarity_matrix(p, z, r, W, H) for p, z, r in zip(pan, zoom, rotation)])
    fit = similarity_parameters(homographies, W, H)
    assert np.allclose(fit.pan, pan, atol=1e-9)
    assert np.allclose(fit.zoom, zoom, atol=1e-9)
    assert np.allclose(fit.rotation, rotation, atol=1e-7)
    assert fit.residual_px.max() < 1e-6


def test_a_slight_perspective_is_fitted_by_the_nearest_similarity():
    pan, zoom, rotation = _camera_path()
    tilt = np.eye(3)
    tilt[2, 0] = 1e-5  # a little keystone
    homographies = np.stack([similarity_matrix(p, z, r, W, H) @ tilt for p, z, r in zip(pan, zoom, rotation)])
    fit = similarity_parameters(homographies, W, H)
    assert np.abs(fit.pan - pan).max() < 0.01 and np.abs(fit.zoom - zoom).max() < 0.01
    assert np.abs(fit.rotation - rotation).max() < 0.5
    assert 0 < fit.residual_px.max() < 2.0


def test_camera_keys_sit_where_the_motion_bends_and_replay_the_homographies():
    pan, zoom, rotation = _camera_path()
    homographies = np.stack([similarity_matrix(p, z, r, W, H) for p, z, r in zip(pan, zoom, rotation)])
    camera = camera_from_homographies(homographies, W, H)
    json.dumps(camera)  # plain JSON
    assert camera["version"] == 1 and camera["center"] == [0.5, 0.5] and camera["interpolation"] == "linear"
    assert [k["frame"] for k in camera["keyframes"]] == [0, 12, 24]
    middle = camera["keyframes"][1]
    assert middle["zoom"] == pytest.approx(1.2) and middle["rotation"] == pytest.approx(6.0)
    replay = camera_keys_matrices(camera, 25, W, H)
    corners = np.array([[0, 0, 1], [W, 0, 1], [0, H, 1], [W, H, 1]], dtype=np.float64)
    moved = np.einsum("tij,pj->tpi", replay, corners)
    truth = np.einsum("tij,pj->tpi", homographies, corners)
    assert np.abs(moved[..., :2] - truth[..., :2]).max() < 0.05  # pixels (keys are rounded to 1e-6)


def test_camera_keys_follow_the_requested_frame_count():
    pan, zoom, rotation = _camera_path(25)
    homographies = np.stack([similarity_matrix(p, z, r, W, H) for p, z, r in zip(pan, zoom, rotation)])
    camera = camera_from_homographies(homographies, W, H, frame_count=13)
    frames = [k["frame"] for k in camera["keyframes"]]
    assert frames[0] == 0 and frames[-1] == 12 and frames == sorted(set(frames))
    assert camera["keyframes"][-1]["pan"] == pytest.approx([-0.1, 0.05], abs=1e-6)


def test_a_still_camera_has_one_still_segment():
    camera = camera_from_homographies(np.repeat(np.eye(3)[None], 10, axis=0), W, H)
    assert [k["frame"] for k in camera["keyframes"]] == [0, 9]
    assert all(k["pan"] == [0.0, 0.0] and k["zoom"] == 1.0 and k["rotation"] == 0.0 for k in camera["keyframes"])

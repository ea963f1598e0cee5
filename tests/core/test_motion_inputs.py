"""Each bad input to the tracker, the camera estimate and motion_fidelity gets one message naming it."""

from __future__ import annotations

import time

import numpy as np
import pytest

from trackdiff_core import TrackDiffError
from trackdiff_core.motion import estimate_camera, motion_fidelity, track_points


def video(frames=4, height=48, width=64):
    return np.random.default_rng(0).integers(0, 255, (frames, height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("frames, problem", [
    (video(1), "at least 2"),
    ([video(1)[0], video(1, 40, 64)[0]], "different sizes"),
    (video().astype(np.float32) / 255, "must be uint8"),
    (video()[..., 0], "shape"),
    (np.zeros((3, 48, 64, 4), np.uint8), "shape"),
])
def test_bad_frames_are_named(frames, problem):
    with pytest.raises(TrackDiffError, match=f"frames.*{problem}"):
        track_points(frames, [[0, 10, 10]])
    with pytest.raises(TrackDiffError, match=problem):
        estimate_camera(frames)


@pytest.mark.parametrize("queries, problem", [
    (np.zeros((0, 3)), "no points"),
    ([[0, np.nan, 3]], "NaN"),
    ([[0, 10]], "shape"),
    ([[4, 10, 10]], "outside the video's frames"),
    ([[-1, 10, 10]], "outside the video's frames"),
    ([[0.5, 10, 10]], "outside the video's frames"),
    ([[0, 70, 10]], "outside the 64×48 frame"),
    ([[0, 10, -3]], "outside the 64×48 frame"),
    ([["a", 1, 2]], "not numeric"),
])
def test_bad_queries_are_named(queries, problem):
    with pytest.raises(TrackDiffError, match=f"queries.*{problem}"):
        track_points(video(), queries)


def test_a_ten_thousand_frame_video_is_refused_at_once_with_a_fix():
    frames = np.broadcast_to(np.zeros((1, 48, 64, 3), np.uint8), (10_000, 48, 64, 3))  # no memory for 10,000 frames
    start = time.perf_counter()
    with pytest.raises(TrackDiffError, match="10000 frames.*resample the video to at most 2000"):
        track_points(frames, [[0, 10, 10]])
    assert time.perf_counter() - start < 1.0


def test_more_points_than_the_limit_are_refused_with_a_fix():
    from trackdiff_core.motion import TrackerConfig

    with pytest.raises(TrackDiffError, match="queries.*5 points, more than the tracker's limit of 4"):
        track_points(video(), np.tile([[0, 10, 10]], (5, 1)), TrackerConfig(max_points=4))


def test_motion_fidelity_names_its_bad_inputs():
    frames = video()
    drawn = np.full((4, 2, 2), 10.0)
    with pytest.raises(TrackDiffError, match="video_frames"):
        motion_fidelity(drawn, np.ones((4, 2), bool), frames[:1])
    with pytest.raises(TrackDiffError, match="drawn_points.*3 frames but the video has 4"):
        motion_fidelity(drawn[:3], np.ones((3, 2), bool), frames)
    with pytest.raises(TrackDiffError, match="drawn_visible"):
        motion_fidelity(drawn, np.ones((4, 3), bool), frames)
    with pytest.raises(TrackDiffError, match="drawn_visible.*no point visible"):
        motion_fidelity(drawn, np.zeros((4, 2), bool), frames)
    with pytest.raises(TrackDiffError, match="groups"):
        motion_fidelity(drawn, np.ones((4, 2), bool), frames, groups=[0])

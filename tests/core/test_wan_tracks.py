"""Tracks for Wan-Move and ATI: the frame count, pixel frame, point count and visibility ComfyUI's Wan nodes expect."""

import json
import logging

import numpy as np
import pytest

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.formats.tracks_dict import trajectories_to_tracks
from trackdiff_core.tracklets import Tracklets
from trackdiff_core.trajectories import PointTrajectories
from trackdiff_core.wan_tracks import (
    ATI_SAMPLES,
    ati_tracks,
    ati_tracks_json,
    check_length,
    gather_trajectories,
    wan_move_tracks,
)

W, H = 832, 480


def moving_box(frames=5):
    """One box sliding right from (0.1, 0.2, 0.3, 0.6) to (0.6, 0.2, 0.8, 0.6)."""
    start, end = np.array([0.1, 0.2, 0.3, 0.6]), np.array([0.6, 0.2, 0.8, 0.6])
    u = np.linspace(0, 1, frames)[:, None, None]
    return Tracklets(start * (1 - u) + end * u)


@pytest.mark.parametrize("length", [5, 9, 49, 81, 121])
def test_wan_frame_counts_are_accepted(length):
    assert check_length(length) == length


@pytest.mark.parametrize("length, fix", [(80, "77 or 81"), (82, "81 or 85"), (1, "use 5"), (3, "use 5"), (0, "")])
def test_other_frame_counts_are_refused_with_the_nearest_valid_ones(length, fix):
    with pytest.raises(TrackDiffError) as err:
        check_length(length, "length")
    assert "length" in str(err.value) and fix in str(err.value)


def test_boxes_become_wan_move_tracks_at_the_target_frames_and_pixels():
    tracks = wan_move_tracks(gather_trajectories(tracklets=moving_box(), points_per_box=4, frames=81), W, H, 81)
    path, visible = tracks["track_path"].numpy(), tracks["track_visibility"].numpy()
    assert path.shape == (81, 4, 2) and path.dtype == np.float32
    assert visible.shape == (81, 4) and visible.dtype == bool and visible.all()
    # A 2×2 grid inside the box: quarter points of the box, in pixels, at the first and last frame.
    first = sorted(map(tuple, path[0].tolist()))
    assert np.allclose(first, sorted([(x * W, y * H) for x in (0.15, 0.25) for y in (0.3, 0.5)]), atol=1e-3)
    last = sorted(map(tuple, path[-1].tolist()))
    assert np.allclose(last, sorted([(x * W, y * H) for x in (0.65, 0.75) for y in (0.3, 0.5)]), atol=1e-3)
    # The middle frame of 81 is halfway along the box's motion.
    assert np.allclose(path[40].mean(axis=0), [0.45 * W, 0.4 * H], atol=1e-3)


def test_boxes_scale_with_their_box():
    grow = Tracklets(np.array([[[0.4, 0.4, 0.5, 0.5]], [[0.2, 0.2, 0.8, 0.8]]]))
    path = wan_move_tracks(gather_trajectories(tracklets=grow, points_per_box=4, frames=5), W, H, 5)["track_path"]
    spread = path.numpy().max(axis=1) - path.numpy().min(axis=1)
    assert np.allclose(spread[0], [0.05 * W, 0.05 * H], atol=1e-3)
    assert np.allclose(spread[-1], [0.3 * W, 0.3 * H], atol=1e-3)


def test_points_hidden_in_the_first_frame_are_left_out_with_a_warning(caplog):
    boxes = np.array([[[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.6, 0.6]]] * 3, dtype=np.float32)
    visible = np.array([[True, False], [True, True], [True, True]])
    late = Tracklets(boxes, visible)
    with caplog.at_level(logging.WARNING):
        tracks = wan_move_tracks(gather_trajectories(tracklets=late, points_per_box=1, frames=9), W, H, 9)
    assert tracks["track_path"].shape == (9, 1, 2)
    assert tracks["trackdiff_groups"].tolist() == [0]
    assert "1 of 2 track point(s) are hidden" in caplog.text


def test_later_disappearance_is_kept_as_visibility():
    boxes = np.array([[[0.1, 0.1, 0.2, 0.2]]] * 3, dtype=np.float32)
    gone = Tracklets(boxes, np.array([[True], [True], [False]]))
    tracks = wan_move_tracks(gather_trajectories(tracklets=gone, points_per_box=1, frames=9), W, H, 9)
    assert tracks["track_visibility"][:, 0].tolist() == [True] * 6 + [False] * 3  # nearest source frame, halves up


def test_tracks_are_read_at_the_size_they_carry_and_rescaled():
    points = np.array([[[0.25, 0.5]], [[0.75, 0.5]]], dtype=np.float32)
    source = trajectories_to_tracks(PointTrajectories(points), 1024, 576)
    source["trackdiff_size"] = [1024, 576]
    path = wan_move_tracks(gather_trajectories(tracks=source, width=W, height=H, frames=5), W, H, 5)["track_path"]
    assert np.allclose(path[0, 0].numpy(), [0.25 * W, 0.5 * H]) and np.allclose(path[-1, 0].numpy(), [0.75 * W, 0.5 * H])
    plain = {"track_path": source["track_path"] * 0.5, "track_visibility": source["track_visibility"]}
    path = wan_move_tracks(gather_trajectories(tracks=plain, width=512, height=288, frames=5), W, H, 5)["track_path"]
    assert np.allclose(path[-1, 0].numpy(), [0.75 * W, 0.5 * H])


def test_boxes_and_tracks_together_keep_separate_objects():
    points = PointTrajectories(np.array([[[0.5, 0.5]], [[0.5, 0.6]]], dtype=np.float32))
    joined = gather_trajectories(tracklets=moving_box(), tracks=trajectories_to_tracks(points, W, H), points_per_box=4,
                                 frames=9)
    assert joined.num_points == 5 and joined.groups.tolist() == [0, 0, 0, 0, 1]


def test_nothing_connected_is_an_error_that_says_what_to_connect():
    with pytest.raises(TrackDiffError, match="connect boxes"):
        gather_trajectories()


def test_wan_move_refuses_a_frame_count_wan_cannot_make():
    with pytest.raises(TrackDiffError, match="4n \\+ 1"):
        wan_move_tracks(gather_trajectories(tracklets=moving_box(), frames=80), W, H, 80)


def test_ati_tracks_always_have_121_samples_spanning_the_clip():
    tracks = ati_tracks(gather_trajectories(tracklets=moving_box(2), points_per_box=1, frames=81), W, H)
    assert len(tracks) == 1 and len(tracks[0]) == ATI_SAMPLES
    assert tracks[0][0] == {"x": 0.2 * W, "y": 0.4 * H}
    assert tracks[0][-1] == {"x": 0.7 * W, "y": 0.4 * H}
    assert tracks[0][60]["x"] == pytest.approx(0.45 * W, abs=1e-3)


def test_ati_hidden_samples_are_written_off_the_image():
    boxes = np.array([[[0.1, 0.1, 0.2, 0.2]]] * 3, dtype=np.float32)
    gone = Tracklets(boxes, np.array([[True], [True], [False]]))
    samples = ati_tracks(gather_trajectories(tracklets=gone, points_per_box=1, frames=81), W, H)[0]
    xs = [s["x"] for s in samples]
    assert xs[0] == pytest.approx(0.15 * W) and xs[-1] == -W
    assert all(x == -W for x in xs[91:]) and all(x > 0 for x in xs[:90])


def test_ati_json_is_what_wan_track_to_video_parses():
    text = ati_tracks_json(gather_trajectories(tracklets=moving_box(), points_per_box=4, frames=81), W, H)
    parsed = json.loads(text)
    assert len(parsed) == 4 and all(len(t) == ATI_SAMPLES and set(t[0]) == {"x", "y"} for t in parsed)
    empty = PointTrajectories(np.zeros((3, 0, 2), np.float32), groups=np.zeros(0, np.int64))
    assert ati_tracks_json(empty, W, H) == "[]"


def test_the_size_key_is_trackgos():
    from trackdiff_core.trackgo.guide import SIZE_KEY
    from trackdiff_core.wan_tracks import SIZE_KEY as ours

    assert ours == SIZE_KEY

"""The point tracker, as a user calls it: exact motions are recovered, occlusions are reported, same input → same
output, and on a generated clip with exact ground truth it stays above a measured floor."""

from __future__ import annotations

import numpy as np

from trackdiff_core.motion import TrackerConfig, tapvid_metrics, track_points

from motion_clips import photos, shifted_video, small_clip


def translation(dx, dy):
    return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], np.float64)


def grid_queries(frame, width, height, per_side=6, margin=30):
    xs, ys = np.meshgrid(np.linspace(margin, width - 1 - margin, per_side), np.linspace(margin, height - 1 - margin, per_side))
    return np.stack([np.full(xs.size, frame), xs.ravel(), ys.ravel()], 1)


def test_a_pure_translation_is_recovered_to_a_tenth_of_a_pixel():
    frames, _ = shifted_video(photos()["astronaut"], [translation(3 * t, 2 * t) for t in range(8)])
    queries = grid_queries(0, 256, 160)
    result = track_points(frames, queries)
    expected = queries[None, :, 1:] + np.array([[3 * t, 2 * t] for t in range(8)])[:, None]
    assert result.points.shape == (8, 36, 2) and result.points.dtype == np.float32
    inside = (expected[..., 0] < 255) & (expected[..., 1] < 159)
    assert result.visible[inside].all()
    assert np.abs(result.points - expected)[inside].max() < 0.1


def test_a_homography_is_followed_exactly_even_where_lucas_kanade_alone_would_drift():
    steps = []
    for t in range(10):
        angle, zoom = np.deg2rad(0.6 * t), 1 + 0.01 * t
        c, s = np.cos(angle) * zoom, np.sin(angle) * zoom
        about = translation(128, 80) @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ translation(-128, -80)
        steps.append(translation(1.5 * t, -t) @ about)
    frames, matrices = shifted_video(photos()["coffee"], steps)
    queries = grid_queries(0, 256, 160, margin=40)
    result = track_points(frames, queries)
    homogeneous = np.concatenate([queries[:, 1:], np.ones((len(queries), 1))], 1)
    truth = np.einsum("tij,nj->tni", matrices, homogeneous)
    truth = truth[..., :2] / truth[..., 2:]
    error = np.linalg.norm(result.points - truth, axis=-1)
    assert result.visible.mean() > 0.95
    assert np.median(error[result.visible]) < 0.3 and error[result.visible].max() < 1.5


def test_tracks_backward_from_a_query_frame_in_the_middle():
    frames, _ = shifted_video(photos()["astronaut"], [translation(2 * t, t) for t in range(9)])
    queries = grid_queries(5, 256, 160, margin=40)
    result = track_points(frames, queries)
    expected = queries[None, :, 1:] + np.array([[2 * (t - 5), t - 5] for t in range(9)])[:, None]
    assert np.array_equal(result.points[5], queries[:, 1:].astype(np.float32)) and result.visible[5].all()
    assert result.visible.all() and np.abs(result.points - expected).max() < 0.2


def test_an_occluded_point_is_reported_hidden_then_found_again():
    photo = photos()["astronaut"]
    cover = np.ascontiguousarray(np.repeat(photos()["brick"][:60, :60, None, 0], 3, axis=2))
    base, _ = shifted_video(photo, [translation(t, 0) for t in range(12)])
    frames = base.copy()
    point = np.array([120.0, 80.0])
    for t in range(4, 8):  # a textured square sits over the point on frames 4..7, then goes away
        x, y = int(point[0] + t) - 30, int(point[1]) - 30
        frames[t, y:y + 60, x:x + 60] = cover
    result = track_points(frames, [[0, *point]])
    assert result.visible[:4, 0].all()
    assert not result.visible[4:8, 0].any()
    assert result.visible[9:, 0].all()
    assert np.abs(result.points[9:, 0] - (point + np.array([[t, 0] for t in range(9, 12)]))).max() < 0.5


def test_same_input_gives_identical_output():
    clip = small_clip()
    first = track_points(clip.frames, clip.queries)
    second = track_points(clip.frames.copy(), clip.queries.copy())
    assert np.array_equal(first.points, second.points) and np.array_equal(first.visible, second.visible)


def test_on_a_generated_clip_it_scores_above_its_floor_and_above_naive_lucas_kanade():
    import cv2

    clip = small_clip()
    height, width = clip.frames.shape[1:3]
    result = track_points(clip.frames, clip.queries)
    ours = tapvid_metrics(result.points, result.visible, clip.points, clip.visible, clip.queries[:, 0], width, height)
    # The naive user's tracker: frame-to-frame LK, no checks, always visible.
    naive = np.zeros_like(clip.points)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in clip.frames]
    position = clip.queries[:, 1:].astype(np.float32)
    for t in range(len(grey)):
        if t:
            moved, _, _ = cv2.calcOpticalFlowPyrLK(grey[t - 1], grey[t], position.reshape(-1, 1, 2), None)
            started = clip.queries[:, 0] < t
            position = np.where(started[:, None], moved.reshape(-1, 2), position)
        naive[t] = position
    baseline = tapvid_metrics(naive, np.ones_like(clip.visible), clip.points, clip.visible, clip.queries[:, 0], width,
                              height)
    assert ours["aj"] >= AJ_FLOOR, ours
    assert ours["aj"] >= baseline["aj"] + 0.1, (ours["aj"], baseline["aj"])


#: A little under what the tracker measures on ``small_clip()`` (0.698; see docs/motion-from-video.md).
AJ_FLOOR = 0.65


def test_points_on_a_moving_object_are_followed_by_the_fine_pyramid_levels_where_the_coarse_ones_lose_them():
    # At the coarse pyramid levels a 40-60 px object's window holds mostly the background, which drags its points back
    # to the camera's motion; the retry from the same prior with only the fine levels follows the object. Without the
    # retry (fine_levels = pyramid_levels: the same try twice) the object points of this clip score far lower.
    clip = small_clip()
    height, width = clip.frames.shape[1:3]
    on_object = clip.on_object >= 0

    def object_delta(config):
        result = track_points(clip.frames, clip.queries, config)
        return tapvid_metrics(result.points[:, on_object], result.visible[:, on_object], clip.points[:, on_object],
                              clip.visible[:, on_object], clip.queries[on_object, 0], width, height)["delta_avg"]

    default = TrackerConfig()
    with_retry, without = object_delta(default), object_delta(TrackerConfig(fine_levels=default.pyramid_levels))
    assert with_retry >= without + 0.1, (with_retry, without)  # measured 0.660 against 0.461


def test_the_config_refuses_nonsense():
    import pytest

    from trackdiff_core import TrackDiffError

    for bad in (dict(window=4), dict(window=20), dict(fb_threshold=0), dict(max_frames=1), dict(threads=0),
                dict(fine_levels=-1), dict(fine_levels=1.5)):
        with pytest.raises(TrackDiffError, match="config"):
            TrackerConfig(**bad)


def test_the_benchmark_cuts_its_objects_from_textured_photographs_and_scores_the_textureless_ones_apart():
    # The benchmark pastes textured objects; photographs without texture (by the tracker's own measure of a
    # template's grey-level spread) are a limit, scored in a clip set of their own, and never used as backgrounds.
    from trackdiff_core.motion.synthetic_clips import (BACKGROUND_PHOTOS, OBJECT_PHOTOS, TEXTURED,
                                                       TEXTURELESS_OBJECT_PHOTOS, photo_texture)

    shipped = photos()
    assert all(photo_texture(shipped[name]) >= TEXTURED for name in OBJECT_PHOTOS)
    assert all(photo_texture(shipped[name]) < TEXTURED for name in TEXTURELESS_OBJECT_PHOTOS)
    assert not set(OBJECT_PHOTOS + TEXTURELESS_OBJECT_PHOTOS) & set(BACKGROUND_PHOTOS)

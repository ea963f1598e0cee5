import json

import numpy as np
import pytest

from trackdiff_core import MaskArrowDocument, TrackDiffError, Tracklets
from trackdiff_core.masks import rle_encode
from trackdiff_core.trackgo.inputs import build_objects
from trackdiff_core.trackgo_points import (
    box_point_offsets,
    masks_and_paths_to_trajectories,
    path_displacements,
    sample_points_in_mask,
    tracklets_to_trajectories,
)


def blob(h=48, w=64, box=(10, 30, 8, 40)):
    m = np.zeros((h, w), bool)
    y0, y1, x0, x1 = box
    m[y0:y1, x0:x1] = True
    return m


def test_sampled_points_count_inside_and_reproducible():
    mask = blob()
    pts = sample_points_in_mask(mask, 40, seed=5)
    assert pts.shape == (40, 2)
    cols = np.floor(pts[:, 0] * 64).astype(int)
    rows = np.floor(pts[:, 1] * 48).astype(int)
    assert mask[rows, cols].all()
    np.testing.assert_array_equal(pts, sample_points_in_mask(mask, 40, seed=5))
    assert not np.array_equal(pts, sample_points_in_mask(mask, 40, seed=6))
    assert len({tuple(p) for p in pts}) == 40  # distinct pixels


def test_sampled_points_are_spread_not_clumped():
    mask = blob(128, 128, (0, 128, 0, 128))
    pts = sample_points_in_mask(mask, 16, seed=0) * 128
    dists = np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.eye(16) * 1e9
    # Farthest-point sampling on a 128-pixel square keeps 16 points at least ~ a quarter side apart; uniform random
    # sampling of 16 points typically has a nearest pair within a few pixels.
    assert dists.min() > 20
    # Every quadrant gets points.
    quadrants = {(int(x >= 64), int(y >= 64)) for x, y in pts}
    assert len(quadrants) == 4


def test_tiny_mask_repeats_its_pixels():
    mask = np.zeros((8, 8), bool)
    mask[3, 4] = mask[5, 1] = True
    pts = sample_points_in_mask(mask, 5, seed=0)
    assert pts.shape == (5, 2) and len({tuple(p) for p in pts}) == 2


def test_empty_mask_is_a_clear_error():
    with pytest.raises(TrackDiffError, match="masks\\[1\\].*no pixel set.*Fix: paint"):
        masks_and_paths_to_trajectories(np.stack([blob(), np.zeros((48, 64), bool)]), [[[0.2, 0.2]]] * 2, 8, 4)


@pytest.mark.parametrize("frames", [8, 14, 25])
def test_last_frame_lands_on_arrow_tip(frames):
    d = path_displacements([[0.2, 0.3], [0.7, 0.6]], frames)
    np.testing.assert_allclose(d[0], [0, 0], atol=1e-7)
    np.testing.assert_allclose(d[-1], [0.5, 0.3], atol=1e-6)
    np.testing.assert_allclose(np.diff(d[:, 0]), 0.5 / (frames - 1), atol=1e-6)  # linear: equal steps


def test_polyline_followed_by_arc_length():
    path = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]  # two legs of equal length 0.4
    d = path_displacements(path, 5)
    np.testing.assert_allclose(d, [[0, 0], [0.2, 0], [0.4, 0], [0.4, 0.2], [0.4, 0.4]], atol=1e-6)


def test_eased_timing_and_window():
    eased = path_displacements([[0.0, 0.5], [1.0, 0.5]], 5, timing="ease_in")
    np.testing.assert_allclose(eased[:, 0], np.array([0, 1, 4, 9, 16]) / 16, atol=1e-6)
    windowed = path_displacements([[0.0, 0.5], [1.0, 0.5]], 11, start_frame=5, end_frame=10)
    np.testing.assert_allclose(windowed[:6, 0], [0, 0, 0, 0, 0, 0], atol=1e-7)
    np.testing.assert_allclose(windowed[-1, 0], 1.0, atol=1e-6)


def test_zero_length_arrow_is_a_static_anchor():
    np.testing.assert_array_equal(path_displacements([[0.4, 0.4]], 14), np.zeros((14, 2)))
    np.testing.assert_array_equal(path_displacements([[0.4, 0.4], [0.4, 0.4]], 14), np.zeros((14, 2)))


def test_arrows_outside_the_frame_and_nan():
    with pytest.raises(TrackDiffError, match=r"path\[1\].*outside the frame"):
        path_displacements([[0.1, 0.1], [1.2, 0.5]], 8)
    with pytest.raises(TrackDiffError, match="NaN"):
        path_displacements([[0.1, np.nan]], 8)


def test_masks_and_arrows_to_trajectories():
    masks = np.stack([blob(box=(5, 15, 5, 15)), blob(box=(30, 40, 40, 60))])
    traj = masks_and_paths_to_trajectories(masks, [[[0.1, 0.2], [0.5, 0.2]], [[0.8, 0.7]]], 14, 6, seed=3)
    assert (traj.num_frames, traj.num_points, traj.num_groups) == (14, 12, 2)
    np.testing.assert_array_equal(traj.groups, [0] * 6 + [1] * 6)
    moved = traj.points[-1] - traj.points[0]
    np.testing.assert_allclose(moved[:6], np.tile([0.4, 0.0], (6, 1)), atol=1e-6)
    np.testing.assert_allclose(moved[6:], 0.0, atol=1e-7)


def test_count_mismatch_names_what_is_wrong():
    masks = np.stack([blob(), blob()])
    with pytest.raises(TrackDiffError, match="more arrows than masks"):
        masks_and_paths_to_trajectories(masks, [[[0.5, 0.5]]] * 3, 8, 4)
    with pytest.raises(TrackDiffError, match="more masks than arrows"):
        masks_and_paths_to_trajectories(masks, [[[0.5, 0.5]]], 8, 4)


def test_points_leaving_the_frame_are_hidden():
    mask = blob(box=(20, 28, 50, 60))  # near the right edge
    traj = masks_and_paths_to_trajectories(mask[None], [[[0.85, 0.5], [1.0, 0.5]]], 10, 8)
    assert traj.visible[0].all() and not traj.visible[-1].all()


def test_a_document_to_trajectories_with_painted_and_input_masks():
    painted = blob(48, 64, (5, 20, 5, 20))
    doc = MaskArrowDocument.parse(json.dumps({
        "version": 1, "kind": "mask_arrows", "frame_count": 14,
        "objects": [
            {"id": 0, "color": "#1f77b4", "mask": rle_encode(painted), "path": [[0.2, 0.2], [0.6, 0.2]]},
            {"id": 1, "color": "#ff7f0e", "mask": None, "path": [[0.7, 0.7]], "timing": "ease_out"},
        ],
    }))
    traj = build_objects(doc, blob()[None], points_k=5, points_s=1, seed=1, frame_count=25, width=64,
                         height=48).trajectories
    assert (traj.num_frames, traj.num_points) == (25, 10)
    np.testing.assert_allclose(traj.points[-1, :5] - traj.points[0, :5], np.tile([0.4, 0.0], (5, 1)), atol=1e-6)
    with pytest.raises(TrackDiffError, match="MASK input does not match"):
        build_objects(doc, None, points_k=5, points_s=1, frame_count=25, width=64, height=48)


def test_boxes_to_points_move_and_scale_with_the_box():
    boxes = np.array([[[0.1, 0.1, 0.3, 0.3]], [[0.5, 0.5, 0.9, 0.9]]])
    traj = tracklets_to_trajectories(Tracklets(boxes, visible=[[True], [False]]), points_per_box=4)
    offsets = box_point_offsets(4)
    np.testing.assert_allclose(traj.points[0], 0.1 + offsets * 0.2, atol=1e-6)
    np.testing.assert_allclose(traj.points[1], 0.5 + offsets * 0.4, atol=1e-6)
    np.testing.assert_array_equal(traj.visible, [[True] * 4, [False] * 4])
    single = tracklets_to_trajectories(Tracklets(boxes), 1)
    np.testing.assert_allclose(single.points[:, 0], [[0.2, 0.2], [0.7, 0.7]], atol=1e-6)


def test_paths_run_at_even_pixel_speed_on_the_masks_frame():
    mask = np.zeros((64, 96), bool)
    mask[5:15, 5:15] = True
    path = [[10 / 96, 10 / 64], [90 / 96, 10 / 64], [90 / 96, 60 / 64]]  # 80 px across, 50 px down
    traj = masks_and_paths_to_trajectories(mask[None], [path], 14, 1)
    steps = np.linalg.norm(np.diff(traj.points[:, 0] * [96, 64], axis=0), axis=-1)
    np.testing.assert_allclose(steps, 10.0, atol=1e-4)

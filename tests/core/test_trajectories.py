import numpy as np
import pytest

from trackdiff_core import PointTrajectories, TrackDiffError


def test_construction_and_defaults():
    p = PointTrajectories(np.full((5, 3, 2), 0.5))
    assert (p.num_frames, p.num_points, p.num_groups) == (5, 3, 1)
    assert p.visible.all()


def test_visible_points_must_be_inside_the_frame():
    pts = np.full((2, 1, 2), 0.5)
    pts[1, 0, 0] = 1.5
    with pytest.raises(TrackDiffError, match=r"points\[1\]\[0\].*visible but lies outside"):
        PointTrajectories(pts)
    PointTrajectories(pts, visible=[[True], [False]])  # hidden off-screen points are fine


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"points": np.full((2, 1, 2), np.nan)}, "NaN"),
        ({"points": np.zeros((2, 1, 3))}, "shape"),
        ({"points": np.zeros((2, 2, 2)), "groups": [0]}, "groups"),
        ({"points": np.zeros((2, 2, 2)), "groups": [0, -1]}, "groups"),
        ({"points": np.zeros((2, 1, 2)), "visible": [[1], [2]]}, "booleans"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(TrackDiffError, match=match):
        PointTrajectories(**kwargs)


@pytest.mark.parametrize("frames", [8, 14, 25])
def test_resample(frames):
    t = np.linspace(0, 1, 14)
    pts = np.stack([t, 1 - t], axis=-1)[:, None, :]
    r = PointTrajectories(pts).resample(frames)
    expected = np.linspace(0, 1, frames)
    np.testing.assert_allclose(r.points[:, 0, 0], expected, atol=1e-6)
    np.testing.assert_allclose(r.points[:, 0, 1], 1 - expected, atol=1e-6)


def test_concatenate_renumbers_groups():
    a = PointTrajectories(np.zeros((3, 2, 2)), groups=[0, 1])
    b = PointTrajectories(np.ones((3, 1, 2)), groups=[0])
    c = PointTrajectories.concatenate([a, b])
    np.testing.assert_array_equal(c.groups, [0, 1, 2])
    with pytest.raises(TrackDiffError, match="different frame counts"):
        PointTrajectories.concatenate([a, PointTrajectories(np.zeros((4, 1, 2)))])


def test_pixels_round_trip():
    p = PointTrajectories(np.random.default_rng(0).uniform(size=(4, 6, 2)), groups=[0, 0, 1, 1, 2, 2])
    assert PointTrajectories.from_pixels(p.to_pixels(640, 360), 640, 360, p.visible, p.groups).allclose(p, 1e-6)


def test_group_displacements_ignore_points_that_hide():
    from trackdiff_core.trajectories import group_displacements

    points = np.tile(np.array([[0.1, 0.1], [0.2, 0.1], [0.8, 0.8], [0.9, 0.9]], np.float32), (6, 1, 1))
    visible = np.ones((6, 4), bool)
    visible[3:, 2:] = False  # two of the four static points hide from frame 3
    np.testing.assert_array_equal(group_displacements(points, visible, np.zeros(4, np.int64)), 0.0)
    moving = points + np.linspace(0, 0.1, 6, dtype=np.float32)[:, None, None]
    moved = group_displacements(moving, visible, np.array([0, 0, 1, 1]))
    np.testing.assert_allclose(moved[:, 0], np.linspace(0, 0.1, 6)[:, None].repeat(2, 1), atol=1e-6)
    np.testing.assert_allclose(moved[3:, 1], moved[2:3, 1].repeat(3, 0), atol=1e-6)  # nothing seen: holds


def test_one_resample_rule_for_tracklets_and_trajectories():
    from trackdiff_core import Tracklets
    from trackdiff_core.trajectories import resample_frames

    boxes = np.random.default_rng(0).uniform(0.1, 0.2, (5, 2, 4)).astype(np.float32)
    boxes[..., 2:] += 0.5
    visible = np.random.default_rng(1).random((5, 2)) > 0.3
    values, vis = resample_frames(boxes, 9, visible)
    got = Tracklets(boxes, visible).resample(9)
    np.testing.assert_allclose(got.boxes, values, atol=1e-7)
    np.testing.assert_array_equal(got.visible, vis)
    traj = PointTrajectories(boxes[..., :2], visible).resample(9)
    np.testing.assert_allclose(traj.points, values[..., :2], atol=1e-7)

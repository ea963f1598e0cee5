import numpy as np
import pytest

from core_builders import random_tracklets
from trackdiff_core import TrackDiffError, Tracklets


def test_defaults_and_shape():
    t = Tracklets([[[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.9, 0.6]]])
    assert (t.num_frames, t.num_objects) == (1, 2)
    assert t.visible.all() and t.ids == (0, 1) and t.labels == ("", "")
    assert t.colors.shape == (2, 3) and not np.allclose(t.colors[0], t.colors[1])


def test_immutable():
    t = Tracklets([[[0.1, 0.1, 0.2, 0.2]]])
    with pytest.raises(ValueError):
        t.boxes[0, 0, 0] = 0.5
    with pytest.raises(AttributeError):
        t.ids = (5,)


def test_empty_object_list_is_allowed():
    t = Tracklets(np.zeros((14, 0, 4)))
    assert t.num_objects == 0 and t.resample(25).num_frames == 25


@pytest.mark.parametrize(
    "boxes, match",
    [
        ([[[0.1, 0.1, np.nan, 0.2]]], "NaN"),
        ([[[0.1, 0.1, 1.2, 0.2]]], r"boxes\[0\]\[0\].*x2 lies outside the frame"),
        ([[[-0.1, 0.1, 0.2, 0.2]]], "x1 lies outside"),
        ([[[0.5, 0.1, 0.2, 0.2]]], "inverted"),
        ([[[0.1, 0.3, 0.2, 0.3]]], "no area"),
        ([[0.1, 0.1, 0.2, 0.2]], r"shape \[…, …, 4\]"),
        (np.zeros((0, 1, 4)), "no frames"),
    ],
)
def test_bad_boxes(boxes, match):
    with pytest.raises(TrackDiffError, match=match) as info:
        Tracklets(boxes)
    assert "Fix:" in str(info.value)


def test_hidden_boxes_may_be_empty_but_not_inverted():
    Tracklets([[[0.0, 0.0, 0.0, 0.0]]], visible=[[False]])
    with pytest.raises(TrackDiffError, match="inverted"):
        Tracklets([[[0.5, 0.0, 0.1, 0.1]]], visible=[[False]])


def test_bad_identity():
    boxes = [[[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4]]]
    with pytest.raises(TrackDiffError, match="id 4 is used by more than one"):
        Tracklets(boxes, ids=[4, 4])
    with pytest.raises(TrackDiffError, match="ids.*3 entries for 2 objects"):
        Tracklets(boxes, ids=[1, 2, 3])
    with pytest.raises(TrackDiffError, match="visible.*shape"):
        Tracklets(boxes, visible=[[True]])
    with pytest.raises(TrackDiffError, match=r"colors\[1\].*#rrggbb"):
        Tracklets(boxes, colors=["#ff0000", "red"])
    with pytest.raises(TrackDiffError, match="labels.*not a string"):
        Tracklets(boxes, labels=["a", 3])


@pytest.mark.parametrize("frames", [8, 14, 25])
def test_resample_keeps_end_frames_and_is_linear(rng, frames):
    t = random_tracklets(rng, frames=14)
    r = t.resample(frames)
    assert r.num_frames == frames and r.ids == t.ids and r.labels == t.labels
    np.testing.assert_allclose(r.boxes[0], t.boxes[0], atol=1e-6)
    np.testing.assert_allclose(r.boxes[-1], t.boxes[-1], atol=1e-6)
    np.testing.assert_array_equal(r.visible[0], t.visible[0])
    # Halfway between source frames 0 and 1 of a 14-frame track, in a 27-frame resample, is the midpoint.
    mid = t.resample(27).boxes[1]
    np.testing.assert_allclose(mid, (t.boxes[0] + t.boxes[1]) / 2, atol=1e-6)


def test_resample_to_same_count_is_identity(rng):
    t = random_tracklets(rng)
    assert t.resample(t.num_frames).allclose(t)


def test_pixels_round_trip(rng):
    t = random_tracklets(rng)
    px = t.to_pixels(1024, 576)
    assert px[..., [0, 2]].max() <= 1024 and px[..., [1, 3]].max() <= 576
    back = Tracklets.from_pixels(px, 1024, 576, t.visible, t.ids, t.labels, t.colors)
    assert back.allclose(t, atol=1e-6)
    with pytest.raises(TrackDiffError, match="width"):
        t.to_pixels(0, 576)


def test_select_and_centers(rng):
    t = random_tracklets(rng, objects=3)
    s = t.select([2, 0])
    assert s.ids == (t.ids[2], t.ids[0])
    np.testing.assert_allclose(s.centers()[:, 0], (t.boxes[:, 2, :2] + t.boxes[:, 2, 2:]) / 2)

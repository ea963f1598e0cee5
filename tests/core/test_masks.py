import numpy as np
import pytest

from trackdiff_core import TrackDiffError
from trackdiff_core.masks import as_masks, resize_masks, rle_decode, rle_encode, split_label_map


@pytest.mark.parametrize("seed", range(5))
def test_rle_round_trip(seed):
    mask = np.random.default_rng(seed).uniform(size=(17, 23)) > 0.6
    rle = rle_encode(mask)
    assert rle["size"] == [17, 23] and sum(rle["counts"]) == 17 * 23
    np.testing.assert_array_equal(rle_decode(rle), mask)


def test_rle_starts_with_zero_run():
    mask = np.zeros((2, 2), bool)
    mask[0, 0] = True
    assert rle_encode(mask)["counts"] == [0, 1, 3]
    assert rle_encode(np.zeros((2, 2), bool))["counts"] == [4]


@pytest.mark.parametrize(
    "rle, match",
    [
        ({"size": [2, 2]}, "must be"),
        ({"size": [2], "counts": [4]}, r"size: must be \[height, width\]"),
        ({"size": [2, 2], "counts": [3]}, "must add up to height × width = 4"),
        ({"size": [2, 2], "counts": [2, -1, 3]}, "at least 0"),
        ({"size": [0, 2], "counts": [0]}, "at least 1"),
        ("abc", "must be"),
    ],
)
def test_bad_rle(rle, match):
    with pytest.raises(TrackDiffError, match=match):
        rle_decode(rle)


def test_as_masks_thresholds_and_validates():
    m = as_masks(np.array([[[0.2, 0.7]]], dtype=np.float32))
    np.testing.assert_array_equal(m, [[[False, True]]])
    assert as_masks(np.ones((4, 5))).shape == (1, 4, 5)
    with pytest.raises(TrackDiffError, match="NaN"):
        as_masks(np.full((1, 2, 2), np.nan))
    with pytest.raises(TrackDiffError, match="shaped"):
        as_masks(np.zeros((1, 1, 2, 2)))


def test_label_map_split():
    lm = np.array([[0, 1, 1], [2, 2, 0]])
    masks, labels = split_label_map(lm)
    assert labels == [1, 2] and masks.shape == (2, 2, 3)
    np.testing.assert_array_equal(masks[1], [[0, 0, 0], [1, 1, 0]])
    masks8, labels8 = split_label_map(lm.astype(np.float32) / 255.0)  # a label PNG loaded as a float mask
    assert labels8 == [1, 2]
    with pytest.raises(TrackDiffError, match="no labelled region"):
        split_label_map(np.zeros((3, 3)))


def test_resize_masks_nearest():
    m = np.zeros((1, 4, 4), bool)
    m[0, :2, :2] = True
    r = resize_masks(m, 8, 8)
    assert r.shape == (1, 8, 8) and r[0, :4, :4].all() and not r[0, 4:, :].any()

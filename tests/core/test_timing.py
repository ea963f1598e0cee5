import numpy as np
import pytest

from trackdiff_core import TrackDiffError
from trackdiff_core.timing import TIMINGS, ease, frame_positions, nearest_frame


@pytest.mark.parametrize("name", TIMINGS)
def test_curves_start_at_zero_and_end_at_one(name):
    assert ease(0.0, name) == 0.0
    assert ease(1.0, name) == 1.0


def test_curve_shapes():
    assert ease(0.5, "linear") == 0.5
    assert ease(0.5, "ease_in") == 0.25
    assert ease(0.5, "ease_out") == 0.75
    assert ease(0.5, "ease_in_out") == 0.5
    assert ease(0.25, "ease_in_out") < 0.25 < ease(0.75, "ease_in_out") - 0.5
    assert ease(0.99, "hold") == 0.0


def test_unknown_curve_is_a_clear_error():
    with pytest.raises(TrackDiffError, match="bounce.*use one of linear"):
        ease(0.5, "bounce")


def test_frame_positions_map_first_to_first_and_last_to_last():
    for src, dst in [(14, 25), (25, 14), (14, 8), (1, 5), (5, 1), (14, 14)]:
        pos = frame_positions(src, dst)
        assert len(pos) == dst and pos[0] == 0.0
        if dst > 1:
            assert pos[-1] == pytest.approx(src - 1)
    np.testing.assert_array_equal(frame_positions(14, 14), np.arange(14))


def test_zero_frames_is_an_error():
    with pytest.raises(TrackDiffError, match="at least 1"):
        frame_positions(0, 14)
    with pytest.raises(TrackDiffError, match="at least 1"):
        frame_positions(14, 0)


def test_nearest_frame_rounds_halves_up():
    np.testing.assert_array_equal(nearest_frame([0.5, 1.5, 2.49, 2.5]), [1, 2, 2, 3])

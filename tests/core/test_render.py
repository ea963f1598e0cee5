import numpy as np
import pytest

from trackdiff_core import PointTrajectories, TrackDiffError, Tracklets
from trackdiff_core.render import blank_frames, draw_masks, draw_paths, draw_tracklets, draw_trajectories

RED = "#ff0000"


def is_red(pixel) -> bool:
    """Mostly red (anti-aliased lines blend at their edges) with no green or blue."""
    return pixel[0] > 0.8 and pixel[1] == 0 and pixel[2] == 0


def red_box(frames=1, box=(0.25, 0.25, 0.75, 0.75)):
    return Tracklets(np.tile(np.array(box, np.float32), (frames, 1, 1)), colors=[RED])


def test_box_outline_drawn_in_object_colour_at_any_size():
    for width, height in [(64, 64), (200, 100)]:
        out = draw_tracklets(blank_frames(width, height, gray=0.0), red_box(), thickness=1, show_labels=False)
        assert out.dtype == np.float32 and out.shape == (1, height, width, 3)
        x1, y1 = int(0.25 * width), int(0.25 * height)
        assert is_red(out[0, height // 2, x1])  # left edge, red (RGB order)
        assert is_red(out[0, y1, width // 2])  # top edge
        assert out[0, height // 2, width // 2].sum() == 0  # inside untouched
        assert out[0, 2, 2].sum() == 0  # outside untouched


def test_labels_are_drawn_and_hidden_boxes_are_not():
    boxes = np.tile(np.array([0.3, 0.4, 0.6, 0.8], np.float32), (2, 1, 1))
    t = Tracklets(boxes, visible=[[True], [False]], labels=["car"])
    out = draw_tracklets(blank_frames(128, 128, 2, gray=0.0), t)
    assert out[0, :int(0.4 * 128), :].sum() > 0  # the id/label tag above the box
    assert out[1].sum() == 0


def test_uint8_in_uint8_out_and_input_untouched():
    frames = np.zeros((1, 32, 32, 3), np.uint8)
    out = draw_tracklets(frames, red_box())
    assert out.dtype == np.uint8 and frames.sum() == 0 and out.sum() > 0


def test_single_frame_is_repeated_and_other_lengths_resample():
    moving = Tracklets([[[0.0, 0.0, 0.2, 0.2]], [[0.8, 0.8, 1.0, 1.0]]], colors=[RED])
    out = draw_tracklets(blank_frames(64, 64, gray=0.0), moving, show_labels=False)
    assert out.shape[0] == 2
    three = draw_tracklets(blank_frames(64, 64, 3, gray=0.0), moving, show_labels=False)
    assert three.shape[0] == 3
    middle = three[1, :, :, 0]  # resampled box at (0.4..0.6): drawn around the centre
    assert middle[25:40, 25:40].sum() > 0 and middle[:20, :20].sum() == 0


def test_points_and_tails():
    pts = np.array([[[0.2, 0.5]], [[0.5, 0.5]], [[0.8, 0.5]]], np.float32)
    out = draw_trajectories(blank_frames(100, 100, gray=0.0), PointTrajectories(pts), tail=2, radius=3, colors=[RED])
    assert out.shape[0] == 3
    assert is_red(out[2, 50, 80])  # the dot
    assert is_red(out[2, 50, 35])  # the tail through earlier positions
    assert out[0, 50, 80].sum() == 0  # not yet there on frame 0


def test_paths_and_masks():
    out = draw_paths(blank_frames(100, 100, gray=0.0), [[[0.1, 0.5], [0.9, 0.5]], [[0.5, 0.2]]], colors=[RED, "#00ff00"])
    assert out[0, 50, 30, 0] > 0.9 and out[0, :, :, 1].sum() > 0  # the arrow, and the green anchor ring
    mask = np.zeros((1, 10, 10), bool)
    mask[0, :5] = True
    tinted = draw_masks(blank_frames(20, 20, gray=0.0), mask, colors=[RED], alpha=0.5)
    assert tinted[0, 2, 2, 0] == pytest.approx(0.5, abs=0.01) and tinted[0, 15, 2].sum() == 0


@pytest.mark.parametrize("frames", [np.zeros((2, 8, 8)), np.zeros((1, 8, 8, 2)), np.full((1, 4, 4, 3), np.nan)])
def test_bad_images(frames):
    with pytest.raises(TrackDiffError, match="images"):
        draw_tracklets(frames, red_box())

"""Trajectories -> displacement maps and motion regions at latent resolution (the input side of TrackGo's E)."""

import numpy as np
import pytest
import torch

from trackdiff_core.trackgo.raster import level_sizes, motion_region, pool_region, rasterize
from trackdiff_core.trackgo_points import masks_and_paths_to_trajectories


def as_tensors(trajectories):
    return (torch.from_numpy(np.array(trajectories.points)), torch.from_numpy(np.array(trajectories.visible)),
            torch.from_numpy(np.array(trajectories.groups)))


def test_a_sampled_point_lands_in_its_latent_cell_on_every_frame():
    """Foundation sampling + arrow subdivision feed the encoder: a one-pixel mask's point is splatted in its cell."""
    height, width, frames = 48, 80, 7
    mask = np.zeros((height, width), bool)
    mask[13, 22] = True  # pixel centre (22.5/80, 13.5/48)
    path = [[22.5 / width, 13.5 / height], [62.5 / width, 37.5 / height]]
    trajectories = masks_and_paths_to_trajectories(mask[None], [path], frames, 1)
    points, visible, _ = as_tensors(trajectories)
    lh, lw = height // 8, width // 8  # latent 6 × 10
    maps = rasterize(points, visible, lh, lw, sigma=0.6)
    for t in range(frames):
        x, y = trajectories.points[t, 0]
        cell = np.unravel_index(int(maps[t, 0].argmax()), (lh, lw))
        assert cell == (int(y * lh), int(x * lw)), t
        row, col = cell
        np.testing.assert_allclose(maps[t, 1:3, row, col].numpy(), trajectories.points[t, 0] - trajectories.points[0, 0],
                                   atol=1e-5)  # displacement since frame 0, normalised
    assert maps[0, 3:].abs().max() == 0  # no velocity at frame 0
    step = (trajectories.points[1, 0] - trajectories.points[0, 0]) * (frames - 1)
    row, col = np.unravel_index(int(maps[1, 0].argmax()), (lh, lw))
    np.testing.assert_allclose(maps[1, 3:5, row, col].numpy(), step, atol=1e-5)


def test_hidden_points_are_not_splatted_and_coverage_is_bounded():
    points = torch.tensor([[[0.5, 0.5], [0.25, 0.25]], [[0.5, 0.5], [0.25, 0.25]]])
    visible = torch.tensor([[True, False], [False, False]])
    maps = rasterize(points, visible, 8, 8, sigma=1.0)
    assert maps[1].abs().max() == 0
    alone = rasterize(points[:, :1], visible[:, :1], 8, 8, sigma=1.0)
    assert torch.equal(maps[0], alone[0])  # the hidden point adds nothing
    dense = rasterize(torch.full((1, 500, 2), 0.5), torch.ones(1, 500, dtype=torch.bool), 8, 8)
    assert float(dense[0, 0].max()) <= 1.0 and float(dense[0, 0].max()) > 0.99


def test_no_points_give_empty_maps():
    maps = rasterize(torch.zeros(3, 0, 2), torch.zeros(3, 0, dtype=torch.bool), 4, 5)
    assert maps.shape == (3, 5, 4, 5) and maps.abs().max() == 0


@pytest.mark.parametrize("size, expected", [((72, 128), [(72, 128), (36, 64), (18, 32), (9, 16)]),
                                            ((9, 5), [(9, 5), (5, 3), (3, 2), (2, 1)])])
def test_level_sizes_halve_rounding_up_like_the_unet(size, expected):
    assert level_sizes(*size, 4) == expected
    conv = torch.nn.Conv2d(1, 1, 3, stride=2, padding=1)
    x = torch.zeros(1, 1, *size)
    for h, w in expected[1:]:
        x = conv(x)
        assert tuple(x.shape[-2:]) == (h, w)


def test_motion_region_covers_the_sweep_and_the_moved_mask():
    frames, height, width = 5, 16, 16
    mask = np.zeros((64, 64), bool)
    mask[8:24, 8:24] = True  # latent cells 2..5
    trajectories = masks_and_paths_to_trajectories(mask[None], [[[0.25, 0.25], [0.75, 0.25]]], frames, 4)
    points, visible, groups = as_tensors(trajectories)
    region = motion_region(points, visible, groups, height, width, torch.from_numpy(mask[None]), dilation=0)
    assert region[2:6, 2:6].all()  # the mask where it starts
    assert region[2:6, 10:14].all()  # and where it ends (moved by 0.5 of the width = 8 cells)
    assert not region[10:, :].any()  # nothing below the path
    grown = motion_region(points, visible, groups, height, width, torch.from_numpy(mask[None]), dilation=1)
    assert grown.sum() > region.sum() and grown[6, 3]
    levels = pool_region(grown, level_sizes(height, width, 4))
    assert [tuple(r.shape) for r in levels] == [(16, 16), (8, 8), (4, 4), (2, 2)]
    assert levels[3][0].all() and not levels[3][1].any()


def test_appearance_is_read_where_a_track_starts_and_carried_along_it():
    """A point starting on a red cell of the first frame's latent brings red with it to wherever it is later: the
    channels after the 5 displacement channels hold what moves, not only how."""
    h = w = 8
    image = torch.zeros(3, h, w)
    image[0, 2, 1] = 1.0  # "red" at row 2, column 1
    points = torch.tensor([[[1.5 / w, 2.5 / h]], [[4.5 / w, 2.5 / h]], [[6.5 / w, 5.5 / h]]])  # starts on the red cell
    visible = torch.ones(3, 1, dtype=torch.bool)
    plain = rasterize(points, visible, h, w, sigma=0.5)
    maps = rasterize(points, visible, h, w, sigma=0.5, appearance=image)
    assert maps.shape == (3, 8, h, w) and torch.equal(maps[:, :5], plain)
    assert maps[0, 5, 2, 1] == pytest.approx(1.0) and maps[1, 5, 2, 4] == pytest.approx(1.0)
    assert maps[2, 5, 5, 6] == pytest.approx(1.0) and maps[2, 5, 2, 1] == 0.0  # left behind: nothing carried there
    assert float(maps[:, 6:].abs().max()) == 0.0  # the other channels were 0 where it started
    # A point hidden at frame 0 (an object that enters later) carries nothing.
    late = rasterize(points, torch.tensor([[False], [True], [True]]), h, w, sigma=0.5, appearance=image)
    assert float(late[:, 5:].abs().max()) == 0.0

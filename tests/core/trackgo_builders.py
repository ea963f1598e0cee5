"""Shared builders for the TrackGo core tests."""

import numpy as np
import torch

from trackdiff_core.trackgo import SiteSpec
from trackdiff_core.trajectories import PointTrajectories

SVD_PARAMETERS = 1.5246e9  # the full SVD UNet (320/640/1280 widths)


def svd_sites():
    layout = [("input_1", 320, 0), ("input_2", 320, 0), ("input_4", 640, 1), ("input_5", 640, 1), ("input_7", 1280, 2),
              ("input_8", 1280, 2), ("middle_0", 1280, 3)]
    layout += [(f"output_{i}", 1280, 2) for i in (3, 4, 5)] + [(f"output_{i}", 640, 1) for i in (6, 7, 8)]
    layout += [(f"output_{i}", 320, 0) for i in (9, 10, 11)]
    return [SiteSpec(key, width, width // 64, 64, level) for key, width, level in layout]


SMALL = [SiteSpec("input_1", 16, 2, 8, 0), SiteSpec("middle_0", 32, 2, 16, 1)]


def moving_points(frames=6, x0=0.2, x1=0.7):
    points = np.zeros((frames, 3, 2), np.float32)
    points[:, :, 0] = np.linspace(x0, x1, frames)[:, None] + np.array([0.0, 0.02, 0.04])
    points[:, :, 1] = 0.3
    return PointTrajectories(points, groups=np.zeros(3, np.int64))


def randomize_outputs(adapter, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for branch in adapter.sites.values():
            branch.to_out.weight.copy_(torch.randn(branch.to_out.weight.shape, generator=gen) * 0.3)
    return adapter

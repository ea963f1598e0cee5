"""``E``, TrackGo's trajectory encoder: displacement maps -> a feature pyramid matching the UNet's resolution levels.

The input is :func:`trackdiff_core.trackgo.raster.rasterize`'s ``[T, 5, H, W]`` maps at latent resolution. A stem of two
3×3 convolutions gives level 0 (the latent resolution, where SVD's 320-wide sites sit); each further level is a
stride-2 3×3 convolution (padding 1, so sizes halve rounding up exactly like the UNet's downsamplers) and another 3×3
convolution. SiLU between. The pyramid is narrow (``encoder_channels``, 16/32/64/64 by default): each TrackAdapter
lifts its level's features to its layer's width (320 / 640 / 1280 in SVD) with its own linear map
(:class:`trackdiff_core.trackgo.adapter.SiteBranch`), so the wide features exist only for the layer using them, and a
sampling run caches only the narrow pyramid.
"""

from __future__ import annotations

import torch
from torch import nn

from .raster import RASTER_CHANNELS


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.SiLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.SiLU()
    )


class TrajectoryEncoder(nn.Module):
    """``E``: ``[T, 5 (+ appearance), H, W]`` maps -> ``[T, c_l, h_l, w_l]`` per level ``l`` (``c_l = channels[l]``)."""

    def __init__(self, channels: tuple[int, ...], in_channels: int = RASTER_CHANNELS):
        super().__init__()
        self.channels = tuple(int(c) for c in channels)
        self.stem = _block(int(in_channels), self.channels[0], 1)
        self.downs = nn.ModuleList(
            [_block(self.channels[i - 1], self.channels[i], 2) for i in range(1, len(self.channels))]
        )

    @property
    def levels(self) -> int:
        return len(self.channels)

    def forward(self, maps: torch.Tensor) -> list[torch.Tensor]:
        features = [self.stem(maps)]
        for down in self.downs:
            features.append(down(features[-1]))
        return features

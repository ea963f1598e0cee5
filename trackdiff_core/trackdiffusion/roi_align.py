"""RoIAlign in plain torch (torchvision is not a dependency): the mean feature inside each box, bilinearly sampled.

For a feature map ``[C, h, w]`` whose pixel ``(i, j)`` covers ``[j, j+1) × [i, i+1)`` in continuous coordinates (pixel
centres at ``+0.5``, torchvision's ``aligned=True``) and a normalised box ``(x1, y1, x2, y2)``, the box is split into
``P × P`` bins and each bin sampled at ``s × s`` evenly spaced points (``s`` = ``sampling_ratio``); a point's value is
the bilinear interpolation of the four nearest pixel centres (zero outside the map). :func:`roi_align` returns the
``P × P`` bin averages; :func:`roi_mean` their mean, one vector per box.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _sample_grid(boxes: torch.Tensor, bins: int, sampling_ratio: int) -> torch.Tensor:
    """``boxes [R, S, 4]`` (normalised) -> ``grid_sample`` coordinates ``[R, S, bins·s, bins·s, 2]`` in ``[-1, 1]``."""
    steps = bins * sampling_ratio
    frac = (torch.arange(steps, device=boxes.device, dtype=boxes.dtype) + 0.5) / steps  # sample points inside [0, 1]
    x1, y1, x2, y2 = boxes.unbind(-1)
    xs = x1[..., None] + (x2 - x1)[..., None] * frac  # [R, S, steps]
    ys = y1[..., None] + (y2 - y1)[..., None] * frac
    gx = xs[..., None, :].expand(*xs.shape[:-1], steps, steps)
    gy = ys[..., :, None].expand(*ys.shape[:-1], steps, steps)
    return torch.stack([gx, gy], dim=-1) * 2.0 - 1.0  # align_corners=False: -1 is the left edge of the first pixel


def roi_align(features: torch.Tensor, boxes: torch.Tensor, bins: int = 2, sampling_ratio: int = 2) -> torch.Tensor:
    """``features [R, C, h, w]``, ``boxes [R, S, 4]`` normalised -> ``[R, S, C, bins, bins]``."""
    r, s = boxes.shape[:2]
    grid = _sample_grid(boxes.to(features.dtype), bins, sampling_ratio)  # [R, S, n, n, 2]
    n = grid.shape[2]
    sampled = F.grid_sample(features, grid.reshape(r, s * n, n, 2), mode="bilinear", padding_mode="zeros",
                            align_corners=False)  # [R, C, S·n, n]
    c = features.shape[1]
    sampled = sampled.reshape(r, c, s, bins, sampling_ratio, bins, sampling_ratio)
    return sampled.mean(dim=(4, 6)).permute(0, 2, 1, 3, 4)  # [R, S, C, bins, bins]


def roi_mean(features: torch.Tensor, boxes: torch.Tensor, bins: int = 2, sampling_ratio: int = 2) -> torch.Tensor:
    """One vector per box: ``[R, S, C]``, the mean of :func:`roi_align`'s bins."""
    return roi_align(features, boxes, bins, sampling_ratio).mean(dim=(-1, -2))

"""Point trajectories -> per-frame maps at latent resolution (the input of ``E``) and the merge mask's region.

Coordinates are normalised (``x, y`` in ``[0, 1]``); latent cell ``(i, j)`` covers ``[j/W, (j+1)/W) × [i/H, (i+1)/H)``,
so a point at ``(x, y)`` lies in cell ``(floor(y·H), floor(x·W))`` and cell centres sit at ``(j + 0.5) / W``.

**Displacement maps** (``float32[T, 5, H, W]``, :data:`RASTER_CHANNELS`): each visible point of frame ``t`` is splatted
at its frame-``t`` position with a Gaussian of ``sigma`` cells; per cell the channels are

====  =====================================================================================================
0     coverage ``1 - exp(-Σ w)`` (how much trajectory passes here, 0 to 1)
1, 2  the weighted mean displacement since frame 0, ``p_t - p_0`` (normalised units, so any resolution reads alike)
3, 4  the weighted mean velocity ``(p_t - p_(t-1)) · (T - 1)`` (the move per clip, 0 at frame 0)
5 …   only with ``appearance`` (``[C, H, W]``, the first frame's latent): the weighted mean of ``appearance`` read
      (bilinearly) where each point is at frame 0 — what moves there, carried along its track (TrackDiff's option,
      :attr:`~trackdiff_core.trackgo.config.TrackGoConfig.appearance_channels`)
====  =====================================================================================================

**Motion region** (``bool[H, W]``, one map for all frames): every cell a visible point passes over at any frame, plus,
when masks are given, each object's mask moved by its displacement (``trajectories.group_displacements``) at every frame, dilated by a few
cells. Everything an object touches at any time may change; the rest is what ``τ`` holds still.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..trajectories import group_displacements

RASTER_CHANNELS = 5


def level_sizes(height: int, width: int, levels: int) -> list[tuple[int, int]]:
    """``[(h, w)]`` of each UNet resolution level: each level halves, rounding up (stride-2 convolutions, padding 1)."""
    sizes = [(int(height), int(width))]
    for _ in range(levels - 1):
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes


def _cell_coordinates(points: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Continuous coordinates in cells with cell centres at integers."""
    return points[..., 0] * width - 0.5, points[..., 1] * height - 0.5


def sample_at(image: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """``[P, C]``: ``image`` (``[C, H, W]``) read bilinearly at normalised ``points`` (``[P, 2]``); 0 outside."""
    grid = (points.to(torch.float32) * 2.0 - 1.0).view(1, 1, -1, 2)
    return F.grid_sample(image.to(torch.float32)[None], grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)[0, :, 0].transpose(0, 1)


def rasterize(points: torch.Tensor, visible: torch.Tensor, height: int, width: int, sigma: float = 1.0,
              appearance: torch.Tensor | None = None) -> torch.Tensor:
    """``float32[T, 5 (+ C), height, width]`` displacement maps of ``points`` (``[T, P, 2]`` normalised, ``visible
    [T, P]``), with the ``C`` channels of ``appearance`` (``[C, H', W']``, any size) carried along each track."""
    points = points.to(torch.float32)
    frames, count = points.shape[:2]
    device = points.device
    extra = 0 if appearance is None else int(appearance.shape[0])
    channels = RASTER_CHANNELS + extra
    out = torch.zeros(frames, channels, height * width, device=device)
    if count == 0:
        return out.view(frames, channels, height, width)
    displacement = points - points[:1]
    velocity = torch.zeros_like(points)
    if frames > 1:
        velocity[1:] = (points[1:] - points[:-1]) * (frames - 1)
    values = [displacement, velocity]
    if appearance is not None:
        start = sample_at(appearance.to(device), points[0]) * visible[0].to(torch.float32)[:, None]  # [P, C]
        values.append(start[None].expand(frames, -1, -1))
    values = torch.cat(values, dim=-1)  # [T, P, 4 + C]
    kinds = values.shape[-1]
    cx, cy = _cell_coordinates(points, height, width)
    radius = max(1, int(math.ceil(2.0 * sigma)))
    offsets = torch.arange(-radius, radius + 1, device=device)
    oy, ox = torch.meshgrid(offsets, offsets, indexing="ij")
    ox, oy = ox.reshape(-1), oy.reshape(-1)  # [K]
    col = torch.round(cx)[..., None] + ox  # [T, P, K]
    row = torch.round(cy)[..., None] + oy
    weight = torch.exp(-((col - cx[..., None]) ** 2 + (row - cy[..., None]) ** 2) / (2.0 * sigma * sigma))
    inside = (col >= 0) & (col < width) & (row >= 0) & (row < height) & visible.to(torch.bool)[..., None]
    weight = torch.where(inside, weight, torch.zeros_like(weight))
    index = (row.clamp(0, height - 1) * width + col.clamp(0, width - 1)).long().reshape(frames, -1)  # [T, P·K]
    flat_w = weight.reshape(frames, -1)
    occupancy = torch.zeros(frames, height * width, device=device).scatter_add_(1, index, flat_w)
    weighted = (weight[..., None] * values[:, :, None, :]).reshape(frames, -1, kinds)  # [T, P·K, 4 + C]
    sums = torch.zeros(frames, height * width, kinds, device=device)
    sums.scatter_add_(1, index[..., None].expand(-1, -1, kinds), weighted)
    mean = sums / occupancy.clamp_min(1e-6)[..., None]
    mean = torch.where(occupancy[..., None] > 1e-6, mean, torch.zeros_like(mean))
    out[:, 0] = 1.0 - torch.exp(-occupancy)
    out[:, 1:] = mean.permute(0, 2, 1)
    return out.view(frames, channels, height, width)


def _shift(mask: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``mask`` (``[H, W]``) moved by whole cells, filling with False."""
    height, width = mask.shape
    out = torch.zeros_like(mask)
    if abs(dy) >= height or abs(dx) >= width:
        return out
    ys, yd = (slice(0, height - dy), slice(dy, height)) if dy >= 0 else (slice(-dy, height), slice(0, height + dy))
    xs, xd = (slice(0, width - dx), slice(dx, width)) if dx >= 0 else (slice(-dx, width), slice(0, width + dx))
    out[yd, xd] = mask[ys, xs]
    return out


def motion_region(
    points: torch.Tensor, visible: torch.Tensor, groups: torch.Tensor, height: int, width: int,
    masks: torch.Tensor | None = None, dilation: int = 1,
) -> torch.Tensor:
    """``bool[height, width]``: the cells any trajectory (or moving mask) covers at any frame, dilated."""
    device = points.device
    region = torch.zeros(height, width, dtype=torch.bool, device=device)
    visible = visible.to(torch.bool)
    if points.shape[1]:
        cx, cy = _cell_coordinates(points.to(torch.float32), height, width)
        col = torch.round(cx).long()
        row = torch.round(cy).long()
        keep = visible & (col >= 0) & (col < width) & (row >= 0) & (row < height)
        region.view(-1)[(row * width + col)[keep]] = True
    if masks is not None and len(masks):
        small = F.interpolate(masks[:, None].to(torch.float32), size=(height, width), mode="area")[:, 0] > 0
        all_moves = group_displacements(points.detach().cpu().numpy(), visible.cpu().numpy(), groups.cpu().numpy(),
                                        small.shape[0])  # [T, N, 2] normalised
        for index in range(small.shape[0]):
            if not bool((groups == index).any()):
                continue
            moves = all_moves[:, index]
            shifts = {(int(round(float(dy) * height)), int(round(float(dx) * width))) for dx, dy in moves.tolist()}
            for dy, dx in shifts:
                region |= _shift(small[index], dy, dx)
    if dilation > 0:
        grown = F.max_pool2d(region[None, None].to(torch.float32), 2 * dilation + 1, stride=1, padding=dilation)
        region = grown[0, 0] > 0
    return region


def pool_region(region: torch.Tensor, sizes: list[tuple[int, int]]) -> list[torch.Tensor]:
    """The region at each level: a coarse cell is in when any fine cell under it is (sizes from :func:`level_sizes`)."""
    out = [region]
    for h, w in sizes[1:]:
        current = out[-1].to(torch.float32)[None, None]
        ph, pw = 2 * h - current.shape[-2], 2 * w - current.shape[-1]
        current = F.pad(current, (0, pw, 0, ph))
        out.append(F.max_pool2d(current, 2, stride=2)[0, 0] > 0)
    return out

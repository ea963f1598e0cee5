"""The paper's Instance Enhancer: per-object features pooled from the decoder, attended across frames, and fed back.

TrackDiffusion (Li et al., §3.3) reinforces each object's identity over time. At a decoder (``output``) site, with visual
tokens ``v`` (``[B·T, h·w, C]``, after self-attention and the fuser) and the boxes ``b_n^t`` / presence ``m_n^t`` of
each slot ``n`` at frame ``t``::

    f_n^t = LN_in(RoIAlign(v^t, b_n^t)) + W_t · sinusoid(t)              instance token of object n at frame t
    g_n   = f_n + TemporalSelfAttn(LN_t(f_n))    over t, keys masked to frames where m_n^t = 1
    v^t   = v^t + β · tanh(γ) · CrossAttn(LN_x(v^t), [g_null ; g^t])      keys: the null token and the present objects
                                                                           whose box holds the visual token

``γ`` is a learned gate initialised to 0, so an untrained enhancer is the identity bit for bit; ``β`` is the strength.
The learned null token keeps a visual token outside every box (or a frame without objects) well defined. Every
attention goes through the host's attention function.

The released SVD weights carry no enhancer; a file in our format that holds ``instance_enhancer.<site>.*`` tensors loads
one per listed site. Training (see ``docs/trackdiffusion.md``): freeze the UNet and the fusers, train these parameters
with SVD's denoising loss on box-annotated videos.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .attention import DEFAULT_ATTENTION
from .layers import Projections
from .roi_align import roi_mean

DECODER_SITES = tuple(f"output_{i}" for i in range(3, 12))  # where the paper reads "decoder features"


def frame_sinusoid(frames: int, dim: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """``[T, dim]`` sinusoidal frame-index features (sin then cos, periods up to 10000 frames)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=device, dtype=torch.float32) / max(half, 1))
    angles = torch.arange(frames, device=device, dtype=torch.float32)[:, None] * freqs[None]
    out = torch.cat([angles.sin(), angles.cos()], dim=-1)
    if dim % 2:
        out = torch.cat([out, torch.zeros(frames, 1, device=device)], dim=-1)
    return out.to(dtype)


def box_token_mask(boxes: torch.Tensor, present: torch.Tensor, h: int, w: int, margin: float = 0.5) -> torch.Tensor:
    """``bool[R, h·w, S]``: whether visual token ``(i, j)`` lies in slot ``s``'s box (grown by ``margin`` tokens) and the
    slot is present. Token centres are at ``((j + 0.5) / w, (i + 0.5) / h)``."""
    ys = (torch.arange(h, device=boxes.device, dtype=boxes.dtype) + 0.5) / h
    xs = (torch.arange(w, device=boxes.device, dtype=boxes.dtype) + 0.5) / w
    mx, my = margin / w, margin / h
    x1, y1, x2, y2 = (boxes[..., k][:, None, None, :] for k in range(4))  # [R, 1, 1, S]
    inside_y = (ys[None, :, None, None] >= y1 - my) & (ys[None, :, None, None] <= y2 + my)  # [R, h, 1, S]
    inside_x = (xs[None, None, :, None] >= x1 - mx) & (xs[None, None, :, None] <= x2 + mx)  # [R, 1, w, S]
    inside = (inside_y & inside_x).reshape(boxes.shape[0], h * w, boxes.shape[1])
    return inside & present[:, None, :].bool()


class InstanceEnhancer(nn.Module):
    """One enhancer for a site ``dim`` channels wide, with the block's heads."""

    def __init__(self, dim: int, heads: int, dim_head: int, bins: int = 2, sampling_ratio: int = 2, operations=nn):
        super().__init__()
        self.dim, self.bins, self.sampling_ratio = dim, bins, sampling_ratio
        self.norm_in = operations.LayerNorm(dim)
        self.frame_proj = operations.Linear(dim, dim)
        self.norm_temporal = operations.LayerNorm(dim)
        self.temporal = Projections(dim, heads, dim_head, operations=operations)
        self.norm_x = operations.LayerNorm(dim)
        self.cross = Projections(dim, heads, dim_head, operations=operations)
        self.null_token = nn.Parameter(torch.zeros(dim))
        self.gate = nn.Parameter(torch.zeros(()))

    def instance_tokens(self, x: torch.Tensor, boxes: torch.Tensor, present: torch.Tensor, frames: int, hw: tuple[int, int],
                        attention=DEFAULT_ATTENTION, transformer_options=None) -> torch.Tensor:
        """``[R, S, C]``: pooled, frame-aware, temporally attended instance tokens (``R = chunks · T`` rows)."""
        h, w = hw
        rows, _, c = x.shape
        slots = boxes.shape[1]
        grid = x.transpose(1, 2).reshape(rows, c, h, w)
        pooled = roi_mean(grid, boxes.to(x.dtype), self.bins, self.sampling_ratio)  # [R, S, C]
        chunks = rows // frames
        t_embed = self.frame_proj(frame_sinusoid(frames, c, x.device, x.dtype))  # [T, C]
        f = self.norm_in(pooled) + t_embed.repeat(chunks, 1)[:, None, :]
        # Across frames, per object: [chunks·S, T, C]; keys limited to frames where the object is present (and itself).
        seq = f.reshape(chunks, frames, slots, c).permute(0, 2, 1, 3).reshape(chunks * slots, frames, c)
        shown = present.reshape(chunks, frames, slots).permute(0, 2, 1).reshape(chunks * slots, 1, frames).bool()
        allowed = shown | torch.eye(frames, dtype=torch.bool, device=x.device)[None]
        mask = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill(~allowed, float("-inf"))
        n = self.norm_temporal(seq)
        heads = self.temporal.heads
        out = attention(self.temporal.to_q(n), self.temporal.to_k(n), self.temporal.to_v(n), heads, mask=mask,
                        transformer_options=transformer_options or {})
        seq = seq + self.temporal.output(out)
        return seq.reshape(chunks, slots, frames, c).permute(0, 2, 1, 3).reshape(rows, slots, c)

    def forward(self, x: torch.Tensor, boxes: torch.Tensor, present: torch.Tensor, frames: int, hw: tuple[int, int],
                strength: float = 1.0, attention=DEFAULT_ATTENTION, transformer_options=None) -> torch.Tensor:
        """``x [R, h·w, C]`` visual tokens; ``boxes [R, S, 4]`` normalised and ``present [R, S]`` per row -> new ``x``."""
        tokens = self.instance_tokens(x, boxes, present, frames, hw, attention, transformer_options)
        rows = x.shape[0]
        keys = torch.cat([self.null_token.to(x)[None, None].expand(rows, 1, -1), tokens], dim=1)  # [R, 1+S, C]
        inside = box_token_mask(boxes.to(x.dtype), present, *hw)  # [R, h·w, S]
        allowed = torch.cat([torch.ones_like(inside[..., :1]), inside], dim=-1)
        mask = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill(~allowed, float("-inf"))
        q = self.cross.to_q(self.norm_x(x))
        out = attention(q, self.cross.to_k(keys), self.cross.to_v(keys), self.cross.heads, mask=mask,
                        transformer_options=transformer_options or {})
        return x + strength * torch.tanh(self.gate).to(x) * self.cross.output(out)

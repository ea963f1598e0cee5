"""The TrackAdapter: a trainable attention branch beside each of SVD's 16 frozen temporal self-attentions.

Notation (per temporal self-attention ``attn1`` of a ``time_stack`` block, tokens ``[B·h·w, T, C]``):

* ``n`` — the block's normalised input (``norm1(x)``), the input of the frozen original branch;
* ``y = Attn(n)`` — the frozen original branch's output (after its ``to_out``), computed by ComfyUI exactly as stock;
* ``f`` — the trajectory features of ``E`` at this layer's resolution (``[h·w, T, c_l]``);
* the trainable branch ``Δ = W_o · Attn'(W_q u, W_k u, W_v u)`` with ``u = n + P_f(f)``: ``P_f`` lifts ``f`` to the
  layer's width ``C`` (320 / 640 / 1280 in SVD), ``W_q, W_k, W_v`` project to ``heads × d_head / branch_ratio`` and
  ``W_o`` (weight and bias) is **zero-initialised**, so an untrained adapter adds exactly nothing;
* ``M`` — the merge mask per location: 1 where a trajectory passes or inside a moving mask, ``τ`` elsewhere;
* ``s`` — the strength.

The merge (:func:`merge_branches`)::

    out = y · max(0, 1 + s·(M − 1)) + s · M ⊙ Δ

``s = 0`` gives ``y`` exactly; so does ``τ = 1`` with an untrained adapter. Inside the region the adapter adds ``s·Δ``
to the original; outside, the original is scaled towards ``τ`` (suppressed) and the adapter's share is ``s·τ·Δ``. With
no adapter at all (``Δ = 0``) only the suppression remains: the zero-weight mode.

Attention runs through a function passed in by the host (ComfyUI's ``optimized_attention``), so SDPA, Sage or flash
apply; :func:`sdpa_attention` is the stand-in when no host is present.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import TrackDiffError
from .config import TrackGoConfig
from .encoder import TrajectoryEncoder
from .raster import RASTER_CHANNELS

AttentionFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, int], torch.Tensor]


@dataclass(frozen=True)
class SiteSpec:
    """One temporal self-attention the adapter plugs into (read from the model, so any width works)."""

    key: str  # e.g. "input_1", the site's block in transformer_options
    channels: int  # C
    n_heads: int
    d_head: int
    level: int  # resolution level: 0 at latent resolution, +1 per downsampling

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, field: str = "sites") -> "SiteSpec":
        try:
            spec = cls(str(data["key"]), int(data["channels"]), int(data["n_heads"]), int(data["d_head"]),
                       int(data["level"]))
        except (KeyError, TypeError, ValueError):
            raise TrackDiffError(field, data, "is not a site description {key, channels, n_heads, d_head, level}",
                                 "re-save the adapter with this version of TrackDiff") from None
        if min(spec.channels, spec.n_heads, spec.d_head) < 1 or spec.level < 0:
            raise TrackDiffError(field, data, "has a non-positive size", "re-save the adapter")
        return spec


def sdpa_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int) -> torch.Tensor:
    """Multi-head attention on ``[B, N, heads·d]`` tensors with PyTorch's SDPA (used when no host supplies one)."""
    b, n, inner = q.shape
    d = inner // heads
    q, k, v = (t.view(b, -1, heads, d).transpose(1, 2) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v)
    return out.transpose(1, 2).reshape(b, n, inner)


class SiteBranch(nn.Module):
    """The trainable branch of one temporal self-attention (``P_f``, ``W_q``, ``W_k``, ``W_v``, ``W_o``)."""

    def __init__(self, spec: SiteSpec, feature_channels: int, branch_ratio: int):
        super().__init__()
        self.heads = spec.n_heads
        head_width = max(1, spec.d_head // branch_ratio)
        inner = self.heads * head_width
        self.feature_proj = nn.Linear(feature_channels, spec.channels)
        self.to_q = nn.Linear(spec.channels, inner, bias=False)
        self.to_k = nn.Linear(spec.channels, inner, bias=False)
        self.to_v = nn.Linear(spec.channels, inner, bias=False)
        self.to_out = nn.Linear(inner, spec.channels)
        nn.init.zeros_(self.to_out.weight)
        nn.init.zeros_(self.to_out.bias)

    def attend(self, n: torch.Tensor, features: torch.Tensor, attention: AttentionFn = sdpa_attention) -> torch.Tensor:
        """The branch's attention output before ``W_o`` (narrow: ``[R, T, heads·d_head/ratio]``).

        The host keeps this between its two hooks, a quarter of the width of ``Δ`` (memory), and applies
        :meth:`project` when it merges."""
        u = self.feature_proj(features)
        u = u + n if u.shape != n.shape or torch.is_grad_enabled() else u.add_(n)
        return attention(self.to_q(u), self.to_k(u), self.to_v(u), self.heads)

    def project(self, attended: torch.Tensor) -> torch.Tensor:
        return self.to_out(attended)

    def forward(self, n: torch.Tensor, features: torch.Tensor, attention: AttentionFn = sdpa_attention) -> torch.Tensor:
        """``Δ`` for tokens ``n`` (``[R, T, C]``) and features ``f`` (``[R, T, c_l]``)."""
        return self.project(self.attend(n, features, attention))


class TrackAdapter(nn.Module):
    """``E`` plus one :class:`SiteBranch` per temporal self-attention: everything TrackGo trains."""

    def __init__(self, sites: list[SiteSpec], config: TrackGoConfig):
        super().__init__()
        if not sites:
            raise TrackDiffError("sites", sites, "is empty", "build the adapter for a model with temporal attention")
        levels = max(s.level for s in sites) + 1
        if levels > len(config.encoder_channels):
            raise TrackDiffError(
                "encoder_channels", config.encoder_channels,
                f"has {len(config.encoder_channels)} levels but the model's temporal layers span {levels}",
                "give one encoder width per resolution level",
            )
        self.config = config
        self.trained_steps = 0  # set from the file's metadata when loaded
        self.site_specs = {s.key: s for s in sites}
        if len(self.site_specs) != len(sites):
            raise TrackDiffError("sites", [s.key for s in sites], "repeats a site", "list each site once")
        self.encoder = TrajectoryEncoder(config.encoder_channels[:levels], RASTER_CHANNELS + config.appearance_channels)
        self.sites = nn.ModuleDict(
            {s.key: SiteBranch(s, config.encoder_channels[s.level], config.branch_ratio) for s in sites}
        )

    @property
    def levels(self) -> int:
        return self.encoder.levels

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def suppression_scale(mask: torch.Tensor, strength: float) -> torch.Tensor:
    """The original branch's factor ``max(0, 1 + s·(M − 1))``: 1 in the region, towards ``τ`` outside.

    The clamp only matters for ``s > 1`` with a small ``τ``: the original branch is never turned negative."""
    return (1.0 + strength * (mask - 1.0)).clamp_min(0.0)


def merge_branches(original: torch.Tensor, delta: torch.Tensor | None, mask: torch.Tensor, strength: float) -> torch.Tensor:
    """``out = y · max(0, 1 + s·(M − 1)) + s · M ⊙ Δ`` (``mask`` broadcasts against ``original``, e.g. ``[R, 1, 1]``)."""
    out = original * suppression_scale(mask, strength)
    if delta is not None:
        out = out.addcmul_(strength * mask, delta) if not torch.is_grad_enabled() else out + (strength * mask) * delta
    return out


def attention_loss(delta: torch.Tensor, original: torch.Tensor, inside: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """TrackGo's attention loss as chosen here: the trainable branch's energy outside the motion region, relative to
    the frozen branch's energy (``mean_{r ∉ region} |Δ_r|² / (mean_r |y_r|² + ε)``; ``inside`` is ``bool[R]``).

    It teaches the branch to act only where trajectories pass, which is what the merge mask assumes; the frozen branch's
    energy (detached) makes it independent of the layer's scale."""
    outside = ~inside.to(torch.bool)
    if not bool(outside.any()):
        return delta.sum() * 0.0
    leak = delta[outside].float().pow(2).mean()
    return leak / (original.detach().float().pow(2).mean() + eps)

"""Small building blocks shared by the fuser and the Instance Enhancer, named as in diffusers (so released state dicts
load by name) and built from an ``operations`` namespace (``torch.nn`` by default; ComfyUI passes ``comfy.ops`` so that
dtype and low-VRAM casting behave as for the model's own layers)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GEGLU(nn.Module):
    """``proj`` to twice the inner width, then ``a · gelu(g)`` (diffusers' and ComfyUI's GEGLU)."""

    def __init__(self, dim: int, inner: int, operations=nn):
        super().__init__()
        self.proj = operations.Linear(dim, inner * 2)

    def forward(self, x):
        a, gate = self.proj(x).chunk(2, dim=-1)
        return a * F.gelu(gate)


class FeedForward(nn.Module):
    """GEGLU feed-forward ``dim -> mult·dim -> dim``; state-dict names ``net.0.proj`` and ``net.2`` as in diffusers."""

    def __init__(self, dim: int, inner: int | None = None, operations=nn):
        super().__init__()
        inner = inner or dim * 4
        self.net = nn.Sequential(GEGLU(dim, inner, operations), nn.Identity(), operations.Linear(inner, dim))

    def forward(self, x):
        return self.net(x)


class Projections(nn.Module):
    """The four linear maps of a diffusers ``Attention`` (``to_q``, ``to_k``, ``to_v`` without bias, ``to_out.0``)."""

    def __init__(self, query_dim: int, heads: int, dim_head: int, context_dim: int | None = None, operations=nn):
        super().__init__()
        inner = heads * dim_head
        context_dim = context_dim or query_dim
        self.heads = heads
        self.dim_head = dim_head
        self.to_q = operations.Linear(query_dim, inner, bias=False)
        self.to_k = operations.Linear(context_dim, inner, bias=False)
        self.to_v = operations.Linear(context_dim, inner, bias=False)
        self.to_out = nn.ModuleList([operations.Linear(inner, query_dim)])

    def output(self, attended: torch.Tensor) -> torch.Tensor:
        return self.to_out[0](attended)

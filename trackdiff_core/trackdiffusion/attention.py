"""The attention function signature TrackDiffusion's modules call, and a plain-torch implementation of it.

Every attention in this package goes through a function passed in by the host, with ComfyUI's signature::

    attention(q, k, v, heads, mask=None, attn_precision=None, transformer_options=None) -> out

``q`` is ``[B, Lq, heads·d]``, ``k`` / ``v`` are ``[B, Lk, heads·d]``, ``out`` is ``[B, Lq, heads·d]``; ``mask`` is an
*additive* float mask broadcastable to ``[B, heads, Lq, Lk]`` (``[B, Lq, Lk]`` or ``[Lq, Lk]`` are expanded as ComfyUI
does). Inside ComfyUI the patches pass ``comfy.ldm.modules.attention.optimized_attention`` (and ``..._masked``), so SDPA,
Sage, flash or xformers apply as for the model's own attention. Outside ComfyUI (core tests, training scripts)
:func:`sdpa_attention` is the default.
"""

from __future__ import annotations

from typing import Callable, Protocol

import torch
import torch.nn.functional as F


class AttentionFn(Protocol):
    def __call__(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, mask=None, **kwargs) -> torch.Tensor:
        ...


def sdpa_attention(q, k, v, heads: int, mask=None, attn_precision=None, transformer_options=None, **kwargs):
    """Multi-head scaled dot-product attention with ComfyUI's calling convention (scale ``d ** -0.5``)."""
    b, lq, inner = q.shape
    d = inner // heads
    q, k, v = (t.reshape(b, -1, heads, d).transpose(1, 2) for t in (q, k, v))
    if mask is not None:
        if mask.ndim == 2:
            mask = mask.unsqueeze(0)
        if mask.ndim == 3:
            mask = mask.unsqueeze(1)
        mask = mask.to(q.dtype)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0, is_causal=False)
    return out.transpose(1, 2).reshape(b, lq, inner)


def naive_attention(q, k, v, heads: int, mask=None, **kwargs):
    """The same math written out (softmax of ``q·kᵀ/√d + mask``): the reference the tests compare against."""
    b, lq, inner = q.shape
    d = inner // heads
    q, k, v = (t.reshape(b, -1, heads, d).transpose(1, 2).double() for t in (q, k, v))
    scores = q @ k.transpose(-1, -2) * d**-0.5
    if mask is not None:
        if mask.ndim == 2:
            mask = mask.unsqueeze(0)
        if mask.ndim == 3:
            mask = mask.unsqueeze(1)
        scores = scores + mask.double()
    out = scores.softmax(-1) @ v
    return out.transpose(1, 2).reshape(b, lq, inner).to(k.dtype if k.dtype != torch.float64 else torch.float32)


DEFAULT_ATTENTION: Callable = sdpa_attention

"""A stand-in for ComfyUI's attention kernels during exact counting.

ComfyUI routes every attention through ``optimized_attention`` (``wrap_attn``), which honours
``transformer_options["optimized_attention_override"]``. The stand-in returns an output-sized tensor (what a fused
kernel such as SDPA / flash allocates) and adds the attention's FLOPs analytically: ``QKᵀ`` and ``AV`` each cost
``2·B·H·Nq·Nk·D``. An attention that bypasses the dispatcher is not stood in, so it runs the eager math on ``meta`` and
its ``[B·H, Nq, Nk]`` score matrix shows up in peak memory — which is how the budget test catches it.
"""

from __future__ import annotations

import torch


def attention_shape(q, k, heads, skip_reshape: bool) -> tuple[int, int, int, int, int]:
    """``(batch, heads, Nq, Nk, D)`` of an ``optimized_attention`` call, in either of its input layouts."""
    if skip_reshape:
        batch, heads_, nq, dim = q.shape
        return batch, heads_, nq, k.shape[2], dim
    batch, nq, inner = q.shape
    return batch, heads, nq, k.shape[1], inner // heads


def attention_flops(batch: int, heads: int, nq: int, nk: int, dim: int) -> int:
    """FLOPs of ``QKᵀ`` and ``AV``: ``2·B·H·Nq·Nk·D`` each."""
    return 4 * batch * heads * nq * nk * dim


class AttentionStandIn:
    def __init__(self):
        self.flops = 0
        self.calls = 0

    def __call__(self, func, q, k, v, heads, *args, skip_reshape=False, skip_output_reshape=False, **kwargs):
        batch, heads_, nq, nk, dim = attention_shape(q, k, heads, skip_reshape)
        self.flops += attention_flops(batch, heads_, nq, nk, dim)
        self.calls += 1
        if skip_output_reshape:
            return torch.empty((batch, heads_, nq, dim), dtype=q.dtype, device=q.device)
        return torch.empty((batch, nq, heads_ * dim), dtype=q.dtype, device=q.device)

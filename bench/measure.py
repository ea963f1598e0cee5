"""Exact FLOPs and peak live bytes of one diffusion-model call, patched or stock, on the ``meta`` device."""

from __future__ import annotations

import copy
import gc
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from .attention_standin import AttentionStandIn
from .live_bytes import LiveBytes


@dataclass(frozen=True)
class Measurement:
    flops: int  # operators counted by torch's FlopCounterMode + attention counted analytically
    attention_flops: int
    attention_calls: int
    peak_bytes: int  # activations (weights excluded)
    added_parameters: int  # parameters of additional models attached by the patch

    @property
    def total_flops(self) -> int:
        return self.flops


@contextmanager
def object_patches_applied(patcher):
    """Apply a ModelPatcher's object patches to its (meta) model for the duration, then restore them."""
    import comfy.utils

    backup = {}
    try:
        for name, obj in patcher.object_patches.items():
            backup[name] = comfy.utils.get_attr(patcher.model, name)
            comfy.utils.set_attr(patcher.model, name, obj)
        yield
    finally:
        for name, obj in backup.items():
            comfy.utils.set_attr(patcher.model, name, obj)


def transformer_options_for(patcher, chunks: int) -> dict:
    """The transformer_options a sampler would build for one call (patches, wrappers, cond/uncond order)."""
    import comfy.patcher_extension

    options = copy.deepcopy(patcher.model_options.get("transformer_options", {}))
    comfy.patcher_extension.merge_nested_dicts(options.setdefault("wrappers", {}), patcher.wrappers, copy_dict1=False)
    options["cond_or_uncond"] = [0, 1][:chunks] if chunks <= 2 else [0] * chunks
    options["uuids"] = [None] * chunks
    return options


def model_inputs(frames: int, height: int, width: int, chunks: int, dtype, context_dim: int = 1024, adm: int = 768):
    meta = torch.device("meta")
    rows = frames * chunks
    return dict(
        x=torch.empty((rows, 8, height // 8, width // 8), dtype=dtype, device=meta),
        timesteps=torch.empty((rows,), dtype=dtype, device=meta),
        context=torch.empty((rows, 1, context_dim), dtype=dtype, device=meta),
        y=torch.empty((rows, adm), dtype=dtype, device=meta),
    )


def measure(patcher, frames: int, height: int, width: int, chunks: int = 2, dtype=torch.float16,
            sigma: float = 1.0) -> Measurement:
    """One call of ``patcher``'s diffusion model on ``chunks × frames`` latent frames of ``height × width`` pixels."""
    diffusion_model = patcher.model.diffusion_model
    inputs = model_inputs(frames, height, width, chunks, dtype, diffusion_model.context_dim if hasattr(
        diffusion_model, "context_dim") else 1024)
    options = transformer_options_for(patcher, chunks)
    options["sigmas"] = torch.full((frames,), sigma)
    standin = AttentionStandIn()
    options["optimized_attention_override"] = standin
    added = sum(p.numel() for m in patcher.get_additional_models() for p in m.model.parameters())
    gc.collect()
    with object_patches_applied(patcher), torch.no_grad():
        live = LiveBytes()
        flop_counter = FlopCounterMode(display=False)
        with flop_counter, live:
            out = diffusion_model(inputs["x"], inputs["timesteps"], inputs["context"], inputs["y"],
                                  transformer_options=options, num_video_frames=frames)
        del out
    return Measurement(flop_counter.get_total_flops() + standin.flops, standin.flops, standin.calls, live.peak, added)

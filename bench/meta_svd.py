"""ComfyUI's own SVD model at full size on the ``meta`` device, wrapped in a ModelPatcher (no weights, no GPU)."""

from __future__ import annotations

import torch

# What ComfyUI's detector derives from svd.safetensors / svd_xt.safetensors (the tiny test model is this at 1/10 width).
SVD_UNET_CONFIG = {
    "use_checkpoint": False,
    "image_size": 32,
    "use_spatial_transformer": True,
    "legacy": False,
    "num_classes": "sequential",
    "adm_in_channels": 768,
    "in_channels": 8,
    "out_channels": 4,
    "model_channels": 320,
    "num_res_blocks": [2, 2, 2, 2],
    "transformer_depth": [1, 1, 1, 1, 1, 1, 0, 0],
    "transformer_depth_output": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    "channel_mult": [1, 2, 4, 4],
    "transformer_depth_middle": 1,
    "use_linear_in_transformer": True,
    "context_dim": 1024,
    "extra_ff_mix_layer": True,
    "use_spatial_context": True,
    "merge_strategy": "learned_with_images",
    "merge_factor": 0.0,
    "video_kernel_size": [3, 1, 1],
    "use_temporal_resblock": True,
    "use_temporal_attention": True,
    "disable_temporal_crossattention": False,
}


def meta_svd_patcher(dtype: torch.dtype = torch.float16, unet_config: dict | None = None):
    """A ModelPatcher around ComfyUI's ``SVD_img2vid`` model built on ``meta`` in ``dtype``."""
    import comfy.model_patcher
    import comfy.supported_models

    config = comfy.supported_models.SVD_img2vid(dict(unet_config or SVD_UNET_CONFIG))
    config.set_inference_dtype(dtype, None)
    model = config.get_model({}, device=torch.device("meta"))
    cpu = torch.device("cpu")
    return comfy.model_patcher.ModelPatcher(model, load_device=cpu, offload_device=cpu)


def unet_parameters(patcher) -> int:
    return sum(p.numel() for p in patcher.model.diffusion_model.parameters())

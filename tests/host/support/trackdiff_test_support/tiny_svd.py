"""Generate the tiny random-weight SVD checkpoint (our own generator; nothing is downloaded or committed).

Key names and shapes come from ComfyUI's own classes built at tiny width (so they match the installed ComfyUI exactly);
every value is then drawn from a generator seeded by ``(seed, crc32(key))``, so the file is deterministic and does not
depend on the order in which modules were constructed. The host tests call :func:`write_tiny_svd` with ComfyUI imported
as a library (``tests/host/comfy_host.py``).
"""

from __future__ import annotations

import math
import zlib

import torch
from safetensors.torch import save_file

import comfy.clip_vision
import comfy.taesd.taesd

from .tiny_model import CLIP_JSON, FULL_UNET_CONFIG, TinySVD

UNET_PREFIX = "model.diffusion_model."
CLIP_PREFIX = "conditioner.embedders.0.open_clip.model.visual."
VAE_PREFIX = "first_stage_model."


def _fill(key: str, like: torch.Tensor, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed((seed * 1_000_003 + zlib.crc32(key.encode())) & 0x7FFFFFFFFFFFFFFF)
    shape = tuple(like.shape)
    leaf = key.rsplit(".", 1)[-1]
    if len(shape) >= 2:
        fan_in = math.prod(shape[1:])
        return torch.randn(shape, generator=gen) / math.sqrt(fan_in)
    if len(shape) == 0:  # learned merge factors, scales
        return torch.randn(shape, generator=gen) * 0.5
    if leaf == "weight" and ("norm" in key or "ln_" in key or "layer_norm" in key or "layernorm" in key):
        return 1.0 + 0.1 * torch.randn(shape, generator=gen)
    return 0.02 * torch.randn(shape, generator=gen)


def unet_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    model = TinySVD(FULL_UNET_CONFIG).get_model({})
    return {UNET_PREFIX + k: _fill(UNET_PREFIX + k, v, seed) for k, v in model.diffusion_model.state_dict().items()}


def clip_vision_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    clip = comfy.clip_vision.ClipVisionModel(CLIP_JSON)
    return {CLIP_PREFIX + k: _fill(CLIP_PREFIX + k, v, seed) for k, v in clip.model.state_dict().items()}


def vae_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    taesd = comfy.taesd.taesd.TAESD()
    out = {VAE_PREFIX + k: _fill(VAE_PREFIX + k, v, seed) for k, v in taesd.state_dict().items()}
    out[VAE_PREFIX + "vae_scale"] = torch.tensor(1.0)
    out[VAE_PREFIX + "vae_shift"] = torch.tensor(0.0)
    return out


def tiny_svd_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    out = {}
    for part in (unet_state_dict, clip_vision_state_dict, vae_state_dict):
        out.update(part(seed))
    return {k: v.contiguous().float() for k, v in out.items()}


def write_tiny_svd(path: str, seed: int = 0) -> str:
    save_file(tiny_svd_state_dict(seed), path, metadata={"trackdiff_test": "tiny_svd", "seed": str(seed)})
    return path

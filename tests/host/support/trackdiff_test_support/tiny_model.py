"""A tiny Stable Video Diffusion with the real SVD topology, registered with ComfyUI for tests.

ComfyUI's checkpoint detection only accepts full-width SVD (``model_channels`` 320, context 1024). This module adds a
model config for the same UNet at ``model_channels`` 32 (widths 32 / 64 / 128, 16-wide heads, context 32): the same 16
transformer sites ``input 1,2,4,5,7,8 / middle 0 / output 3..11``, each a spatial block with its temporal twin in
``time_stack``, temporal resblocks, the learned ``time_mixer`` merges and the 768-wide fps / motion / augmentation
embedding. It also lets ComfyUI's CLIP-vision loader recognise a 2-layer, 32-wide ViT (so ``SVD_img2vid_Conditioning``
gets 32-wide image embeddings, matching the context), and the checkpoint carries a TAESD-layout VAE (the small
autoencoder ComfyUI already supports), so that ``ImageOnlyCheckpointLoader``, ``SVD_img2vid_Conditioning``, ``KSampler``
and ``VAEDecode`` all run unchanged on CPU in about a second.

Test-only: it changes ComfyUI's detection tables, which the pack itself never does.
"""

from __future__ import annotations

import logging
import os

import torch

import comfy.clip_vision
import comfy.supported_models
from comfy.supported_models import SVD_img2vid

log = logging.getLogger(__name__)

MODEL_CHANNELS = 32
CONTEXT_DIM = 32
HEAD_CHANNELS = 16
CLIP_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_clip_vision.json")
CLIP_WIDTH = 32

# What ComfyUI's detector derives from an SVD checkpoint, at tiny width (checked by tests/host/test_tiny_svd.py).
FULL_UNET_CONFIG = {
    "use_checkpoint": False,
    "image_size": 32,
    "use_spatial_transformer": True,
    "legacy": False,
    "num_classes": "sequential",
    "adm_in_channels": 768,
    "in_channels": 8,
    "out_channels": 4,
    "model_channels": MODEL_CHANNELS,
    "num_res_blocks": [2, 2, 2, 2],
    "transformer_depth": [1, 1, 1, 1, 1, 1, 0, 0],
    "transformer_depth_output": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    "channel_mult": [1, 2, 4, 4],
    "transformer_depth_middle": 1,
    "use_linear_in_transformer": True,
    "context_dim": CONTEXT_DIM,
    "extra_ff_mix_layer": True,
    "use_spatial_context": True,
    "merge_strategy": "learned_with_images",
    "merge_factor": 0.0,
    "video_kernel_size": [3, 1, 1],
    "use_temporal_resblock": True,
    "use_temporal_attention": True,
    "disable_temporal_crossattention": False,
}


class TinySVD(SVD_img2vid):
    """SVD img2vid at ``model_channels`` 32; everything else as ComfyUI's ``SVD_img2vid``."""

    unet_config = {
        "model_channels": MODEL_CHANNELS,
        "in_channels": 8,
        "use_linear_in_transformer": True,
        "transformer_depth": [1, 1, 1, 1, 1, 1, 0, 0],
        "context_dim": CONTEXT_DIM,
        "adm_in_channels": 768,
        "use_temporal_attention": True,
        "use_temporal_resblock": True,
    }
    unet_extra_config = {"num_heads": -1, "num_head_channels": HEAD_CHANNELS, "attn_precision": torch.float32}


_original_load_clipvision = None


def _is_tiny_clip(sd: dict, prefix: str) -> bool:
    key = prefix + "vision_model.embeddings.patch_embedding.weight"
    return key in sd and sd[key].shape[0] == CLIP_WIDTH


def _load_clipvision(sd, prefix="", convert_keys=False):
    if not _is_tiny_clip(sd, prefix):
        return _original_load_clipvision(sd, prefix, convert_keys)
    converted = comfy.clip_vision.convert_to_transformers(sd, prefix) if convert_keys else sd
    clip = comfy.clip_vision.ClipVisionModel(CLIP_JSON)
    missing, _ = clip.load_sd(converted)
    if missing:
        raise RuntimeError(f"tiny CLIP vision weights are missing {missing}")
    return clip


def register() -> None:
    """Make ComfyUI recognise the tiny SVD and its tiny CLIP vision (idempotent)."""
    global _original_load_clipvision
    if TinySVD not in comfy.supported_models.models:
        comfy.supported_models.models.insert(0, TinySVD)
    if _original_load_clipvision is None:
        _original_load_clipvision = comfy.clip_vision.load_clipvision_from_sd
        comfy.clip_vision.load_clipvision_from_sd = _load_clipvision
    log.info("trackdiff_test_support: tiny SVD config registered")

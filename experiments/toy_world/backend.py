"""The toy world's training backend: the pack's ComfyUI backend with the fixed colour VAE's encoder in closed form.

The toy VAE (``trackdiff_test_support/toy_vae.py``) encodes a frame to its exact 8×8 block-mean colour, but through
TAESD's 64-channel convolutions that costs seconds per clip on a CPU — more than the tiny UNet's training step. This
backend computes the same latents directly (``avg_pool 8×8 − ½``, gained by the VAE's own ``vae_scale``) and checks,
when it starts, that they equal what ComfyUI's ``VAEEncode`` gives on a toy clip (to 1e-4), so nothing but the speed
differs. Everything else (loading, conditioning, patches, ``calc_cond_batch``) is the pack's ``comfyui`` backend.
"""

from __future__ import annotations

import importlib

import torch
import torch.nn.functional as F

from trackdiff_core.training.backend import pack_package

ComfySVDBackend = importlib.import_module(pack_package() + ".nodes.training_backend").ComfySVDBackend
BLOCK = 8
TOLERANCE = 1e-4


class ToyWorldBackend(ComfySVDBackend):
    def __init__(self, **options):
        super().__init__(**options)
        taesd = self.vae.first_stage_model
        self.vae_gain = 1.0 / float(taesd.vae_scale)
        self.vae_offset = float(taesd.vae_shift)
        self._check_encoder()

    def vae_encode(self, pixels: torch.Tensor) -> torch.Tensor:
        colour = F.avg_pool2d(pixels.movedim(-1, 1).float(), BLOCK) - 0.5
        latent = torch.cat([colour, torch.zeros_like(colour[:, :1])], dim=1)
        return latent * self.vae_gain + self.vae_offset

    def _check_encoder(self) -> None:
        from trackdiff_core.training.toy_world import ToyWorldClips

        frames = ToyWorldClips(2, self.width, self.height, seed=12345).clip(0).frames
        pixels = self._pixels(frames)
        with torch.no_grad():
            reference = self.vae.encode(pixels)
        error = float((self.vae_encode(pixels) - reference).abs().max())
        if error > TOLERANCE * max(1.0, float(reference.abs().max())):
            raise ValueError(f"the checkpoint's VAE is not the toy colour VAE (closed-form encoder off by {error:.3g})")

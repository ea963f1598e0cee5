"""A small pure-PyTorch video denoiser with two temporal self-attentions, as a training backend for the core tests.

CI has no ComfyUI, so the training loop (checkpoints, resume, logging, CLI) is exercised here on a real, if small,
network with the same hook points as SVD's temporal layers; tests/host trains on the real tiny SVD through ComfyUI.
Its frozen weights are random but fixed (seeded); latents are 4× average-pooled RGB; EDM preconditioning with
``σ_data = 0.5``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trackdiff_core.trackgo import SiteCall, SiteSpec, sdpa_attention


class _TemporalBlock(nn.Module):
    def __init__(self, key: str, channels: int, heads: int):
        super().__init__()
        self.key, self.heads = key, heads
        self.norm = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels, bias=False)
        self.out = nn.Linear(channels, channels)

    def forward(self, x, frames, latent_hw, runtime):
        tc, c, h, w = x.shape
        tokens = x.view(frames, c, h * w).permute(2, 0, 1)  # [h·w, T, C]
        n = self.norm(tokens)
        call = SiteCall(frames, [0], h, w, latent_hw[0], latent_hw[1], sdpa_attention)
        delta = runtime.branch(self.key, n, call) if runtime is not None else None
        q, k, v = self.qkv(n).chunk(3, dim=-1)
        y = self.out(sdpa_attention(q, k, v, self.heads))
        if runtime is not None:
            y = runtime.merge(self.key, y, call, delta)
        return x + y.permute(1, 2, 0).reshape(tc, c, h, w)


class ToyVideoDenoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(3 + 3 + 1, 16, 3, padding=1)
        self.block0 = _TemporalBlock("input_1", 16, 2)
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.block1 = _TemporalBlock("middle_0", 32, 2)
        self.up = nn.Conv2d(32, 16, 3, padding=1)
        self.conv_out = nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, x, cond, c_noise, runtime):
        frames, _, h, w = x.shape
        noise = torch.full((frames, 1, h, w), float(c_noise), dtype=x.dtype)
        a = F.silu(self.conv_in(torch.cat([x, cond.expand(frames, -1, -1, -1), noise], dim=1)))
        a = self.block0(a, frames, (h, w), runtime)
        b = self.block1(F.silu(self.down(a)), frames, (h, w), runtime)
        a = a + F.silu(self.up(F.interpolate(b, size=(h, w), mode="nearest")))
        return self.conv_out(a)


class ToyBackend:
    """:class:`trackdiff_core.training.backend.ModelBackend` over :class:`ToyVideoDenoiser`."""

    sigma_data = 0.5
    sigma_min = 0.002
    sigma_max = 80.0

    def __init__(self, seed: int = 0, **_options):
        torch.manual_seed(seed)
        self.net = ToyVideoDenoiser().requires_grad_(False)
        self.device = torch.device("cpu")
        self.runtime = None

    def describe(self):
        return {"model": "toy"}

    def site_specs(self):
        return [SiteSpec("input_1", 16, 2, 8, 0), SiteSpec("middle_0", 32, 2, 16, 1)]

    def encode_frames(self, frames: np.ndarray) -> torch.Tensor:
        pixels = torch.from_numpy(np.ascontiguousarray(frames)).float().permute(0, 3, 1, 2) / 127.5 - 1.0
        return F.avg_pool2d(pixels, 4)

    def conditioning(self, clip):
        return self.encode_frames(clip.frames[:1])

    def attach(self, method, runtime):
        assert method == "trackgo"
        self.runtime = runtime

    def unconditional(self, conditioning):
        return torch.zeros_like(conditioning)

    def frozen_blocks(self):
        """The blocks ``--checkpointing`` recomputes in backward (the adapter runs inside them)."""
        return [self.net.block0, self.net.block1]

    # -- whole-model training (the ``backbone`` task): this network itself trains --------------------------------------
    def video_model(self):
        return self.net

    def save_video_model(self, path, metadata):
        from safetensors.torch import save_file

        save_file({k: v.detach().contiguous() for k, v in self.net.state_dict().items()}, path, metadata=metadata)

    def load_video_model(self, path):
        from safetensors.torch import load_file

        self.net.load_state_dict(load_file(path))

    def denoise(self, noisy, sigma, conditioning):
        s = float(sigma.reshape(-1)[0])
        d = self.sigma_data
        c_in = 1.0 / math.sqrt(s * s + d * d)
        c_skip = d * d / (s * s + d * d)
        c_out = s * d / math.sqrt(s * s + d * d)
        out = self.net(noisy * c_in, conditioning, math.log(s) / 4.0, self.runtime)
        return c_skip * noisy + c_out * out

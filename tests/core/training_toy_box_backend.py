"""A small pure-PyTorch video denoiser with spatial self-attention sites that run TrackDiffusion's modules, as a training
backend for the ``instance_enhancer`` and ``trackdiffusion`` core tests (CI has no ComfyUI; tests/host trains on the real tiny SVD).

Like SVD's spatial transformer blocks, each site attends over the ``h·w`` tokens of every frame and then runs the
site's fuser and Instance Enhancer on the tokens (``[T, h·w, C]``) with the current clip's slot boxes, exactly as
``nodes/trackdiffusion_patch.TrackDiffusionPatch`` does inside ComfyUI. Sites: ``middle_0`` (32 channels, fuser only),
``output_3`` (32 channels) and ``output_6`` (16 channels, twice the resolution). Frozen weights are random but fixed
(seeded); latents are 4× average-pooled RGB; EDM preconditioning with ``σ_data = 0.5``. The tensors TrackDiffusion
re-trains sit under ComfyUI's names (``input_blocks.0.0.*``, ``out.2.*``, ``sites.<site>.time_mixer.mix_factor``); a
runtime's ``unet_parameters`` replace them for the call (``torch.func.functional_call``), as ComfyUI's object patches
do in the host.

:func:`toy_weights` makes matching TrackDiffusion weights (box encoder + fusers with non-zero gates).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trackdiff_core.trackdiffusion import BoxEncoder, BoxLayout, GatedSelfAttentionFuser, TrackDiffusionWeights
from trackdiff_core.trackdiffusion import sdpa_attention
from trackdiff_core.trackgo import SiteSpec

SITES = {"middle_0": (32, 2, 16, 1), "output_3": (32, 2, 16, 1), "output_6": (16, 2, 8, 0)}  # channels, heads, d, level
ENHANCER_SITES = ("output_3", "output_6")
LAYOUT = BoxLayout("fourier7", 8, 32, 24)


def _seeded_state(module: nn.Module, seed: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, tensor in module.state_dict().items():
        value = torch.randn(tensor.shape, generator=gen) * (0.3 if tensor.ndim else 1.0)
        if "norm" in name and name.endswith("weight"):
            value = value * 0.1 + 1.0
        if name.startswith("alpha"):
            value = torch.tensor(0.5)
        state[name] = value
    return state


def toy_weights(seed: int = 0, channels: dict[str, int] | None = None) -> TrackDiffusionWeights:
    """TrackDiffusion weights for the toy's sites (``channels`` overrides a site's width, to make weights that do not
    fit)."""
    position = _seeded_state(BoxEncoder(LAYOUT), seed)
    fusers = {}
    for index, (site, (width, heads, d, _)) in enumerate(SITES.items()):
        width = (channels or {}).get(site, width)
        fusers[site] = _seeded_state(GatedSelfAttentionFuser(width, LAYOUT.token_dim, heads, width // heads), seed + index + 1)
    return TrackDiffusionWeights(LAYOUT, position, fusers, {}, source="toy")


def _apply(runtime, site: str, x: torch.Tensor, frames: int, hw, cache: dict) -> torch.Tensor:
    modules = runtime.modules
    if "inputs" not in cache:
        slots = runtime.for_frames(frames)
        # with gradient: the trackdiffusion task trains the box encoder (a frozen one records nothing)
        tokens = modules.object_tokens(slots, torch.ones(frames, dtype=torch.bool), dtype=x.dtype)
        cache["inputs"] = (tokens, slots.boxes, slots.present)
    tokens, boxes, present = cache["inputs"]
    if site in modules.fusers:
        x = modules.fusers[site](x, tokens, runtime.strength, sdpa_attention)
    if site in modules.instance_enhancer:
        x = modules.instance_enhancer[site](x, boxes, present, frames, hw, runtime.strength, sdpa_attention)
    return x


class _TimeMixer(nn.Module):
    """SVD's ``AlphaBlender`` ("fixed" strategy) in miniature: ``α·x + (1 − α)·mean over frames``, ``α = 1`` (exactly
    the identity) until trained; ``mix_factor`` is a tensor TrackDiffusion re-trains."""

    def __init__(self):
        super().__init__()
        self.mix_factor = nn.Parameter(torch.ones(1))

    def forward(self, tokens):
        alpha = self.mix_factor.to(tokens)
        return alpha * tokens + (1 - alpha) * tokens.mean(dim=0, keepdim=True)


class _SpatialSite(nn.Module):
    def __init__(self, key: str, channels: int, heads: int):
        super().__init__()
        self.key, self.heads = key, heads
        self.norm = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels, bias=False)
        self.out = nn.Linear(channels, channels)
        self.time_mixer = _TimeMixer()

    def forward(self, x, runtime, cache):
        frames, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # [T, h·w, C]
        q, k, v = self.qkv(self.norm(tokens)).chunk(3, dim=-1)
        tokens = self.time_mixer(tokens + self.out(sdpa_attention(q, k, v, self.heads)))
        if runtime is not None:
            tokens = _apply(runtime, self.key, tokens, frames, (h, w), cache)
        return tokens.transpose(1, 2).reshape(frames, c, h, w)


class ToyBoxDenoiser(nn.Module):
    def __init__(self):
        super().__init__()
        conv_in = nn.Conv2d(3 + 3 + 1, 16, 3, padding=1)
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.sites = nn.ModuleDict({k: _SpatialSite(k, c, n) for k, (c, n, _, _) in SITES.items()})
        self.up = nn.Conv2d(32, 16, 3, padding=1)
        conv_out = nn.Conv2d(16, 3, 3, padding=1)
        # ComfyUI's names for SVD's conv_in and conv_out (input_blocks.0.0, out.2): the tensors TrackDiffusion re-trains
        self.input_blocks = nn.ModuleList([nn.ModuleList([conv_in])])
        self.out = nn.ModuleList([nn.Identity(), nn.Identity(), conv_out])

    def forward(self, x, cond, c_noise, runtime):
        frames, _, h, w = x.shape
        cache: dict = {}
        noise = torch.full((frames, 1, h, w), float(c_noise), dtype=x.dtype)
        a = F.silu(self.input_blocks[0][0](torch.cat([x, cond.expand(frames, -1, -1, -1), noise], dim=1)))
        b = self.sites["middle_0"](F.silu(self.down(a)), runtime, cache)
        b = self.sites["output_3"](b, runtime, cache)
        a = a + F.silu(self.up(F.interpolate(b, size=(h, w), mode="nearest")))
        return self.out[2](self.sites["output_6"](a, runtime, cache))


class ToyBoxBackend:
    """:class:`trackdiff_core.training.backend.ModelBackend` over :class:`ToyBoxDenoiser`."""

    sigma_data = 0.5
    sigma_min = 0.002
    sigma_max = 80.0

    def __init__(self, seed: int = 0, **_options):
        torch.manual_seed(seed)
        self.net = ToyBoxDenoiser().requires_grad_(False)
        self.device = torch.device("cpu")
        self.runtime = None
        self.conditionings: list[torch.Tensor] = []  # what each model call was conditioned on (for the tests)

    def describe(self):
        return {"model": "toy-box"}

    def context_dim(self) -> int:
        return LAYOUT.token_dim

    def video_model(self) -> nn.Module:
        return self.net

    def site_specs(self):
        return [SiteSpec(k, c, n, d, level) for k, (c, n, d, level) in SITES.items()]

    def encode_frames(self, frames: np.ndarray) -> torch.Tensor:
        pixels = torch.from_numpy(np.ascontiguousarray(frames)).float().permute(0, 3, 1, 2) / 127.5 - 1.0
        return F.avg_pool2d(pixels, 4)

    def conditioning(self, clip):
        return self.encode_frames(clip.frames[:1])

    def unconditional(self, conditioning):
        return torch.zeros_like(conditioning)

    def attach(self, method, runtime):
        assert method == "trackdiffusion"
        self.runtime = runtime

    def denoise(self, noisy, sigma, conditioning):
        self.conditionings.append(conditioning)
        del self.conditionings[:-4]
        s = float(sigma.reshape(-1)[0])
        d = self.sigma_data
        c_in = 1.0 / math.sqrt(s * s + d * d)
        c_skip = d * d / (s * s + d * d)
        c_out = s * d / math.sqrt(s * s + d * d)
        args = (noisy * c_in, conditioning, math.log(s) / 4.0, self.runtime)
        # The weights' re-trained UNet tensors (the host: weight patches at strength 1) and trainable ones (the host:
        # object patches) stand in for the frozen net's own during the call; the net itself never changes.
        weights = getattr(self.runtime, "weights", None)
        overrides = {**(weights.unet if weights is not None else {}), **getattr(self.runtime, "unet_parameters", {})}
        out = torch.func.functional_call(self.net, overrides, args) if overrides else self.net(*args)
        return c_skip * noisy + c_out * out

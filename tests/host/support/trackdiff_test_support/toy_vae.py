"""A fixed, hand-set TAESD-layout VAE for the toy-world experiment: latents that *are* the picture.

A random VAE's latents are not an image, and training one costs CPU time without adding anything the experiment asks.
This VAE is built in ComfyUI's own TAESD layout (so ``ImageOnlyCheckpointLoader`` and ``VAEDecode`` load and run it
unchanged), with weights set by hand:

* encoder: the RGB channels (``x·0.5 + 0.5`` ∈ [0, 1]) pass through every block unchanged (each block's residual branch
  is zero, ReLU keeps non-negative values), each stride-2 convolution is an exact 2×2 box average (taps at kernel
  positions (1|2, 1|2)), so after three of them a latent cell is the exact **8×8 mean colour**; the last convolution
  gives ``e = (R − ½, G − ½, B − ½, 0)``;
* decoder: the inverse colour map, nearest-neighbour upsampling (an 8×8 block per latent cell), so decoding is the
  block-mean picture: flat-coloured toy shapes and their centroids are read back exactly at cell resolution, and to
  sub-cell precision with the colour-fraction measure of the experiment;
* ``vae_scale`` makes the model-space latent (ComfyUI multiplies by SD's 0.18215) ``4·e``: about unit scale, as SVD
  expects (σ_data = 1). The decoder's ``tanh(x/3)·3`` clamp distorts ``|e| ≤ ½`` by at most 0.8 %.

It is not invertible below the 8×8 cell; the toy world is built of flat shapes whose identity is their colour, which is
what survives.
"""

from __future__ import annotations

import torch

import comfy.taesd.taesd

from .tiny_svd import VAE_PREFIX

LATENT_GAIN = 4.0  # model-space latent = LATENT_GAIN · e
SD_SCALE = 0.18215


def _zero_residuals(module: torch.nn.Module) -> None:
    for block in module:
        if isinstance(block, comfy.taesd.taesd.Block):
            for layer in block.conv:
                if isinstance(layer, torch.nn.Conv2d):
                    torch.nn.init.zeros_(layer.weight)
                    if layer.bias is not None:
                        torch.nn.init.zeros_(layer.bias)


def _centre(conv: torch.nn.Conv2d, matrix: torch.Tensor, bias: torch.Tensor | None = None) -> None:
    """``conv`` becomes the per-pixel linear map ``matrix`` (out × in) applied at the kernel's centre tap."""
    with torch.no_grad():
        conv.weight.zero_()
        centre = conv.weight.shape[-1] // 2
        conv.weight[:matrix.shape[0], :matrix.shape[1], centre, centre] = matrix
        if conv.bias is not None:
            conv.bias.zero_()
            if bias is not None:
                conv.bias[:len(bias)] = bias


def _box_average(conv: torch.nn.Conv2d, channels: int = 3) -> None:
    with torch.no_grad():
        conv.weight.zero_()
        for c in range(channels):
            conv.weight[c, c, 1:3, 1:3] = 0.25


def toy_taesd() -> comfy.taesd.taesd.TAESD:
    taesd = comfy.taesd.taesd.TAESD()
    encoder, decoder = taesd.taesd_encoder, taesd.taesd_decoder
    _zero_residuals(encoder)
    _zero_residuals(decoder)
    eye3 = torch.eye(3)
    convs = [m for m in encoder if isinstance(m, torch.nn.Conv2d)]
    _centre(convs[0], eye3)
    for down in convs[1:-1]:
        _box_average(down)
    _centre(convs[-1], torch.cat([eye3, torch.zeros(1, 3)]), torch.tensor([-0.5, -0.5, -0.5, 0.0]))
    convs = [m for m in decoder if isinstance(m, torch.nn.Conv2d)]
    _centre(convs[0], torch.cat([eye3, torch.zeros(3, 1)], dim=1), torch.tensor([0.5, 0.5, 0.5]))
    for conv in convs[1:]:
        _centre(conv, eye3)
    with torch.no_grad():
        taesd.vae_scale.fill_(SD_SCALE / LATENT_GAIN)
        taesd.vae_shift.fill_(0.0)
    return taesd


def toy_vae_state_dict() -> dict[str, torch.Tensor]:
    return {VAE_PREFIX + k: v.detach().clone().float().contiguous() for k, v in toy_taesd().state_dict().items()}


# The layers Stable Diffusion's UNet zero-initialises (``zero_module``): every residual branch's last convolution, every
# transformer's output projection, and the final convolution. The toy backbone starts from them at zero, so it starts
# as ``D(x; σ) = c_skip(σ)·x`` and trains like a fresh diffusion UNet rather than from random residual outputs.
ZERO_INIT = (".out_layers.3.", ".proj_out.")
FINAL_CONV = "out.2."


def toy_unet_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    from .tiny_svd import UNET_PREFIX, unet_state_dict

    tensors = unet_state_dict(seed)
    for key, value in tensors.items():
        local = key[len(UNET_PREFIX):]
        if local.startswith(FINAL_CONV) or any(part in local for part in ZERO_INIT):
            tensors[key] = torch.zeros_like(value)
    return tensors


def write_toy_svd(path: str, seed: int = 0) -> str:
    """The toy world's starting checkpoint: the tiny SVD UNet (random, SD's zero-initialised layers at zero), its CLIP
    vision and this VAE."""
    from safetensors.torch import save_file

    from .tiny_svd import clip_vision_state_dict

    tensors = {**toy_unet_state_dict(seed), **clip_vision_state_dict(seed), **toy_vae_state_dict()}
    save_file({k: v.contiguous().float() for k, v in tensors.items()}, path,
              metadata={"trackdiff_test": "toy_svd", "seed": str(seed)})
    return path

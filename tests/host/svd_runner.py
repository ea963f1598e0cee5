"""Run the tiny SVD in this process through ComfyUI's own conditioning node and sampler (for patch tests).

Call :func:`comfy_host.use_comfy_as_library` first (the ``comfy_lib`` fixture does).
"""

from __future__ import annotations

import torch


def load_tiny_svd(path):
    """``(model, clip_vision, vae)`` from the tiny checkpoint, via ComfyUI's checkpoint loader."""
    import comfy.sd

    model, _clip, vae, clip_vision = comfy.sd.load_checkpoint_guess_config(
        str(path), output_vae=True, output_clip=False, output_clipvision=True
    )
    return model, clip_vision, vae


def test_image(width: int = 64, height: int = 64, seed: int = 0) -> torch.Tensor:
    """A ``[1, H, W, 3]`` image in ComfyUI's layout."""
    gen = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width), indexing="ij")
    image = torch.stack([x, y, 0.5 + 0.25 * torch.rand(height, width, generator=gen)], dim=-1)
    return image[None]


def svd_conditioning(clip_vision, vae, image, width: int, height: int, frames: int):
    """``(positive, negative, latent)`` exactly as ComfyUI's ``SVD_img2vid_Conditioning`` makes them."""
    from comfy_extras.nodes_video_model import SVD_img2vid_Conditioning

    return SVD_img2vid_Conditioning().encode(clip_vision, image, vae, width, height, frames, 127, 6, 0.0)


def sample(model, positive, negative, latent, steps: int = 1, cfg: float = 2.5, seed: int = 0,
           sampler: str = "euler", scheduler: str = "karras", denoise: float = 1.0) -> torch.Tensor:
    """Sample with ComfyUI's KSampler machinery; returns the latent samples."""
    import comfy.sample

    samples = latent["samples"]
    noise = comfy.sample.prepare_noise(samples, seed)
    return comfy.sample.sample(model, noise, steps, cfg, sampler, scheduler, positive, negative, samples,
                               denoise=denoise, seed=seed, disable_pbar=True)


class TinySVD:
    """The tiny SVD loaded once, with helpers to condition and sample at a given size."""

    def __init__(self, path):
        self.model, self.clip_vision, self.vae = load_tiny_svd(path)

    def conditioning(self, width=64, height=64, frames=6, seed=0):
        return svd_conditioning(self.clip_vision, self.vae, test_image(width, height, seed), width, height, frames)

    def run(self, model=None, width=64, height=64, frames=6, steps=1, cfg=2.5, seed=0):
        positive, negative, latent = self.conditioning(width, height, frames)
        return sample(model or self.model, positive, negative, latent, steps=steps, cfg=cfg, seed=seed)

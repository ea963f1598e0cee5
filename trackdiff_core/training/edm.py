"""The EDM denoising loss (Karras et al. 2022) that SVD was trained with.

``σ`` is drawn log-normally, ``ln σ ~ N(P_mean, P_std²)`` with SVD's video fine-tuning values ``P_mean = 0.7``,
``P_std = 1.6``, clamped to the model's ``[σ_min, σ_max]``; the loss is ``λ(σ) · ‖D(x0 + σ·ε; σ) − x0‖²`` with
``λ(σ) = (σ² + σ_data²) / (σ · σ_data)²``, averaged over every latent element. ``D`` is the model's denoiser output
(the host applies the model's own preconditioning).
"""

from __future__ import annotations

import torch

P_MEAN = 0.7
P_STD = 1.6


def sample_sigma(generator: torch.Generator, sigma_min: float, sigma_max: float, p_mean: float = P_MEAN,
                 p_std: float = P_STD) -> torch.Tensor:
    """One ``σ`` (a 1-element float32 tensor on the CPU)."""
    log_sigma = p_mean + p_std * torch.randn(1, generator=generator)
    return log_sigma.exp().clamp(sigma_min, sigma_max)


def edm_weight(sigma: torch.Tensor, sigma_data: float) -> torch.Tensor:
    return (sigma ** 2 + sigma_data ** 2) / (sigma * sigma_data) ** 2


def edm_loss(denoised: torch.Tensor, target: torch.Tensor, sigma: torch.Tensor, sigma_data: float) -> torch.Tensor:
    weight = edm_weight(sigma.to(denoised.device, torch.float32), sigma_data).reshape(-1)[0]
    return weight * (denoised.float() - target.float()).pow(2).mean()

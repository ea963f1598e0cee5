"""Where does the denoiser put the shapes? The trajectory error of its one-step prediction ``D(x₀ + σ·n; σ)`` per σ.

A sampled video's trajectory error mixes what the model learned with how the sampler uses it. This measures the model
alone: for each held-out clip, noise level ``σ`` and noise seed, the backbone + adapter's denoised prediction of the
clip (the toy VAE's latents are block-mean colours, so ``pixels = latent / 4 + ½`` exactly) is measured as a sampled
video is (:mod:`.measure`), against where the *true* motion puts each shape. Tracks given: the true motion, another
clip's, none (the adapter at strength 0: the backbone alone). At small σ the noisy input already shows where the shapes
are; at large σ only the first frame and the tracks can say it — that is where control must show.
"""

from __future__ import annotations

import numpy as np
import torch

from .loss_gap import bootstrap, with_motion
from .measure import drawn_motion, measure, targets, trajectory_error
from .sample_eval import block_mean

SIGMAS = (1.0, 3.0, 10.0, 30.0)
TRACKS = ("true", "other", "none")
LATENT_GAIN = 4.0  # the toy VAE's model-space latent is 4 · (colour − ½)
BLOCK = 8


def latents_to_pixels(latents: torch.Tensor) -> np.ndarray:
    """``[T, 4, h, w]`` model-space toy latents -> ``float[T, 8h, 8w, 3]`` pixels (what ``VAEDecode`` gives)."""
    colour = (latents[:, :3].float() / LATENT_GAIN + 0.5).clamp(0.0, 1.0)
    colour = colour.repeat_interleave(BLOCK, dim=2).repeat_interleave(BLOCK, dim=3)
    return colour.movedim(1, -1).cpu().numpy().astype(np.float64)


def clip_errors(task, adapter, backend, dataset, index: int, other_index: int, sigmas=SIGMAS, seeds=(0, 1)) -> list:
    """One record per (σ, seed, tracks): the prediction's trajectory error against the true motion."""
    clip, other = dataset.clip(index), dataset.clip(other_index)
    masks, colours = clip.masks, clip.tracklets.colors
    areas = masks.reshape(len(masks), -1).sum(axis=1)
    height, width = masks.shape[1:]
    background = block_mean(dataset.background(index))
    where, measurable = targets(drawn_motion(clip, "true"), masks)
    variants = {"true": with_motion(clip, drawn_motion(clip, "true")),
                "other": with_motion(clip, drawn_motion(clip, "other", other))}
    variants["none"] = variants["true"]
    x0 = backend.encode_frames(clip.frames)
    runtime = task.runtime
    records = []
    with torch.no_grad():
        for seed in seeds:
            noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32).to(x0)
            for sigma in sigmas:
                s = torch.tensor([float(sigma)])
                for name in TRACKS:
                    runtime.strength = 0.0 if name == "none" else 1.0
                    denoised = task.denoise_with_tracks(adapter, variants[name], backend, x0 + float(sigma) * noise,
                                                        s, torch.Generator().manual_seed(seed + 17))
                    runtime.attention_terms = []
                    found = measure(latents_to_pixels(denoised), background, colours, areas)
                    error = trajectory_error(found, where, measurable, float(np.hypot(width, height)))
                    records.append({"clip": index, "sigma": float(sigma), "seed": seed, "tracks": name, **error})
    runtime.strength = 1.0
    return records


def prediction_error(task, adapter, backend, dataset, indices: list[int], sigmas=SIGMAS) -> dict:
    """Per-record errors and, per (σ, tracks), the mean over clips with a 95 % interval."""
    records = []
    for position, index in enumerate(indices):
        records += clip_errors(task, adapter, backend, dataset, index, indices[(position + 1) % len(indices)], sigmas)
    summary = {}
    for sigma in sigmas:
        for name in TRACKS:
            per_clip = {}
            for r in records:
                if r["sigma"] == float(sigma) and r["tracks"] == name and r["frames"]:
                    per_clip.setdefault(r["clip"], []).append(r)
            if per_clip:
                summary[f"{sigma:g}/{name}"] = {
                    "error": bootstrap([np.mean([r["error"] for r in rs]) for rs in per_clip.values()]),
                    "lost": float(np.mean([np.mean([r["lost"] for r in rs]) for rs in per_clip.values()])),
                    "clips": len(per_clip)}
    return {"records": records, "summary": summary}

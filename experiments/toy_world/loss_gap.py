"""Does a trained adapter read the tracks? Its denoising loss with the true tracks against wrong ones, on held-out clips.

For each held-out toy-world clip, each ``σ`` and each noise seed (the same noise and the same chosen points for every
variant), the EDM loss of the frozen backbone + adapter is computed with the drawn motion of every variant of
:data:`measure.VARIANTS` (true; another clip's; reversed; still), and with the adapter at strength 0 (the backbone
alone, bit for bit). Every variant's tracks are built the same way — the object's frame-0 points moved by the drawn
displacement, hidden only outside the frame — so only the motion differs. The gap of a variant is its loss relative to
the true tracks' loss, per clip (mean over ``σ`` and seeds), with a 95 % percentile-bootstrap interval over clips.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from trackdiff_core.training.clips import Clip
from trackdiff_core.trajectories import PointTrajectories

from .measure import VARIANTS, drawn_motion

SIGMAS = (0.7, 2.0, 6.0)


def with_motion(clip: Clip, motion: np.ndarray) -> Clip:
    """``clip`` whose point tracks follow ``motion`` (``float[N, T, 2]``) from their frame-0 positions."""
    trajectories = clip.trajectories
    start = trajectories.points[:1]
    points = start + motion[trajectories.groups].transpose(1, 0, 2).astype(np.float32)
    visible = ((points >= 0.0) & (points <= 1.0)).all(axis=-1)
    return Clip(clip.frames, PointTrajectories(points, visible, trajectories.groups), clip.masks, clip.tracklets)


def bootstrap(values, level: float = 0.95, resamples: int = 4000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``values`` and a percentile-bootstrap interval for it."""
    values = [float(v) for v in values]
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(resamples))
    return (sum(values) / len(values), means[int((1 - level) / 2 * resamples)],
            means[min(resamples - 1, int((1 + level) / 2 * resamples))])


def clip_losses(task, adapter, backend, clip: Clip, other: Clip, sigmas=SIGMAS, seeds=(0, 1)) -> dict[str, float]:
    """Mean EDM loss over ``sigmas`` × ``seeds`` for each variant and for ``"stock"`` (strength 0)."""
    runtime = task.runtime
    variants = {name: with_motion(clip, drawn_motion(clip, name, other)) for name in VARIANTS}
    totals = {name: 0.0 for name in (*VARIANTS, "stock")}
    x0 = backend.encode_frames(clip.frames)
    with torch.no_grad():
        for seed in seeds:
            noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32)
            for sigma in sigmas:
                s = torch.tensor([float(sigma)])
                for name, variant in (*variants.items(), ("stock", variants["true"])):
                    runtime.strength = 0.0 if name == "stock" else 1.0
                    edm, _, _ = task.denoising_terms(adapter, variant, backend, x0, s, noise.to(x0),
                                                     torch.Generator().manual_seed(seed + 17))
                    totals[name] += float(edm)
    runtime.strength = 1.0
    count = len(seeds) * len(sigmas)
    return {name: total / count for name, total in totals.items()}


def loss_gap(task, adapter, backend, dataset, indices: list[int]) -> dict:
    """Per-clip losses and, per variant, the relative gap to the true tracks (mean and 95 % interval over clips)."""
    per_clip = []
    for position, index in enumerate(indices):
        clip = dataset.clip(index)
        other = dataset.clip(indices[(position + 1) % len(indices)])
        per_clip.append({"clip": index, **clip_losses(task, adapter, backend, clip, other)})
    summary = {}
    for name in (*VARIANTS, "stock"):
        summary[name] = {"loss": bootstrap([c[name] for c in per_clip]),
                         "gap_vs_true": bootstrap([(c[name] - c["true"]) / c["true"] for c in per_clip])}
    return {"clips": per_clip, "summary": summary}

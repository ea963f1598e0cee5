"""Does trained TrackDiffusion box control read the boxes? Its denoising loss with true boxes against wrong ones.

As :mod:`.loss_gap` for TrackGo: on held-out toy-world clips, at σ ∈ {0.7, 2, 6} and 2 noise seeds (the same noise
for every variant), the EDM loss of the frozen backbone with the trained box encoder, fusers and re-trained tensors,
given each shape's frame-0 box moved by the drawn motion of each variant (true; another clip's; reversed; still —
every variant built the same way, a box hidden only where it has left the frame), and with no boxes at all (every
presence 0: what the unconditional half of guidance sees).
"""

from __future__ import annotations

import numpy as np
import torch

from trackdiff_core.training.box_tracklets import without_boxes
from trackdiff_core.training.clips import Clip
from trackdiff_core.tracklets import Tracklets

from .loss_gap import SIGMAS, bootstrap
from .measure import VARIANTS, drawn_motion

NO_BOXES = "no_boxes"


def with_box_motion(clip: Clip, motion: np.ndarray) -> Clip:
    """``clip`` whose box tracklets are its frame-0 boxes moved by ``motion`` (``float[N, T, 2]``)."""
    tracklets = clip.tracklets
    start = np.asarray(tracklets.boxes[0], np.float64)  # [N, 4]
    shift = np.concatenate([motion, motion], axis=-1).transpose(1, 0, 2)  # [T, N, 4]
    boxes = start[None] + shift
    inside = (boxes[..., 2] > 0) & (boxes[..., 0] < 1) & (boxes[..., 3] > 0) & (boxes[..., 1] < 1)
    visible = inside & np.asarray(tracklets.visible[:1])
    moved = Tracklets(np.clip(boxes, 0.0, 1.0).astype(np.float32), visible, tracklets.ids, tracklets.labels,
                      tracklets.colors)
    return Clip(clip.frames, clip.trajectories, clip.masks, moved)


def clip_losses(task, backend, clip: Clip, other: Clip, sigmas=SIGMAS, seeds=(0, 1)) -> dict[str, float]:
    runtime = task.runtime
    slots = {name: task.clip_slots(with_box_motion(clip, drawn_motion(clip, name, other))) for name in VARIANTS}
    slots[NO_BOXES] = without_boxes(slots["true"])
    totals = dict.fromkeys(slots, 0.0)
    x0 = backend.encode_frames(clip.frames)
    conditioning = backend.conditioning(clip)
    with torch.no_grad():
        for seed in seeds:
            noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32).to(x0)
            for sigma in sigmas:
                s = torch.tensor([float(sigma)])
                weight = (sigma ** 2 + backend.sigma_data ** 2) / (sigma * backend.sigma_data) ** 2
                for name, variant in slots.items():
                    runtime.set_slots(variant)
                    denoised = backend.denoise(x0 + float(sigma) * noise, s, conditioning)
                    totals[name] += weight * float((denoised.float() - x0.float()).pow(2).mean())
    count = len(seeds) * len(sigmas)
    return {name: total / count for name, total in totals.items()}


def box_loss_gap(task, backend, dataset, indices: list[int]) -> dict:
    per_clip = []
    for position, index in enumerate(indices):
        clip = dataset.clip(index)
        other = dataset.clip(indices[(position + 1) % len(indices)])
        per_clip.append({"clip": index, **clip_losses(task, backend, clip, other)})
    summary = {name: {"loss": bootstrap([c[name] for c in per_clip]),
                      "gap_vs_true": bootstrap([(c[name] - c["true"]) / c["true"] for c in per_clip])}
               for name in (*VARIANTS, NO_BOXES)}
    return {"clips": per_clip, "summary": summary}

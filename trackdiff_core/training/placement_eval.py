"""The cheap in-training check of placement (``--eval-every``): the one-step prediction error per σ, where the objects
are, with the control and without it.

For each held-out clip, noise level ``σ`` and a fixed noise, the model's denoised prediction ``D(x₀ + σ·n; σ)`` is
compared with ``x₀`` inside the objects' boxes (each frame's boxes, on the latent grid): the mean squared error there,
with the task's control on and off (TrackGo: strength 1 and 0, the same tracks and noise). At small σ the noisy input
already shows where the objects are; at large σ only the first frame and the control can say it, so a model that learns
placement shows a falling ``with`` / ``without`` ratio at σ ≥ 3 early in training (the toy world's prediction-error table,
``docs/toy-world.md``, is the full version: object positions found in decoded frames). A task takes part by giving
``prediction(module, clip, backend, noisy, sigma, generator, control)``; the others log only the held-out loss.
"""

from __future__ import annotations

import numpy as np
import torch

from ..crop import center_crop_box, crop_tracklets

SIGMAS = (1.0, 3.0, 10.0, 30.0)


def object_cells(clip, crop_size: tuple[int, int] | None, latent_hw: tuple[int, int]) -> torch.Tensor:
    """``bool[T, 1, h, w]``: latent cells inside any object's box in each frame (boxes cropped as the frames are)."""
    tracklets = clip.tracklets
    if crop_size is not None:
        height, width = clip.frames.shape[1:3]
        tracklets = crop_tracklets(tracklets, center_crop_box(width, height, *crop_size))
    h, w = latent_hw
    cells = np.zeros((clip.num_frames, 1, h, w), dtype=bool)
    for t in range(clip.num_frames):
        for n in np.flatnonzero(tracklets.visible[t]):
            x1, y1, x2, y2 = tracklets.boxes[t, n]
            cells[t, 0, int(np.floor(y1 * h)):int(np.ceil(y2 * h)), int(np.floor(x1 * w)):int(np.ceil(x2 * w))] = True
    return torch.from_numpy(cells)


def placement_errors(task, module, backend, clips: list, seed: int, sigmas=SIGMAS) -> dict[str, float]:
    """``{"placement/<σ>/with": e, "placement/<σ>/without": e, "placement/<σ>/ratio": with ÷ without}`` over
    ``clips`` (means), or ``{}`` when the task gives no ``prediction``."""
    predict = getattr(task, "prediction", None)
    if predict is None or not clips:
        return {}
    sums: dict[str, list[float]] = {}
    with torch.no_grad():
        for index, clip in enumerate(clips):
            x0 = backend.encode_frames(clip.frames)
            noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed + index), dtype=torch.float32)
            noise = noise.to(x0.device, x0.dtype)
            size = getattr(task, "crop_size", None)
            cells = object_cells(clip, size() if callable(size) else size, tuple(x0.shape[-2:])).to(x0.device)
            if not cells.any():
                continue
            for sigma in sigmas:
                s = torch.tensor([float(sigma)])
                for control in (True, False):
                    denoised = predict(module, clip, backend, x0 + float(sigma) * noise, s,
                                       torch.Generator().manual_seed(seed + 31 * index), control)
                    error = ((denoised.float() - x0.float()) ** 2 * cells).sum() / (cells.sum() * x0.shape[1])
                    key = f"placement/{sigma:g}/{'with' if control else 'without'}"
                    sums.setdefault(key, []).append(float(error))
    result = {key: float(np.mean(values)) for key, values in sums.items()}
    for sigma in sigmas:
        with_, without = result.get(f"placement/{sigma:g}/with"), result.get(f"placement/{sigma:g}/without")
        if with_ is not None and without:
            result[f"placement/{sigma:g}/ratio"] = with_ / without
    return result

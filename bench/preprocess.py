"""Pre-processing cost (tracks -> tokens, masks, encoder features), timed against one sampling step, and how often it
runs during a sampling run."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .cases import pack_module, synthetic_tracklets, trackdiffusion_weights, trackgo


@dataclass(frozen=True)
class Preprocessing:
    method: str
    seconds: float  # one build of the per-run inputs
    step_seconds: float  # one sampling step of the patched model
    builds_per_run: int  # measured over a run of ``steps`` steps
    steps: int


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure_preprocessing(pack, tiny, width: int = 128, height: int = 128, frames: int = 14, steps: int = 3):
    """Both methods on the tiny SVD: time the once-per-run inputs alone, then count their builds over a real run."""
    from svd_runner import sample

    positive, negative, latent = tiny.conditioning(width, height, frames)
    results = []

    # TrackDiffusion: slot boxes + object tokens (box encoder) for a cond + uncond batch.
    td_patch = pack_module(pack, "nodes.trackdiffusion_patch")
    hooks = pack_module(pack, "nodes.svd_hooks")
    weights = trackdiffusion_weights(pack, tiny.model, enhancer=False)
    tracklets = synthetic_tracklets(pack, 4, frames)
    model = td_patch.apply_trackdiffusion(tiny.model, weights, tracklets)
    (patch,) = [p for p in model.model_options["transformer_options"]["patches"]["middle_patch"]
                if isinstance(p, td_patch.TrackDiffusionPatch)]
    import torch

    def td_inputs():
        patch._inputs.clear()
        ctx = hooks.CallContext(frames, 2, [0, 1], None)
        patch.call_inputs(ctx, torch.empty(0))

    seconds = _time(td_inputs)
    patch._inputs.clear()
    builds_before = patch.token_builds
    step = _time(lambda: sample(model, positive, negative, latent, steps=1), repeat=1)
    patch._inputs.clear()
    builds_before = patch.token_builds
    sample(model, positive, negative, latent, steps=steps)
    results.append(Preprocessing("InstanceEnhancer: slot boxes + object tokens", seconds, step,
                                 patch.token_builds - builds_before, steps))

    # TrackGo: splatting, motion regions, merge masks and encoder features.
    model = trackgo(True)(pack, tiny.model, 4, frames, width, height)
    (tg,) = [p for p in model.model_options["transformer_options"]["patches"]["attn1_output_patch"]
             if hasattr(p, "__self__") and hasattr(p.__self__, "runtime")]
    runtime = tg.__self__.runtime
    site_call = pack_module(pack, "trackdiff_core.trackgo.runtime").SiteCall

    def tg_inputs():
        runtime._cache = None
        call = site_call(frames=frames, latent_height=height // 8, latent_width=width // 8, height=height // 8,
                         width=width // 8, kinds=[0, 1])
        runtime.prepare(call, torch.device("cpu"), torch.float32)

    seconds = _time(tg_inputs)
    runtime._cache = None
    step = _time(lambda: sample(model, positive, negative, latent, steps=1), repeat=1)
    runtime._cache = None
    before = runtime.preparations
    sample(model, positive, negative, latent, steps=steps)
    results.append(Preprocessing("ApplyTrackAdapter: maps, regions, masks, encoder E", seconds, step,
                                 runtime.preparations - before, steps))
    return results

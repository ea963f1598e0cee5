"""The one check that TrackDiffusion weights fit a model's transformer sites, used by the node's patch
(``nodes/trackdiffusion_patch.py``) and by the Instance Enhancer trainer (``training/instance_enhancer_task.py``).

``sites`` are any objects with ``key`` (``input_1`` …), ``channels``, ``n_heads`` and ``d_head``: ComfyUI's blocks as
``nodes.svd_hooks.svd_sites`` reads them, or a training backend's ``site_specs()``.
"""

from __future__ import annotations

from typing import Iterable

from ..errors import TrackDiffError
from .weights_base import TrackDiffusionWeights

FIX_MODEL = "use TrackDiffusion weights made for this SVD (the released ones are for full-size SVD)"
FIX_ENHANCER = "use an Instance Enhancer trained for this SVD"


def _by_key(sites: Iterable) -> dict:
    return {s.key: s for s in sites}


def check_fusers_fit(weights: TrackDiffusionWeights, sites: Iterable, field: str = "weights") -> dict[str, tuple[int, int]]:
    """Every fuser sits at a site of the model, as wide as its block; returns the heads ``{site: (n_heads, d_head)}``."""
    by_key = _by_key(sites)
    for site, dims in weights.fuser_dims().items():
        block = by_key.get(site)
        if block is None or block.channels != dims.channels:
            raise TrackDiffError(f"{field}.fuser.{site}", f"{dims.channels} channels",
                                 f"does not fit the model's block "
                                 f"({f'{block.channels} channels' if block else 'no such site'})", FIX_MODEL)
    return {key: (int(s.n_heads), int(s.d_head)) for key, s in by_key.items()}


def check_enhancer_fit(weights: TrackDiffusionWeights, sites: Iterable, field: str = "weights") -> None:
    """A carried Instance Enhancer sits at sites of the model, as wide as their blocks."""
    by_key = _by_key(sites)
    for site, state in weights.instance_enhancer.items():
        block = by_key.get(site)
        if block is None:
            raise TrackDiffError(f"{field}.instance_enhancer.{site}", site, "is not a transformer site of this model",
                                 FIX_ENHANCER)
        width = tuple(state["norm_in.weight"].shape) if "norm_in.weight" in state else None
        channels = int(block.n_heads) * int(block.d_head)
        if width != (channels,):
            raise TrackDiffError(f"{field}.instance_enhancer.{site}", width,
                                 f"does not fit the model's {channels}-channel block", FIX_ENHANCER)


def check_model_fit(weights: TrackDiffusionWeights, sites: Iterable, field: str = "weights") -> dict[str, tuple[int, int]]:
    """Both checks; returns the heads per site."""
    sites = list(sites)
    heads = check_fusers_fit(weights, sites, field)
    check_enhancer_fit(weights, sites, field)
    return heads

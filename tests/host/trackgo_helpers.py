"""Shared builders for the TrackGo host tests (the pack's modules come from the ``pack`` fixture)."""

from __future__ import annotations

import importlib

import numpy as np
import torch


def modules(pack):
    """The TrackGo modules of the pack as ComfyUI imports it."""
    name = pack.__name__
    return {
        "patch": importlib.import_module(name + ".nodes.trackgo_patch"),
        "nodes": importlib.import_module(name + ".nodes.trackgo_nodes"),
        "hooks": importlib.import_module(name + ".nodes.svd_hooks"),
        "trackgo": importlib.import_module(name + ".trackdiff_core.trackgo"),
        "inputs": importlib.import_module(name + ".trackdiff_core.trackgo.inputs"),
        "errors": importlib.import_module(name + ".trackdiff_core.errors"),
    }


def square_objects(m, width=64, height=64, frames=6, k=4, s=2):
    """One square object dragged from the left to the right half (TrackGoObjects at width × height)."""
    mask = np.zeros((height, width), dtype=bool)
    mask[height // 4: height // 2, width // 8: width // 3] = True
    arrows = f'[[{{"x": {width * 0.2}, "y": {height * 0.4}}}, {{"x": {width * 0.7}, "y": {height * 0.6}}}]]'
    return m["inputs"].build_objects(None, mask[None], arrows=arrows, points_k=k, points_s=s, frame_count=frames,
                                     width=width, height=height)


def random_adapter(m, model, seed=0, scale=0.5):
    """An adapter for ``model`` whose zero-initialised output layers are given random weights (a 'trained' one)."""
    trackgo = m["trackgo"]
    torch.manual_seed(seed)
    adapter = trackgo.TrackAdapter(m["patch"].site_specs(model), trackgo.TrackGoConfig())
    with torch.no_grad():
        for branch in adapter.sites.values():
            branch.to_out.weight.normal_(0.0, scale / branch.to_out.weight.shape[1] ** 0.5)
    return adapter.eval().requires_grad_(False)


def runtime(m, tracks, adapter=None, strength=1.0, tau=None):
    trackgo = m["trackgo"]
    return trackgo.TrackGoRuntime(adapter, trackgo.TrackGoGuide(tracks=tracks), strength, tau)

"""What the benchmark compares against stock SVD: each case patches a ModelPatcher (the full-size SVD on ``meta`` for
exact counts, the tiny SVD on CPU for wall-clock) through the pack's own patch functions, with synthesized weights of
the right shapes (on ``meta`` for the meta model: no memory, no GPU)."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable  # (pack, model_patcher, objects, frames, width, height) -> patched ModelPatcher
    method: str = "hooks"  # which scaling table it belongs to
    max_objects: int | None = None


SUPPORT = Path(__file__).resolve().parents[1] / "tests" / "support"


def checkpoint_support():
    """The synthesized-checkpoint generator shared with the tests (``tests/support/trackdiffusion_checkpoint.py``)."""
    if str(SUPPORT) not in sys.path:
        sys.path.insert(0, str(SUPPORT))
    return importlib.import_module("trackdiffusion_checkpoint")


def pack_module(pack, name: str):
    return importlib.import_module(f"{pack.__name__}.{name}")


def on_meta(model) -> bool:
    return next(model.model.diffusion_model.parameters()).is_meta


def identity(pack, model, objects=4, frames=14, width=1024, height=576):
    """The hook machinery alone: call-context wrapper, 16 temporal markers, and a middle patch that returns x."""
    hooks = pack_module(pack, "nodes.svd_hooks")
    patched = hooks.prepare_model(model)
    patched.set_model_patch(lambda x, extra_options: x, "middle_patch")
    return patched


# -- inputs ------------------------------------------------------------------------------------------------------------
def synthetic_tracklets(pack, objects: int, frames: int = 14, seed: int = 0):
    """``objects`` boxes moving across the frame, all visible."""
    Tracklets = pack_module(pack, "trackdiff_core.tracklets").Tracklets
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.0, 0.6, size=(objects, 2))
    end = rng.uniform(0.0, 0.6, size=(objects, 2))
    size = rng.uniform(0.1, 0.35, size=(objects, 2))
    t = np.linspace(0.0, 1.0, frames)[:, None, None]
    corner = start[None] + t * (end - start)[None]
    return Tracklets(np.concatenate([corner, corner + size[None]], axis=-1))


def _tensor(shape, meta: bool, name: str, seed: int = 0):
    if meta:
        return torch.empty(shape, dtype=torch.float16, device="meta")
    return checkpoint_support().fill(name, shape, seed)


# -- TrackDiffusion ----------------------------------------------------------------------------------------------------
def trackdiffusion_weights(pack, model, enhancer: bool, box_mask: bool = False):
    """Full-shape TrackDiffusion weights for ``model`` (hidden 512 box encoder, 1024-wide tokens as released); with
    ``box_mask`` every fuser carries the flag of a box-masked fuser (as ``train --box-mask`` writes it)."""
    support = checkpoint_support()
    hooks = pack_module(pack, "nodes.svd_hooks")
    layout_mod = pack_module(pack, "trackdiff_core.trackdiffusion.diffusers_layout")
    box_encoder = pack_module(pack, "trackdiff_core.trackdiffusion.box_encoder")
    weights_mod = pack_module(pack, "trackdiff_core.trackdiffusion.weights")
    modules_mod = pack_module(pack, "trackdiff_core.trackdiffusion.modules")
    sites = {s.key: s for s in hooks.svd_sites(model)}
    dims = support.UNetDims(channels=tuple(sites[k].channels for k in ("input_1", "input_4", "input_7", "middle_0")),
                    heads=tuple(sites[k].n_heads for k in ("input_1", "input_4", "input_7", "middle_0")),
                    context_dim=sites["input_1"].context_dim)
    meta = on_meta(model)
    shapes = support.trackdiffusion_shapes(dims, hidden=512 if dims.channels[0] >= 320 else 64)  # 512: as released
    position, fusers = {}, {}
    for name, shape in shapes.items():
        tensor = _tensor(shape, meta, name)
        if match := layout_mod.POSITION_NET.match(name):
            position[match.group("name")] = tensor
        elif match := layout_mod.FUSER.match(name):
            fusers.setdefault(layout_mod.site_key(match.group("site")), {})[match.group("name")] = tensor
    if box_mask:
        for state in fusers.values():
            state["box_mask"] = torch.ones((), device="meta" if meta else "cpu")
    layout = box_encoder.infer_layout({k: tuple(v.shape) for k, v in position.items()})
    weights = weights_mod.TrackDiffusionWeights(layout, position, fusers, unet={}, source="bench")
    if enhancer:
        heads = {k: (s.n_heads, s.d_head) for k, s in sites.items()}
        with torch.device("meta" if meta else "cpu"):
            modules = modules_mod.TrackDiffusionModules.from_weights(weights, heads, device="meta" if meta else "cpu")
            modules.add_instance_enhancers(heads=heads)
        states = {site: dict(m.state_dict()) for site, m in modules.instance_enhancer.items()}
        weights = weights.with_instance_enhancer(states, modules.enhancer_config)
    return weights


def trackdiffusion(enhancer: bool, box_mask: bool = False):
    def build(pack, model, objects=4, frames=14, width=1024, height=576):
        patch = pack_module(pack, "nodes.trackdiffusion_patch")
        weights = trackdiffusion_weights(pack, model, enhancer, box_mask)
        return patch.apply_trackdiffusion(model, weights, synthetic_tracklets(pack, objects, frames))

    return build


# -- TrackGo -----------------------------------------------------------------------------------------------------------
def synthetic_tracks(pack, objects: int, frames: int, width: int, height: int, seed: int = 0):
    """Core TRACKS as ``MaskArrowToTrajectories`` makes them: a rectangle mask per object moved by an arrow, K·s = 32
    points each (the default K = 8, s = 4)."""
    document_mod = pack_module(pack, "trackdiff_core.mask_arrow_document")
    masks_mod = pack_module(pack, "trackdiff_core.masks")
    inputs = pack_module(pack, "trackdiff_core.trackgo.inputs")
    rng = np.random.default_rng(seed)
    objs = []
    for index in range(objects):
        mask = np.zeros((36, 64), bool)
        x, y = int(rng.integers(0, 52)), int(rng.integers(0, 28))
        mask[y:y + 8, x:x + 12] = True
        start = [(x + 6) / 64, (y + 4) / 36]
        end = [float(np.clip(start[0] + rng.uniform(-0.3, 0.3), 0, 1)), float(np.clip(start[1] + rng.uniform(-0.3, 0.3), 0, 1))]
        objs.append(document_mod.MaskArrowObject(index, "", "#1f77b4", (tuple(start), tuple(end)),
                                                 masks_mod.rle_encode(mask)))
    document = document_mod.MaskArrowDocument(frames, tuple(objs))
    return inputs.build_objects(document, frame_count=frames, width=width, height=height).to_tracks()


def trackgo_adapter(pack, model):
    """A TrackAdapter for ``model``'s 16 temporal sites with the default config (on ``meta`` for the meta model)."""
    patch = pack_module(pack, "nodes.trackgo_patch")
    adapter_mod = pack_module(pack, "trackdiff_core.trackgo.adapter")
    config = pack_module(pack, "trackdiff_core.trackgo.config").TrackGoConfig()
    with torch.device("meta" if on_meta(model) else "cpu"):
        adapter = adapter_mod.TrackAdapter(patch.site_specs(model), config)
    if not on_meta(model):  # a trained adapter's output projection is not zero: give it weights so the branch counts
        for parameter in adapter.parameters():
            torch.nn.init.normal_(parameter, std=0.02)
    return adapter


def apply_track_adapter(pack, model, objects, frames, width, height, adapter=True):
    """What the ``ApplyTrackAdapter`` node runs (its own ``execute``), with or without an adapter."""
    nodes = pack_module(pack, "nodes.trackgo_nodes")
    tracks = synthetic_tracks(pack, objects, frames, width, height)
    output = nodes.ApplyTrackAdapter.execute(model, tracks, 1.0, -1.0, 0.0, 1.0,
                                             trackgo_adapter(pack, model) if adapter else None)
    return output.args[0]


def trackgo(adapter: bool):
    def build(pack, model, objects=4, frames=14, width=1024, height=576):
        return apply_track_adapter(pack, model, objects, frames, width, height, adapter)

    return build


def both(pack, model, objects=4, frames=14, width=1024, height=576):
    return trackgo(True)(pack, trackdiffusion(False)(pack, model, objects, frames, width, height), objects, frames,
                         width, height)


CASES = [
    Case("identity patch (hooks only)", identity),
    Case("InstanceEnhancer: fusers (released weights)", trackdiffusion(False), "trackdiffusion", 20),
    Case("InstanceEnhancer: fusers + Instance Enhancer", trackdiffusion(True), "trackdiffusion", 20),
    Case("InstanceEnhancer: box-masked fusers (`--box-mask`)", trackdiffusion(False, box_mask=True), "trackdiffusion", 20),
    Case("ApplyTrackAdapter (adapter)", trackgo(True), "trackgo"),
    Case("ApplyTrackAdapter, zero-weight (τ only)", trackgo(False), "trackgo"),
    Case("InstanceEnhancer + ApplyTrackAdapter", both, "both", 20),
]

"""TrackDiffusion weights in memory, and reading them from the released diffusers files or from our own format.

Two kinds of file are read, both with ``safetensors`` only (memory-mapped; nothing is unpickled):

* **released**: the authors' full diffusers ``UNetSpatioTemporalConditionModel`` (``pengxiang/trackdiffusion_ytvis``,
  ``svd_stage1|svd_stage2/unet/diffusion_pytorch_model.safetensors``, fp32, ~6.95 GB). Only the trained tensors are
  read: ``position_net.*``, every ``…transformer_blocks.0.fuser.*``, ``conv_in``, ``conv_out`` and the 38
  ``time_mixer.mix_factor``. The other (stock SVD) tensors are never loaded, only counted in the report.
* **ours** (:mod:`.weights_format`): the compact file the converter writes, and files that carry a trained Instance
  Enhancer.

Every dimension is read from tensor shapes (:func:`.box_encoder.infer_layout` for the box encoder; channels, context
width and feed-forward width per fuser); the attention heads come from the model's blocks when the weights are applied.
"""

from __future__ import annotations

import json
import logging
import os
import re

from ..errors import TrackDiffError
from .box_encoder import infer_layout
from .diffusers_layout import CONV_IN_OUT, FUSER, MIX_FACTOR, POSITION_NET, comfy_block_path, site_key
from .weights_base import (DEFAULT_SLOTS, FIX_DOWNLOAD, FUSER_TENSORS, FuserDims, LoadReport, Progress,
                           TrackDiffusionWeights, check_consistency, check_fuser, layout_notes, open_safetensors,
                           scalar, site_order)
from .weights_format import FORMAT_NAME, load_trackdiff_file

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_SLOTS", "FUSER_TENSORS", "FuserDims", "LoadReport", "TrackDiffusionWeights", "dims_json",
           "load_released", "load_weights", "open_safetensors"]


def _stage_from(path: str, metadata: dict) -> str:
    for value in (metadata.get("stage", ""), path):
        match = re.search(r"stage[_-]?([12])", value or "")
        if match:
            return f"stage{match.group(1)}"
    return "unknown"

# -- the released diffusers file ---------------------------------------------------------------------------------------
def load_released(path: str, progress: Progress | None = None, field_name: str = "weights") -> TrackDiffusionWeights:
    """Read the trained tensors of an authors' diffusers UNet file (never the whole file)."""
    report = LoadReport(path, "released")
    with open_safetensors(path, field_name) as f:
        metadata = f.metadata() or {}
        keys = list(f.keys())
        position, fusers, unet = {}, {}, {}
        for key in keys:
            if m := POSITION_NET.match(key):
                position[m.group("name")] = key
            elif m := FUSER.match(key):
                if m.group("depth") != "0":
                    report.ignore("fuser tensors in deeper transformer blocks", key)
                    continue
                site = site_key(m.group("site"))
                fusers.setdefault(site, {})[m.group("name")] = key
            elif key in CONV_IN_OUT or MIX_FACTOR.match(key):
                target = comfy_block_path(key)
                if target is None:
                    report.ignore("unmapped re-trained tensors", key)
                else:
                    unet[target] = key
            elif ".fuser." in key or "position_net" in key or "instance" in key or "injector" in key:
                report.ignore("TrackDiffusion-like tensors this loader does not know", key)
            else:
                report.ignore("stock SVD tensors", key)
        if not position or not fusers:
            raise TrackDiffError(
                field_name, os.path.basename(path),
                f"is not a TrackDiffusion UNet: of its {len(keys)} tensors, {len(position)} are position_net.* and "
                f"{sum(map(len, fusers.values()))} are …transformer_blocks.0.fuser.*", FIX_DOWNLOAD)
        layout = infer_layout({k: tuple(f.get_slice(v).get_shape()) for k, v in position.items()}, f"{field_name}.position_net")
        for site, names in fusers.items():
            check_fuser(site, {k: tuple(f.get_slice(v).get_shape()) for k, v in names.items()}, f"{field_name}.fuser")
        total = len(position) + sum(map(len, fusers.values())) + len(unet)
        done = 0

        def read(key):
            nonlocal done
            tensor = f.get_tensor(key)
            done += 1
            if progress is not None:
                progress(done, total)
            return tensor

        weights = TrackDiffusionWeights(
            layout=layout,
            position_net={k: read(v) for k, v in position.items()},
            fusers={s: {k: scalar(read(v)) for k, v in names.items()} for s, names in sorted(fusers.items(), key=site_order)},
            unet={k: read(v) for k, v in sorted(unet.items())}, slots=layout.instance_slots or DEFAULT_SLOTS,
            source=os.path.basename(path), stage=_stage_from(path, metadata), report=report,
        )
    check_consistency(weights, field_name)
    report.found = {
        "position_net tensors": len(weights.position_net),
        f"fusers ({sum(map(len, weights.fusers.values()))} tensors) in sites {', '.join(weights.fusers)}": len(weights.fusers),
        "conv_in / conv_out tensors": sum(1 for k in weights.unet if not k.endswith("mix_factor")),
        "time_mixer.mix_factor scalars": sum(1 for k in weights.unet if k.endswith("mix_factor")),
    }
    layout_notes(weights, report)
    log.info("%s", report.text())
    return weights

# -- either kind -------------------------------------------------------------------------------------------------------
def load_weights(path: str, progress: Progress | None = None, field_name: str = "weights") -> TrackDiffusionWeights:
    """Load a released diffusers file or one of ours, whichever ``path`` is."""
    with open_safetensors(path, field_name) as f:
        metadata = f.metadata() or {}
    if metadata.get("format") == FORMAT_NAME:
        return load_trackdiff_file(path, progress, field_name)
    return load_released(path, progress, field_name)


def dims_json(weights: TrackDiffusionWeights) -> str:
    return json.dumps(weights.dims(), sort_keys=True)

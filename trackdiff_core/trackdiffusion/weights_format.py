"""TrackDiff's own versioned weights format for TrackDiffusion: safetensors + metadata.

Tensors (names in the file)::

    position_net.<name>                   the box encoder (diffusers names: linears.0.weight, null_position_feature …)
    fuser.<site>.<name>                   one gated self-attention fuser per site (input_1 … output_11)
    unet.<ComfyUI diffusion-model key>    re-trained UNet tensors (input_blocks.0.0.weight, out.2.bias, …mix_factor)
    instance_enhancer.<site>.<name>       an optional trained Instance Enhancer

Metadata (all strings, as safetensors requires)::

    format          "trackdiff.trackdiffusion"
    format_version  "1"            (a reader refuses a newer version, with a message to update the pack)
    source          the file it was converted from (or "trained")
    stage           "stage1" / "stage2" / "unknown"
    dtype           the tensors' dtype ("float16" for the compact converted file)
    dims            JSON: box_layout, slots, per-site channels / context_dim / ff_inner, unet keys, instance_enhancer

Files are written to a temporary name and renamed, so an interrupted write never leaves a half file under the name.
"""

from __future__ import annotations

import json
import os

import torch

from ..errors import TrackDiffError
from .box_encoder import BoxLayout, infer_layout
from .diffusers_layout import SVD_SITE_KEYS
from .weights_base import (BOX_MASK_FLAG, DEFAULT_SLOTS, FUSER_TENSORS, QUERY_POSITION_TENSORS, LoadReport, Progress, TrackDiffusionWeights,
                           check_consistency, check_fuser, layout_notes, open_safetensors, site_order)

FORMAT_NAME = "trackdiff.trackdiffusion"
FORMAT_VERSION = 1
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def save_weights(path: str, weights: TrackDiffusionWeights, dtype: torch.dtype | str | None = torch.float16,
                 source: str | None = None) -> str:
    """Write ``weights`` in our format (tensors cast to ``dtype``; ``None`` keeps each tensor's own)."""
    from safetensors.torch import save_file

    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise TrackDiffError("dtype", dtype, "is not a supported dtype", f"use one of {', '.join(DTYPES)}")
        dtype = DTYPES[dtype]
    tensors = {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).contiguous()
               for k, v in weights.tensors().items()}
    metadata = {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "source": source if source is not None else weights.source or "unknown",
        "stage": weights.stage,
        "dtype": str(dtype).replace("torch.", "") if dtype is not None else "mixed",
        "dims": json.dumps(weights.dims(), sort_keys=True),
    }
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = path + ".partial"
    save_file(tensors, partial, metadata=metadata)
    os.replace(partial, path)
    return path


def _dims(metadata: dict, field_name: str) -> dict:
    try:
        dims = json.loads(metadata.get("dims", ""))
        assert isinstance(dims, dict)
        return dims
    except (ValueError, AssertionError):
        raise TrackDiffError(f"{field_name}.metadata.dims", metadata.get("dims"), "is not the JSON dims record",
                             "re-convert the weights with the TrackDiffusion converter") from None


def load_trackdiff_file(path: str, progress: Progress | None = None, field_name: str = "weights") -> TrackDiffusionWeights:
    """Read a file in our format (checking its version, its dims record and every tensor's shape)."""
    report = LoadReport(path, "trackdiff")
    with open_safetensors(path, field_name) as f:
        metadata = f.metadata() or {}
        if metadata.get("format") != FORMAT_NAME:
            raise TrackDiffError(f"{field_name}.metadata.format", metadata.get("format"),
                                 f"is not {FORMAT_NAME}", "load it as a released file, or re-convert it")
        try:
            version = int(metadata.get("format_version", ""))
        except ValueError:
            version = -1
        if version < 1:
            raise TrackDiffError(f"{field_name}.metadata.format_version", metadata.get("format_version"),
                                 "is missing or not a number", "re-convert the weights with the TrackDiffusion converter")
        if version > FORMAT_VERSION:
            raise TrackDiffError(f"{field_name}.metadata.format_version", version,
                                 f"is newer than this TrackDiff reads ({FORMAT_VERSION})", "update the TrackDiff nodes")
        dims = _dims(metadata, field_name)
        layout = BoxLayout.from_dict(dims.get("box_layout") or {}, f"{field_name}.dims.box_layout")
        keys = list(f.keys())
        total, done = len(keys), 0
        position, fusers, unet, enhancer = {}, {}, {}, {}
        for key in keys:
            tensor = f.get_tensor(key)
            done += 1
            if progress is not None:
                progress(done, total)
            group, _, rest = key.partition(".")
            if group == "position_net":
                position[rest] = tensor
            elif group == "fuser":
                site, _, name = rest.partition(".")
                fusers.setdefault(site, {})[name] = tensor
            elif group == "unet":
                unet[rest] = tensor
            elif group == "instance_enhancer":
                site, _, name = rest.partition(".")
                enhancer.setdefault(site, {})[name] = tensor
            else:
                report.ignore("unknown tensors", key)
    found = infer_layout({k: tuple(v.shape) for k, v in position.items()}, f"{field_name}.position_net")
    if found != layout:
        raise TrackDiffError(f"{field_name}.position_net", found.to_dict(),
                             f"does not match the file's dims record {layout.to_dict()}", "re-convert the weights")
    for site, state in fusers.items():
        check_fuser(site, state, f"{field_name}.fuser")
        extra = sorted(set(state) - set(FUSER_TENSORS) - set(QUERY_POSITION_TENSORS) - {BOX_MASK_FLAG})
        if extra:
            raise TrackDiffError(f"{field_name}.fuser.{site}", extra, "are not fuser tensors", "re-convert the weights")
    sites = dims.get("sites", {})
    if sorted(sites) != sorted(fusers):
        raise TrackDiffError(f"{field_name}.dims.sites", sorted(sites), f"do not match the fusers in the file "
                             f"({sorted(fusers)})", "re-convert the weights")
    unknown_enhancer = sorted(set(enhancer) - set(SVD_SITE_KEYS))
    if unknown_enhancer:
        raise TrackDiffError(f"{field_name}.instance_enhancer", unknown_enhancer, "are not SVD transformer sites",
                             "re-save the Instance Enhancer with save_weights")
    weights = TrackDiffusionWeights(
        layout=layout, position_net=position, fusers=dict(sorted(fusers.items(), key=site_order)), unet=dict(sorted(unet.items())),
        slots=int(dims.get("slots", layout.instance_slots or DEFAULT_SLOTS)), instance_enhancer=enhancer,
        enhancer_config=dict(dims.get("instance_enhancer") or {}), source=metadata.get("source", ""),
        stage=metadata.get("stage", "unknown"), report=report,
    )
    check_consistency(weights, field_name)
    report.found = {
        "position_net tensors": len(position),
        f"fusers in sites {', '.join(weights.fusers)}": len(fusers),
        "re-trained UNet tensors (conv_in, conv_out, mix_factor)": len(unet),
    }
    if enhancer:
        report.found[f"Instance Enhancer sites ({', '.join(sorted(enhancer))})"] = len(enhancer)
    report.notes.append(f"format version {version}, converted from {weights.source or 'unknown'} ({weights.stage}), "
                        f"stored as {metadata.get('dtype', '?')}")
    layout_notes(weights, report)
    return weights

"""The node schemas the shipped workflows are checked against, in a form that does not depend on the machine.

Combo inputs that list files (images, checkpoints, weights, track files) have machine-dependent options; they are kept
as ``"FILES"``. Everything else of ``/object_info`` that decides how a workflow's widgets are read is kept.
"""

from __future__ import annotations

FILE_INPUTS = {"image", "ckpt_name", "weights_name", "adapter_name", "file", "source_name", "unet_name", "clip_name", "vae_name"}
KEPT_OPTIONS = ("default", "min", "max", "forceInput", "control_after_generate", "image_upload", "video_upload",
                "audio_upload", "multiline")


def normalise(info: dict) -> dict:
    """``{node type: {"input": {group: {name: [type, options]}}, "input_order", "output"}}`` for the given types."""
    out = {}
    for node_type, data in info.items():
        groups = {}
        for group in ("required", "optional"):
            inputs = {}
            for name, spec in data.get("input", {}).get(group, {}).items():
                kind = spec[0]
                options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
                if isinstance(kind, list) and name in FILE_INPUTS:
                    kind = "FILES"
                inputs[name] = [kind, {k: options[k] for k in KEPT_OPTIONS if k in options}]
            if inputs:
                groups[group] = inputs
        order = {g: v for g, v in (data.get("input_order") or {}).items() if g in ("required", "optional")}
        out[node_type] = {"input": groups, "input_order": order, "output": list(data.get("output", []))}
    return out

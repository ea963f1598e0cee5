"""Where TrackDiffusion's tensors sit in a diffusers ``UNetSpatioTemporalConditionModel`` and where that is in ComfyUI.

Block names (diffusers -> ComfyUI ``openaimodel.UNetModel``):

=================================== ==================================== ==========================
diffusers                           ComfyUI                              TrackDiff site key
=================================== ==================================== ==========================
``down_blocks.i.attentions.j``      ``input_blocks.{3i+j+1}.1``          ``input_{3i+j+1}``
``mid_block.attentions.0``          ``middle_block.1``                   ``middle_0``
``up_blocks.i.attentions.j``        ``output_blocks.{3i+j}.1``           ``output_{3i+j}``
``down_blocks.i.resnets.j``         ``input_blocks.{3i+j+1}.0``
``mid_block.resnets.0`` / ``.1``    ``middle_block.0`` / ``middle_block.2``
``up_blocks.i.resnets.j``           ``output_blocks.{3i+j}.0``
``conv_in``                         ``input_blocks.0.0``
``conv_out``                        ``out.2``
=================================== ==================================== ==========================

The fuser of a site is ``<attention>.transformer_blocks.0.fuser.*`` (the spatial block; the temporal
``temporal_transformer_blocks`` carry none).
"""

from __future__ import annotations

import re

# The 16 SVD transformer sites, as ComfyUI's transformer_options["block"] names them.
SVD_SITE_KEYS = tuple([f"input_{i}" for i in (1, 2, 4, 5, 7, 8)] + ["middle_0"] + [f"output_{i}" for i in range(3, 12)])

_ATTENTION = re.compile(r"^(?:(down|up)_blocks\.(\d+)|(mid)_block)\.attentions\.(\d+)\.")
_RESNET = re.compile(r"^(?:(down|up)_blocks\.(\d+)|(mid)_block)\.resnets\.(\d+)\.")
FUSER = re.compile(r"^(?P<site>(?:down_blocks\.\d+|up_blocks\.\d+|mid_block)\.attentions\.\d+)"
                   r"\.transformer_blocks\.(?P<depth>\d+)\.fuser\.(?P<name>.+)$")
POSITION_NET = re.compile(r"^position_net\.(?P<name>.+)$")
MIX_FACTOR = re.compile(r"^.+\.time_mixer\.mix_factor$")
CONV_IN_OUT = {"conv_in.weight": "input_blocks.0.0.weight", "conv_in.bias": "input_blocks.0.0.bias",
               "conv_out.weight": "out.2.weight", "conv_out.bias": "out.2.bias"}


def site_key(attention_path: str) -> str:
    """``down_blocks.1.attentions.0`` -> ``input_4``; ``mid_block.attentions.0`` -> ``middle_0``."""
    match = _ATTENTION.match(attention_path + ".")
    if not match:
        raise KeyError(attention_path)
    kind, i, mid, j = match.groups()
    if mid:
        return "middle_0"
    i, j = int(i), int(j)
    return f"input_{3 * i + j + 1}" if kind == "down" else f"output_{3 * i + j}"


def comfy_block_path(diffusers_key: str) -> str | None:
    """The ComfyUI name of a diffusers UNet key for the parts TrackDiffusion re-trains (``None`` if it is not mapped).

    Handles ``conv_in``, ``conv_out`` and every ``time_mixer.mix_factor`` (in transformers and temporal resblocks).
    """
    if diffusers_key in CONV_IN_OUT:
        return CONV_IN_OUT[diffusers_key]
    if not MIX_FACTOR.match(diffusers_key):
        return None
    for pattern, part in ((_ATTENTION, 1), (_RESNET, 0)):
        match = pattern.match(diffusers_key)
        if not match:
            continue
        kind, i, mid, j = match.groups()
        rest = diffusers_key[match.end():]
        j = int(j)
        if mid:
            block = "middle_block.1" if part == 1 else f"middle_block.{0 if j == 0 else 2}"
        elif kind == "down":
            block = f"input_blocks.{3 * int(i) + j + 1}.{part}"
        else:
            block = f"output_blocks.{3 * int(i) + j}.{part}"
        return f"{block}.{rest}"
    return None

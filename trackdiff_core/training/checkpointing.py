"""Gradient checkpointing of the frozen model's blocks (``--checkpointing``).

Each block's forward runs under :func:`torch.utils.checkpoint.checkpoint` (non-reentrant): its activations are not kept
for backward but recomputed from its input when the gradient passes through it. The blocks are frozen, so what is
saved is one input per block instead of every activation inside it; the trainable modules that run inside a block
(TrackGo's branches in the temporal attentions, TrackDiffusion's fusers) get exactly the gradients they get without
it, because the recomputation is the same computation (same inputs, RNG state and autocast state).

The model is not changed: only the blocks' ``forward`` attributes are replaced on the instances, and
:func:`restore_forwards` puts back what was there. Arguments that are dicts (ComfyUI's ``transformer_options``, which the
host keeps changing as it walks the blocks) are copied when the block is called, so the recomputation sees the values
the first pass saw.
"""

from __future__ import annotations

import functools
from typing import Iterable

import torch
from torch.utils.checkpoint import checkpoint

_ORIGINAL = "_trackdiff_checkpointing_original_forward"
_NONE = object()


def _snapshot(value):
    return dict(value) if isinstance(value, dict) else value


def _checkpointed(forward, *args, **kwargs):
    if not torch.is_grad_enabled():
        return forward(*args, **kwargs)
    args = tuple(_snapshot(a) for a in args)
    kwargs = {k: _snapshot(v) for k, v in kwargs.items()}
    return checkpoint(forward, *args, use_reentrant=False, **kwargs)


def checkpoint_forwards(blocks: Iterable[torch.nn.Module]) -> list[torch.nn.Module]:
    """Run each of ``blocks`` under gradient checkpointing from now on; returns the blocks changed."""
    changed = []
    for block in blocks:
        if _ORIGINAL in block.__dict__:
            continue
        object.__setattr__(block, _ORIGINAL, block.__dict__.get("forward", _NONE))
        object.__setattr__(block, "forward", functools.partial(_checkpointed, block.forward))
        changed.append(block)
    return changed


def restore_forwards(blocks: Iterable[torch.nn.Module]) -> None:
    """Undo :func:`checkpoint_forwards` on ``blocks``."""
    for block in blocks:
        original = block.__dict__.pop(_ORIGINAL, None)
        if original is None:
            continue
        if original is _NONE:
            block.__dict__.pop("forward", None)
        else:
            object.__setattr__(block, "forward", original)

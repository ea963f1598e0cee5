"""What the benchmark compares against stock SVD: each case patches a (meta, full-size) ModelPatcher."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable  # (pack, model_patcher, objects: int) -> patched ModelPatcher
    scales_with_objects: bool = False


def pack_module(pack, name: str):
    return importlib.import_module(f"{pack.__name__}.{name}")


def identity(pack, model, objects):
    """The hook machinery alone: call-context wrapper, 16 temporal markers, and a middle patch that returns x."""
    hooks = pack_module(pack, "nodes.svd_hooks")
    patched = hooks.prepare_model(model)
    patched.set_model_patch(lambda x, extra_options: x, "middle_patch")
    return patched


CASES = [Case("identity patch (hooks only)", identity)]

"""Bringing in ComfyUI (the host) and this pack for the benchmark; without a host the benchmark cannot run."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


class NoHost(RuntimeError):
    pass


def import_host():
    """Import ComfyUI from ``COMFYUI_PATH`` as a library (CPU mode) and this repository as ComfyUI loads a pack."""
    path = os.environ.get("COMFYUI_PATH")
    if not path or not (Path(path) / "comfy").is_dir():
        raise NoHost(
            "the benchmark builds ComfyUI's own SVD UNet, so it needs ComfyUI: set COMFYUI_PATH to a ComfyUI checkout "
            "(see tests/host/README.md)"
        )
    for entry in (path, str(REPO_ROOT / "tests" / "host" / "support"), str(REPO_ROOT / "tests" / "host"),
                  str(REPO_ROOT / "tests" / "support")):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    import comfy.cli_args

    comfy.cli_args.args.cpu = not _has_cuda()
    name = "trackdiff_bench_pack"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "__init__.py",
                                                      submodule_search_locations=[str(REPO_ROOT)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()

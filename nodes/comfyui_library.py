"""ComfyUI used as a library (by ``python -m trackdiff_core.training``), before any model code is imported."""

from __future__ import annotations


def use_as_library(cpu: bool) -> None:
    """Import ComfyUI's settings without parsing a command line, and pick the CPU when asked (or without CUDA).

    Must run before ``comfy.model_management`` is first imported: it reads the device choice at import."""
    import torch

    import comfy.cli_args  # parses no command line when ComfyUI is imported as a library

    if cpu or not torch.cuda.is_available():
        comfy.cli_args.args.cpu = True

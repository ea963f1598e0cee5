"""Where the frozen video model comes from during training: a *backend*.

``trackdiff_core`` never imports ComfyUI, so the model is reached through this small interface. The ``"comfyui"``
backend (``nodes/training_backend.py``) loads an SVD checkpoint with ComfyUI used as a library, conditions it exactly
as ``SVD_img2vid_Conditioning`` does, and runs it through ComfyUI's own ``calc_cond_batch`` with the same patches the
nodes install, so what is trained is what the nodes run. Any other backend is named ``"module:attribute"`` (a class or
factory taking the keyword options below).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from ..errors import TrackDiffError
from ..trackgo.adapter import SiteSpec
from .clips import Clip

PACK_ALIAS = "trackdiff_pack"  # the repository imported as a package when trackdiff_core runs on its own


class ModelBackend(Protocol):
    """What a training task needs from the frozen model."""

    device: torch.device
    sigma_data: float
    sigma_min: float
    sigma_max: float

    def site_specs(self) -> list[SiteSpec]:
        """The temporal self-attentions (TrackGo's adapter layout)."""

    def encode_frames(self, frames: np.ndarray) -> torch.Tensor:
        """``uint8[T, H, W, 3]`` -> the model's latents ``x0`` (``[T, C, h, w]``, in the space the sampler denoises)."""

    def conditioning(self, clip: Clip) -> Any:
        """Whatever :meth:`denoise` needs besides the noisy latents (for SVD: the first frame's image conditioning)."""

    def unconditional(self, conditioning: Any) -> Any:
        """Optional: the conditioning of classifier-free guidance's negative half (for SVD: the image conditioning
        zeroed, as ``SVD_img2vid_Conditioning``'s negative), for tasks that drop the condition on some steps."""

    def attach(self, method: str, runtime: Any) -> None:
        """Install a method's runtime (``"trackgo"``, ``"trackdiffusion"``) into the model, as the nodes would."""

    def denoise(self, noisy: torch.Tensor, sigma: torch.Tensor, conditioning: Any) -> torch.Tensor:
        """The denoiser ``D(x; σ)`` with the attached runtimes active, differentiable w.r.t. their parameters."""

    def describe(self) -> dict:
        """A few facts for logs and file metadata (model name, size, device)."""


def pack_package() -> str:
    """The name of the package that holds ``trackdiff_core`` and ``nodes`` (importing the repository if needed)."""
    core_package = __name__.rsplit(".training", 1)[0]  # "trackdiff_core" or "<pack>.trackdiff_core"
    if "." in core_package:
        return core_package.rsplit(".", 1)[0]
    if PACK_ALIAS in sys.modules:
        return PACK_ALIAS
    root = Path(__file__).resolve().parents[2]
    if not (root / "__init__.py").is_file() or not (root / "nodes").is_dir():
        raise TrackDiffError("backend", "comfyui", f"needs the whole TrackDiff folder, but {root} has no nodes/",
                             "run from a full checkout of the custom node")
    spec = importlib.util.spec_from_file_location(PACK_ALIAS, root / "__init__.py", submodule_search_locations=[str(root)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACK_ALIAS] = module
    spec.loader.exec_module(module)
    return PACK_ALIAS


def use_comfyui(comfyui_path: str | None, cpu: bool) -> None:
    """Make ComfyUI importable as a library (from ``comfyui_path`` unless it already is) and pick its device."""
    if comfyui_path:
        root = Path(comfyui_path).expanduser().resolve()
        if not (root / "comfy").is_dir():
            raise TrackDiffError("--comfyui", str(root), "is not a ComfyUI folder (it has no comfy/ package)",
                                 "point it at the folder that holds ComfyUI's main.py")
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
    if importlib.util.find_spec("comfy") is None:
        raise TrackDiffError("--comfyui", comfyui_path, "ComfyUI is not importable", "pass --comfyui /path/to/ComfyUI")
    importlib.import_module(pack_package() + ".nodes.comfyui_library").use_as_library(cpu)


def resolve_backend(name: str, **options) -> ModelBackend:
    """``"comfyui"`` (the pack's ComfyUI glue) or ``"module:attribute"``, called with ``options``."""
    if name == "comfyui":
        use_comfyui(options.pop("comfyui", None), options.get("device") == "cpu")
        module = importlib.import_module(pack_package() + ".nodes.training_backend")
        return module.ComfySVDBackend(**options)
    if ":" not in name:
        raise TrackDiffError("--backend", name, "is not a known backend", 'use "comfyui" or "package.module:Class"')
    module_name, attribute = name.split(":", 1)
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise TrackDiffError("--backend", name, f"cannot be imported ({exc})", "check the module path") from None
    options.pop("comfyui", None)
    return factory(**options)

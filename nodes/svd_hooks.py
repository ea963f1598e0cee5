"""Shared machinery that hooks TrackDiff's modules into ComfyUI's native SVD UNet, reversibly.

Facts this relies on (ComfyUI's ``openaimodel.UNetModel`` with video flags and ``attention.SpatialVideoTransformer``):

* SVD has 16 transformer **sites**: ``("input", 1|2|4|5|7|8)``, ``("middle", 0)``, ``("output", 3..11)``, each a
  spatial transformer block plus its temporal twin ``time_stack[i]``. Frames are folded into the batch: spatial calls
  see ``[B·T, h·w, C]``, temporal ones ``[B·h·w, T, C]``.
* The twin receives **the same** ``transformer_options`` (same ``block`` and ``block_index``), so every attn1/attn2
  patch, replace and ``middle_patch`` fires in both. Shapes cannot tell them apart when ``h·w == T``; so
  :func:`prepare_model` puts an object patch on each ``time_stack[i].forward`` that flags the call as temporal in the
  per-call :class:`CallContext`.
* The frame count is the ``num_video_frames`` keyword of the diffusion model; a keyed ``DIFFUSION_MODEL`` wrapper puts
  it, with ``cond_or_uncond`` and the sigma, into the :class:`CallContext` under the pack's one key, ``"trackdiff"``.

Everything is added to a **clone** (never the MODEL a node was given) through ComfyUI's reversible mechanisms: object
patches, wrappers, ``transformer_options`` patches and additional models. Modules are memory-managed by ComfyUI through
:func:`attach_module`.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

import torch

import comfy.model_management
import comfy.model_patcher
import comfy.patcher_extension

from ..trackdiff_core.errors import TrackDiffError

log = logging.getLogger(__name__)

STATE_KEY = "trackdiff"  # the pack's one key: in transformer_options, wrappers and additional models
SVD_SITES = tuple([("input", i) for i in (1, 2, 4, 5, 7, 8)] + [("middle", 0)] + [("output", i) for i in range(3, 12)])


@dataclass(frozen=True)
class TransformerSite:
    """One of the 16 ``SpatialVideoTransformer`` sites of an SVD UNet."""

    block: tuple[str, int]  # as in transformer_options["block"]
    path: str  # attribute path from the BaseModel, e.g. "diffusion_model.input_blocks.1.1"
    channels: int  # the block's width: 320 / 640 / 1280 in SVD
    n_heads: int
    d_head: int
    context_dim: int  # width of the cross-attention context (1024 in SVD)
    depth: int  # transformer blocks per site (1 in SVD)

    @property
    def key(self) -> str:
        """A stable name for per-site modules and weights, e.g. ``input_1``."""
        return f"{self.block[0]}_{self.block[1]}"


def _site_module(diffusion_model, block: tuple[str, int]):
    name, index = block
    if name == "middle":
        return diffusion_model.middle_block[1], "middle_block.1"
    blocks = diffusion_model.input_blocks if name == "input" else diffusion_model.output_blocks
    return blocks[index][1], f"{'input' if name == 'input' else 'output'}_blocks.{index}.1"


def svd_sites(model) -> list[TransformerSite]:
    """The 16 transformer sites of ``model`` (a ModelPatcher of SVD), or a clear error for any other model."""
    diffusion_model = getattr(getattr(model, "model", None), "diffusion_model", None)
    fix = "connect an SVD img2vid model (e.g. from Image Only Checkpoint Loader with svd.safetensors or svd_xt)"
    if diffusion_model is None or not hasattr(diffusion_model, "input_blocks"):
        raise TrackDiffError("model", type(getattr(model, "model", model)).__name__, "is not a UNet model", fix)
    sites = []
    try:
        for block in SVD_SITES:
            module, rel = _site_module(diffusion_model, block)
            stack = getattr(module, "time_stack", None)
            first = module.transformer_blocks[0]
            if stack is None or len(stack) != len(module.transformer_blocks):
                raise LookupError(block)
            context_dim = first.attn2.to_k.weight.shape[1]
            sites.append(
                TransformerSite(block, f"diffusion_model.{rel}", int(module.in_channels), int(first.n_heads),
                                int(first.d_head), int(context_dim), len(module.transformer_blocks))
            )
    except (IndexError, AttributeError, LookupError, TypeError):
        name = type(model.model).__name__
        raise TrackDiffError(
            "model", name, "is not Stable Video Diffusion (it lacks SVD's 16 spatio-temporal transformer sites)", fix
        ) from None
    return sites


@dataclass
class CallContext:
    """What one call of the diffusion model looks like, for the patches (found under ``"trackdiff"`` in the options).

    ``frames`` is ``T``; the batch holds ``chunks`` groups of ``T`` rows, chunk ``i`` being conditional when
    ``cond_or_uncond[i] == 0`` and unconditional when it is ``1``. ``temporal`` is true while a ``time_stack`` twin runs.
    ``cache`` holds per-call values patches share (e.g. object tokens built once for all 16 sites). ``latent_shape`` is
    the shape of the model's input, so patches know the latent size (level 0) whatever site they run at.
    """

    frames: int
    chunks: int
    cond_or_uncond: list[int]
    sigma: torch.Tensor | None
    temporal: bool = False
    cache: dict = field(default_factory=dict)
    latent_shape: tuple[int, ...] | None = None  # the diffusion model's input x: [chunks·T, channels, H, W]
    model_input: torch.Tensor | None = field(default=None, repr=False)  # that x (noisy latent + SVD's image latent)
    serial: int = 0  # a number no other model call of this process has (unlike id(), never reused)
    attn1_patches: tuple = ()  # the call's ``attn1_patch`` list, in the order ComfyUI runs it (see trackgo_patch)

    def chunk_is_uncond(self) -> list[bool]:
        return [c == 1 for c in self.cond_or_uncond]

    def row_kinds(self, device=None) -> torch.Tensor:
        """``int64[chunks · T]``: 0 for rows of conditional chunks, 1 for unconditional (spatial row order)."""
        kinds = torch.tensor(self.cond_or_uncond, dtype=torch.int64, device=device)
        return kinds.repeat_interleave(self.frames)


_CALL_SERIALS = itertools.count(1)


def call_context(options: dict) -> CallContext | None:
    """The current call's context from ``transformer_options`` or a patch's ``extra_options``."""
    return options.get(STATE_KEY) if options else None


def _diffusion_model_wrapper(executor, x, timesteps, context, y, control, transformer_options, **kwargs):
    frames = kwargs.get("num_video_frames") or getattr(executor.class_obj, "default_num_video_frames", None) or x.shape[0]
    frames = int(frames)
    chunks = max(1, x.shape[0] // frames)
    kinds = list(transformer_options.get("cond_or_uncond") or [0] * chunks)
    if len(kinds) != chunks:  # a caller that batches differently: treat every chunk as conditional
        kinds = [0] * chunks
    previous = transformer_options.get(STATE_KEY)
    patches = transformer_options.get("patches") or {}
    transformer_options[STATE_KEY] = CallContext(frames, chunks, kinds, transformer_options.get("sigmas"),
                                                 latent_shape=tuple(x.shape), model_input=x,
                                                 serial=next(_CALL_SERIALS),
                                                 attn1_patches=tuple(patches.get("attn1_patch", ())))
    try:
        return executor(x, timesteps, context, y, control, transformer_options, **kwargs)
    finally:
        if previous is None:
            transformer_options.pop(STATE_KEY, None)
        else:
            transformer_options[STATE_KEY] = previous


class TemporalMarker:
    """Replaces ``time_stack[i].forward``: flags the call as temporal, then runs the forward it wraps."""

    def __init__(self, forward):
        self.forward = forward

    def __call__(self, x, context=None, transformer_options={}):  # noqa: B006 - ComfyUI's own signature
        ctx = transformer_options.get(STATE_KEY)
        if ctx is None:
            return self.forward(x, context=context, transformer_options=transformer_options)
        ctx.temporal = True
        try:
            return self.forward(x, context=context, transformer_options=transformer_options)
        finally:
            ctx.temporal = False


def prepare_model(model):
    """A clone of ``model`` with the call-context wrapper and the temporal markers installed (idempotent).

    Raises :class:`TrackDiffError` when ``model`` is not SVD. The upstream ``model`` is never changed.
    """
    sites = svd_sites(model)
    clone = model.clone()
    if not clone.get_wrappers(comfy.patcher_extension.WrappersMP.DIFFUSION_MODEL, STATE_KEY):
        clone.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.DIFFUSION_MODEL, STATE_KEY, _diffusion_model_wrapper)
    for site in sites:
        for index in range(site.depth):
            name = f"{site.path}.time_stack.{index}.forward"
            current = clone.get_model_object(name)
            if not isinstance(current, TemporalMarker):
                clone.add_object_patch(name, TemporalMarker(current))
    return clone


def attach_module(model, name: str, module: torch.nn.Module, root=None):
    """Let ComfyUI load and offload ``module`` with ``model`` (as an additional model under ``trackdiff_<name>``).

    Returns the module's own ModelPatcher. Clones of ``model`` clone that patcher, which shares the module (no copy).
    A caller that keeps ``module`` alive across node runs (e.g. cached with its weights) should also keep one ``root``
    ModelPatcher of it and pass it here: the attached patcher is then a clone of ``root``, so when a clone is freed
    ComfyUI follows it to its parent instead of reporting the still-loaded module as a leak.
    """
    if root is not None:
        if root.model is not module:
            raise ValueError("root must be a ModelPatcher of module")
        patcher = root.clone()
    else:
        patcher = comfy.model_patcher.ModelPatcher(
            module, load_device=model.load_device, offload_device=model.offload_device
        )
    model.set_additional_models(f"{STATE_KEY}_{name}", [patcher])
    return patcher


class SigmaWindow:
    """Whether the current step lies within ``start_percent .. end_percent`` of sampling (ComfyUI's convention)."""

    def __init__(self, model, start_percent: float, end_percent: float):
        if not 0.0 <= start_percent <= end_percent <= 1.0:
            raise TrackDiffError(
                "start_percent / end_percent", (start_percent, end_percent),
                "must satisfy 0 <= start_percent <= end_percent <= 1", "set start_percent below end_percent",
            )
        sampling = model.get_model_object("model_sampling")
        self.high = float(sampling.percent_to_sigma(start_percent))
        self.low = float(sampling.percent_to_sigma(end_percent))
        self.everywhere = start_percent <= 0.0 and end_percent >= 1.0

    def contains(self, sigma) -> bool:
        if self.everywhere or sigma is None:
            return True
        value = float(sigma.flatten()[0]) if isinstance(sigma, torch.Tensor) else float(sigma)
        return self.low <= value <= self.high


def module_device_dtype(module: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    for p in module.parameters():
        return p.device, p.dtype
    return comfy.model_management.intermediate_device(), torch.float32

"""TrackDiffusion inside ComfyUI's native SVD: the one module that patches the model (fusers, Instance Enhancer,
instance consistency, re-trained UNet weights).

What :func:`apply_trackdiffusion` does to a **clone** of the MODEL (the given one is never changed):

* builds the TrackDiffusion modules (``trackdiff_core.trackdiffusion.TrackDiffusionModules``) with ``comfy.ops``
  ``manual_cast`` layers in the model's dtype, and attaches them with :func:`svd_hooks.attach_module`, so ComfyUI loads
  and offloads them with the model; built modules are cached on the weights object and shared by every clone;
* adds one ``middle_patch`` (after ``attn1``, before ``attn2``, where GLIGEN's fuser sits). It fires in the 16 spatial
  blocks and, like every such patch, in their temporal twins; it returns at once in a twin (the call context's
  ``temporal`` flag, set by ``svd_hooks``' markers, which also holds when ``h·w == T``). In a spatial block it runs the
  site's fuser on object tokens built **once per model call** (cached in the call context) and, where the weights carry
  one, the site's Instance Enhancer;
* with ``consistency > 0`` (experimental), an ``attn1`` replace per spatial block that anchors in-box tokens to the
  object's first frame (wrapping any replace already there);
* adds the re-trained ``conv_in``, ``conv_out`` and ``time_mixer.mix_factor`` as weight patches
  (``W ← (W − W_stock) + (1 − s)·W_stock + s·W_trackdiffusion`` with ``s = min(strength, 1)``, :class:`RetrainedTensor`):
  reversible, and keeping what other patches add, so the stock ``ImageOnlyCheckpointLoader`` stays the way to load SVD
  and LoRAs on the same tensors compose, whether they are loaded before or after this node.

Strength 0, or tracklets in which no object is ever visible, return the model unpatched (stock SVD, bit for bit). When
objects are visible in the tracklets but on none of the frames the video has (after resampling to its frame count), an
``OUTER_SAMPLE`` wrapper runs that sampling without the weight patches and the other patches return at once: the video
is again the stock model's. Classifier-free guidance: by default, as the authors' pipeline, the unconditional rows get
all-null object tokens (every presence mask 0); ``boxes_for_uncond`` sends the boxes to both halves.

:func:`apply_trackdiffusion_training` installs the same patch for the ``trackdiffusion`` and ``instance_enhancer``
training tasks (``nodes/training_backend.py``): a trainer's float32 modules and its per-clip boxes, so they train in
exactly the computation the node later runs; UNet tensors that train (``conv_in``, ``conv_out``, mix factors) are the
trainer's parameters put in the model by object patches instead of weight patches.
"""

from __future__ import annotations

import logging
import uuid

import torch

import comfy.ldm.modules.attention as comfy_attention
import comfy.model_management
import comfy.model_patcher
import comfy.patcher_extension
import comfy.weight_adapter
import comfy.ops

from ..trackdiff_core.errors import TrackDiffError
from ..trackdiff_core.trackdiffusion.instance_consistency import anchored_self_attention
from ..trackdiff_core.trackdiffusion.model_fit import check_model_fit
from ..trackdiff_core.trackdiffusion.modules import TrackDiffusionModules
from ..trackdiff_core.trackdiffusion.object_slots import FRAME_POLICIES, SlotBoxes, any_visible, check_tracklets, slot_boxes
from ..trackdiff_core.trackdiffusion.weights import TrackDiffusionWeights
from .svd_hooks import STATE_KEY, SigmaWindow, attach_module, call_context, prepare_model, svd_sites

log = logging.getLogger(__name__)

UNET_PREFIX = "diffusion_model."


def site_key(block) -> str:
    return f"{block[0]}_{block[1]}"


class TrackletSource:
    """The tracklets as per-frame slot arrays, resampled once per frame count the sampler asks for."""

    def __init__(self, tracklets, slots: int, frame_policy: str):
        self.tracklets = tracklets
        self.slots = slots
        self.frame_policy = frame_policy
        self._by_frames: dict[int, SlotBoxes] = {}

    def for_frames(self, frames: int) -> SlotBoxes:
        if frames not in self._by_frames:
            self._by_frames[frames] = slot_boxes(self.tracklets, self.slots, frames, self.frame_policy)
        return self._by_frames[frames]


class TrackDiffusionPatch:
    """The ``middle_patch``: the site's fuser (and Instance Enhancer) on the spatial rows of each model call."""

    def __init__(self, modules: TrackDiffusionModules, source: TrackletSource, strength: float, window: SigmaWindow,
                 boxes_for_uncond: bool):
        self.modules = modules
        self.source = source
        self.strength = float(strength)
        self.window = window
        self.boxes_for_uncond = bool(boxes_for_uncond)
        self._inputs: dict[tuple, tuple] = {}  # per (frames, cond/uncond layout, device, dtype): built once per run
        self.token_builds = 0  # how often object tokens were computed (once per sampling run, not per step)
        self.weight_patches: dict = {}  # the re-trained UNet tensors as added (see RetrainedTensor)

    def sees_objects(self, frames: int) -> bool:
        """Whether any object is visible on the ``frames`` frames the model runs (after resampling the tracklets)."""
        return bool(self.source.for_frames(frames).present.any())

    token_grad = False  # object tokens without autograd (the trainer's patch builds them with it)

    def __deepcopy__(self, memo):  # ModelPatcher.clone deep-copies model_options: share, never copy, the modules
        return self

    def rows_with_boxes(self, ctx) -> torch.Tensor:
        kinds = ctx.row_kinds()
        return torch.ones_like(kinds, dtype=torch.bool) if self.boxes_for_uncond else kinds == 0

    def call_inputs(self, ctx, x: torch.Tensor):
        """``(tokens [R, S, D], boxes [R, S, 4], present [R, S])`` for a model call.

        They depend only on the tracklets, the frame count and the cond/uncond layout of the batch, so they are built
        once per sampling run (the first call of each layout) and reused by every step and all 16 sites."""
        key = (ctx.frames, tuple(ctx.cond_or_uncond), x.device, x.dtype)
        cached = self._inputs.get(key)
        if cached is None:
            slots = self.source.for_frames(ctx.frames)
            rows = self.rows_with_boxes(ctx)
            with torch.set_grad_enabled(self.token_grad):
                tokens = self.modules.object_tokens(slots, rows, device=x.device, dtype=x.dtype)
            chunks = ctx.chunks
            boxes = slots.boxes.repeat(chunks, 1, 1).to(x.device)
            present = slots.present.repeat(chunks, 1).to(x.device) & rows.to(x.device)[:, None]
            if len(self._inputs) > 8:  # another device or layout: keep the cache small
                self._inputs.clear()
            cached = self._inputs[key] = (tokens, boxes, present)
            self.token_builds += 1
        return cached

    def __call__(self, x: torch.Tensor, extra_options: dict) -> torch.Tensor:
        ctx = call_context(extra_options)
        if ctx is None or ctx.temporal or extra_options.get("block_index", 0) != 0:
            return x
        site = site_key(extra_options["block"])
        fuser = self.modules.fusers[site] if site in self.modules.fusers else None
        enhancer = self.modules.instance_enhancer[site] if site in self.modules.instance_enhancer else None
        if (fuser is None and enhancer is None) or not self.window.contains(ctx.sigma) or not self.sees_objects(ctx.frames):
            return x
        if x.shape[0] != ctx.chunks * ctx.frames:
            raise TrackDiffError("model call", tuple(x.shape), f"has {x.shape[0]} rows, not {ctx.chunks} × {ctx.frames} frames",
                                 "report this workflow: TrackDiffusion expects SVD's frames folded into the batch")
        tokens, boxes, present = self.call_inputs(ctx, x)
        precision = extra_options.get("attn_precision")
        _, _, h, w = extra_options["activations_shape"]
        if fuser is not None:
            x = fuser(x, tokens, self.strength, comfy_attention.optimized_attention, extra_options, precision, (h, w),
                      boxes, present, comfy_attention.optimized_attention_masked)
        if enhancer is not None:
            x = enhancer(x, boxes, present, ctx.frames, (h, w), self.strength,
                         comfy_attention.optimized_attention_masked, extra_options)
        return x


class InstanceConsistencyPatch:
    """An ``attn1`` replace for one spatial block: first-frame anchoring inside boxes (see ``instance_consistency``)."""

    def __init__(self, main: TrackDiffusionPatch, strength: float, previous=None):
        self.main = main
        self.strength = float(strength)
        self.previous = previous

    def __deepcopy__(self, memo):
        return self

    def __call__(self, q, k, v, extra_options):
        heads = extra_options["n_heads"]
        precision = extra_options.get("attn_precision")
        if self.previous is not None:
            base = self.previous(q, k, v, extra_options)
        else:
            base = comfy_attention.optimized_attention(q, k, v, heads, attn_precision=precision,
                                                       transformer_options=extra_options)
        ctx = call_context(extra_options)
        if ctx is None or ctx.temporal or not self.main.window.contains(ctx.sigma) or q.shape[0] != ctx.chunks * ctx.frames \
                or not self.main.sees_objects(ctx.frames):
            return base
        slots = self.main.source.for_frames(ctx.frames)
        _, _, h, w = extra_options["activations_shape"]
        return anchored_self_attention(
            q, k, v, heads, slots.boxes, slots.present, ctx.frames, (h, w), self.strength,
            self.main.rows_with_boxes(ctx), base=base, attention=comfy_attention.optimized_attention_masked,
            attn_precision=precision, transformer_options=extra_options)


class StockWhenUnseen:
    """An ``OUTER_SAMPLE`` wrapper: when no object is visible on the frames this sampling run makes (the latent's batch
    is SVD's frame count), the run uses a copy of the model without this patch's UNet weight patches, and the
    ``middle_patch`` and replaces return at once — so the video is the stock model's (with every other patch kept).
    The tracklets may be visible only on frames that resampling to the video's frame count never picks."""

    def __init__(self, patch: TrackDiffusionPatch):
        self.patch = patch

    def __deepcopy__(self, memo):
        return self

    def __call__(self, executor, noise, *args, **kwargs):
        if self.patch.sees_objects(int(noise.shape[0])):
            return executor(noise, *args, **kwargs)
        log.info("TrackDiffusion: no object is visible on the %d frames of this video, the model runs as without it",
                 int(noise.shape[0]))
        guider = executor.class_obj
        patched = guider.model_patcher
        stock = patched.clone()
        ours = {id(v) for v in self.patch.weight_patches.values()}
        for key in self.patch.weight_patches:
            kept = [p for p in stock.patches.get(key, []) if id(p[1]) not in ours]
            if kept:
                stock.patches[key] = kept
            else:
                stock.patches.pop(key, None)
        stock.patches_uuid = uuid.uuid4()
        guider.model_patcher = stock
        try:
            return executor(noise, *args, **kwargs)
        finally:
            guider.model_patcher = patched


def attached_modules(model) -> TrackDiffusionModules | None:
    """The TrackDiffusion modules a patched model runs (e.g. for a trainer to reach the Instance Enhancer's parameters),
    or ``None`` for a model this module did not patch."""
    patches = model.model_options.get("transformer_options", {}).get("patches", {}).get("middle_patch", [])
    found = [p.modules for p in patches if isinstance(p, TrackDiffusionPatch)]
    return found[-1] if found else None


def module_dtype(model) -> torch.dtype:
    dtype = model.model.get_dtype()
    if dtype in (torch.float16, torch.bfloat16, torch.float32):
        return dtype
    return getattr(model.model, "manual_cast_dtype", None) or torch.float16


def build_modules(model, weights: TrackDiffusionWeights, sites):
    """``(modules, root patcher)`` for ``model``'s blocks, cached on ``weights`` so that re-running a workflow neither
    rebuilds the modules nor leaves ComfyUI tracking a module whose patchers are gone (see ``attach_module``)."""
    heads = {s.key: (s.n_heads, s.d_head) for s in sites}
    dtype = module_dtype(model)
    key = ("comfy", dtype, str(model.load_device), str(model.offload_device), tuple(sorted(heads.items())))
    if key not in weights.cache:
        weights.cache.clear()  # one built copy per weights object
        on_meta = next(iter(weights.position_net.values())).is_meta  # shape-only weights (the benchmark) stay on meta
        modules = TrackDiffusionModules.from_weights(weights, heads, operations=comfy.ops.manual_cast, dtype=dtype,
                                                     device="meta" if on_meta else model.offload_device)
        root = comfy.model_patcher.ModelPatcher(modules, load_device=model.load_device, offload_device=model.offload_device)
        weights.cache[key] = (modules, root)
    return weights.cache[key]


def check_fit(model, weights: TrackDiffusionWeights, sites) -> None:
    """The weights fit this model's blocks (the check the trainer uses too) and its re-trained tensors."""
    check_model_fit(weights, sites)
    shapes = {k[len(UNET_PREFIX):]: tuple(v.shape) for k, v in model.model_state_dict(UNET_PREFIX).items()}
    for key, tensor in weights.unet.items():
        if shapes.get(key) != tuple(tensor.shape):
            raise TrackDiffError(f"weights.unet.{key}", tuple(tensor.shape),
                                 f"does not match the model's {shapes.get(key, 'missing tensor')}",
                                 "use TrackDiffusion weights made for this SVD")


def apply_trackdiffusion(model, weights: TrackDiffusionWeights, tracklets, strength: float = 1.0,
                         start_percent: float = 0.0, end_percent: float = 1.0, boxes_for_uncond: bool = False,
                         consistency: float = 0.0, frame_policy: str = "resample"):
    """A patched clone of ``model`` (or ``model`` itself when the patch would be inert)."""
    if not isinstance(weights, TrackDiffusionWeights):
        raise TrackDiffError("weights", type(weights).__name__, "is not TrackDiffusion weights",
                             "connect a TrackDiffusion Loader")
    if frame_policy not in FRAME_POLICIES:
        raise TrackDiffError("frame_mismatch", frame_policy, "is not a policy", f"use one of {', '.join(FRAME_POLICIES)}")
    for name, value, high in (("strength", strength, 2.0), ("consistency", consistency, 10.0)):
        if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= high:
            raise TrackDiffError(name, value, f"must be between 0 and {high}", f"set {name} within 0 … {high}")
    sites = svd_sites(model)  # raises for a non-SVD model
    tracklets = check_tracklets(tracklets, weights.slots)
    check_fit(model, weights, sites)
    window = SigmaWindow(model, start_percent, end_percent)
    if strength == 0.0 or not any_visible(tracklets):
        log.info("TrackDiffusion: %s, the model is returned unpatched",
                 "strength is 0" if strength == 0.0 else "no object is visible on any frame")
        return model
    clone = prepare_model(model)
    modules, root = build_modules(model, weights, sites)
    attach_module(clone, f"trackdiffusion_{id(modules):x}", modules, root)
    patch = TrackDiffusionPatch(modules, TrackletSource(tracklets, weights.slots, frame_policy), strength, window,
                                boxes_for_uncond)
    return _install(clone, patch, weights, sites, consistency)


def _install(clone, patch: TrackDiffusionPatch, weights: TrackDiffusionWeights, sites, consistency: float = 0.0):
    """Put ``patch`` (and the consistency replaces, and the re-trained UNet tensors) on the prepared ``clone``."""
    clone.set_model_patch(patch, "middle_patch")
    clone.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.OUTER_SAMPLE, f"{STATE_KEY}_trackdiffusion",
                               StockWhenUnseen(patch))
    if consistency > 0.0:
        replaces = clone.model_options["transformer_options"].get("patches_replace", {}).get("attn1", {})
        for site in sites:
            previous = replaces.get((*site.block, 0)) or replaces.get(site.block)
            clone.set_model_attn1_replace(InstanceConsistencyPatch(patch, consistency, previous), *site.block, 0)
    if weights.unet:
        patch.weight_patches = retrained_patches(clone, weights)
        clone.add_patches(patch.weight_patches, strength_patch=min(float(patch.strength), 1.0), strength_model=1.0)
    return clone


class RetrainedTensor(comfy.weight_adapter.WeightAdapterBase):
    """One re-trained UNet tensor as a weight patch: ``W ← (W − W_stock) + (1 − s)·W_stock + s·W_trackdiffusion``.

    ComfyUI applies a patch as ``W ← strength_model · W + patch``, in the order patches were added. A plain blend
    ``(1 − s)·W + s·W_td`` (``strength_model = 1 − s``) would also scale every patch added earlier on the same key (a
    LoRA on ``conv_in`` loaded before this node would be halved at 0.5 and erased at 1). This patch keeps what earlier
    patches added (``W − W_stock``) and replaces only the checkpoint's own part by the blend, so it composes with any
    additive patch (LoRAs), before or after it, like a LoRA does; alone, at ``s = 1``, it gives the re-trained tensor
    exactly. ``W_stock`` is the tensor as loaded (ComfyUI's backup while a patched copy is on the device)."""

    name = "trackdiff_retrained"

    def __init__(self, key: str, stock: torch.Tensor, trained: torch.Tensor):
        self.loaded_keys = {key}
        self.weights = [stock, trained]

    def calculate_weight(self, weight, key, strength, strength_model, offset, function, intermediate_dtype=torch.float32,
                         original_weight=None):
        stock, trained = (comfy.model_management.cast_to_device(w, weight.device, intermediate_dtype).reshape(weight.shape)
                          for w in self.weights)
        s = float(strength)
        blend = trained if s == 1.0 else stock if s == 0.0 else (1.0 - s) * stock + s * trained
        return (weight - stock) + (function(blend) if function is not None else blend)


def retrained_patches(model, weights: TrackDiffusionWeights) -> dict[str, RetrainedTensor]:
    """``{ComfyUI key: RetrainedTensor}`` for the weights' re-trained UNet tensors on ``model``."""
    originals = model.get_key_patches(UNET_PREFIX)
    return {UNET_PREFIX + key: RetrainedTensor(UNET_PREFIX + key, originals[UNET_PREFIX + key][0][0].detach(), trained)
            for key, trained in weights.unet.items()}


class TrainingPatch(TrackDiffusionPatch):
    """The same patch for a trainer: the modules stay in float32 (whatever the UNet's dtype; the activations are cast
    at the boundary) and the tracklet source is the trainer's, whose boxes change with every clip — so the object
    tokens are built once per model call (and shared by its 16 sites), not once per sampling run, with autograd on so
    that a trainable box encoder gets its gradient (a frozen one records nothing)."""

    token_grad = True

    def sees_objects(self, frames: int) -> bool:  # every clip trains the modules, whatever its boxes
        return True

    def call_inputs(self, ctx, x: torch.Tensor):
        key = ("trackdiffusion_training_inputs", id(self))
        cached = ctx.cache.get(key)
        if cached is None:
            self._inputs.clear()
            cached = ctx.cache[key] = super().call_inputs(ctx, x)
        return cached

    def __call__(self, x: torch.Tensor, extra_options: dict) -> torch.Tensor:
        dtype = next(self.modules.parameters()).dtype
        if x.dtype == dtype:
            return super().__call__(x, extra_options)
        return super().__call__(x.to(dtype), extra_options).to(x.dtype)


def apply_trackdiffusion_training(model, runtime):
    """A clone of ``model`` that runs a trainer's TrackDiffusion modules (``runtime.modules``, its trainable Instance
    Enhancer included) exactly as :func:`apply_trackdiffusion` runs loaded ones, at strength 1 for every step, with the
    boxes of ``runtime.for_frames`` (the current clip's). The modules are not memory-managed: the trainer keeps them
    on its device (the optimizer holds their parameters)."""
    sites = svd_sites(model)
    check_fit(model, runtime.weights, sites)
    window = SigmaWindow(model, 0.0, 1.0)
    patch = TrainingPatch(runtime.modules, runtime, runtime.strength, window, boxes_for_uncond=False)
    clone = _install(prepare_model(model), patch, runtime.weights, sites)
    trained = getattr(runtime, "unet_parameters", {})
    if trained:
        # UNet tensors that train (the trackdiffusion task's conv_in, conv_out, mix factors): object patches put the
        # trainer's parameters in the model while it is patched; unpatching restores the model's own.
        model_tensors = model.model_state_dict(UNET_PREFIX)
        for key, tensor in trained.items():
            own = model_tensors.get(UNET_PREFIX + key)
            if own is None or own.shape != tensor.shape or own.dtype != tensor.dtype:
                theirs = f"{tuple(own.shape)} {own.dtype}" if own is not None else "missing tensor"
                raise TrackDiffError(f"training.unet.{key}", f"{tuple(tensor.shape)} {tensor.dtype}",
                                     f"does not match the model's {theirs}",
                                     "train with the UNet in float32 (--unet-dtype fp32), or pass --no-unet-tensors")
            clone.add_object_patch(UNET_PREFIX + key, tensor)
    return clone


__all__ = ["STATE_KEY", "apply_trackdiffusion", "apply_trackdiffusion_training", "attached_modules",
           "TrackDiffusionPatch", "TrainingPatch", "InstanceConsistencyPatch"]

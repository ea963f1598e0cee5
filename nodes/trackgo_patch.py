"""TrackGo's model surgery (the one patching module): a TrackGo runtime in SVD's 16 temporal self-attentions.

Two ``transformer_options`` patches, both lists that other packs' patches share (no ``attn1`` replace slot is taken):

* ``attn1_patch`` sees the attention's input ``n`` and, in a temporal twin, runs the trainable branch's attention for
  the conditional rows (its narrow output is kept in the call's cache); it returns its inputs unchanged;
* ``attn1_output_patch`` sees the frozen attention's output ``y`` (computed by ComfyUI exactly as stock) and returns the
  merge ``y · max(0, 1 + s·(M − 1)) + s · M ⊙ Δ`` with ``Δ = W_o ·`` (the kept output)
  (``trackdiff_core/trackgo/adapter.py``). Without an adapter only this patch is installed.

Memory: while any ``attn1_patch`` is installed, ComfyUI's ``BasicTransformerBlock`` sets ``context_attn1 = value_attn1
= n`` before the patches run and holds whatever they return in those two locals until the block returns, so ``n`` would
live through the block's cross-attention and feed-forward (+3.8 % peak activation memory on the full-size SVD, where
the peak is a temporal block's feed-forward). ``attn1_patch`` therefore hands back ``None`` for both when it is the
last ``attn1_patch`` of the call and nobody changed them (they are still ``n``): ComfyUI's self-attention then reads
its keys and values from ``n`` itself, the same computation bit for bit (``attn1(n)`` and, for an ``attn1`` replace,
ComfyUI's own ``context = value = n``), and ``n`` is freed as soon as the attention has run, as in stock SVD. When
another pack's ``attn1_patch`` runs after it, it returns the tensors unchanged (that patch expects them): correct, with
the old +3.8 %.

Both fire in the spatial blocks too (same options); :func:`nodes.svd_hooks.call_context`'s ``temporal`` flag makes them
act only in the 16 temporal twins, robust when ``h·w == T``. Outside ``start_percent .. end_percent`` they do nothing.
The new branch's attention is ComfyUI's ``optimized_attention`` with the block's ``transformer_options``.
"""

from __future__ import annotations

import copy
import functools
import uuid
import weakref

import torch

import comfy.ldm.modules.attention as comfy_attention
import comfy.model_patcher

from ..trackdiff_core.errors import TrackDiffError
from ..trackdiff_core.trackgo.adapter import SiteSpec
from ..trackdiff_core.trackgo.runtime import SiteCall
from ..trackdiff_core.trackgo.weights import check_adapter_fits
from .svd_hooks import SigmaWindow, attach_module, call_context, prepare_model, svd_sites


def site_levels(model) -> dict[tuple[str, int], int]:
    """The resolution level of each transformer site: 0 at latent size, +1 after every downsampler."""
    unet = model.model.diffusion_model
    levels: dict[tuple[str, int], int] = {}
    level = 0
    for index, block in enumerate(unet.input_blocks):
        levels[("input", index)] = level
        if any(type(m).__name__ == "Downsample" for m in block):
            level += 1
    levels[("middle", 0)] = level
    for index, block in enumerate(unet.output_blocks):
        levels[("output", index)] = level
        if any(type(m).__name__ == "Upsample" for m in block):
            level -= 1
    return levels


def site_specs(model) -> list[SiteSpec]:
    """The 16 temporal self-attentions as the core adapter describes them (raises for a non-SVD model)."""
    sites = svd_sites(model)
    levels = site_levels(model)
    return [SiteSpec(s.key, s.channels, s.n_heads, s.d_head, levels[s.block]) for s in sites]


def compute_dtype(model) -> torch.dtype:
    """The dtype activations have inside the diffusion model (its manual-cast dtype when weights are stored lower)."""
    base = model.model
    dtype = getattr(base, "manual_cast_dtype", None) or base.get_dtype()
    return dtype if dtype in (torch.float32, torch.float16, torch.bfloat16) else torch.float16


_MANAGED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # loaded adapter -> {host key: (module, root)}


def adapter_in_dtype(adapter, dtype: torch.dtype):
    """``adapter`` in ``dtype`` (a copy when it differs, so a loaded adapter shared by several nodes is never changed)."""
    current = next(adapter.parameters()).dtype
    if current == dtype:
        return adapter
    return copy.deepcopy(adapter).to(dtype)


def managed_adapter(model, adapter):
    """``(module, root patcher)`` for running ``adapter`` in ``model``: the adapter in the model's compute dtype and one
    ModelPatcher of it, both built once per loaded adapter and host and kept with it. Every run attaches a clone of
    that root (see ``svd_hooks.attach_module``), so re-running a workflow (a new point seed, new tracks) neither
    copies the adapter again nor leaves ComfyUI a loaded module whose patcher is gone (its "memory leak" warning)."""
    dtype = compute_dtype(model)
    key = (dtype, str(model.load_device), str(model.offload_device))
    cache = _MANAGED.setdefault(adapter, {})
    if key not in cache:
        cache.clear()  # one managed copy per loaded adapter
        module = adapter_in_dtype(adapter, dtype)
        cache[key] = (module, comfy.model_patcher.ModelPatcher(module, load_device=model.load_device,
                                                               offload_device=model.offload_device))
    return cache[key]


def _host_attention(q, k, v, heads, extra_options):
    return comfy_attention.optimized_attention(
        q, k, v, heads, attn_precision=extra_options.get("attn_precision"), transformer_options=extra_options
    )


class TrackGoPatch:
    """The two attention patches of one TrackGo runtime. Shared by clones (``__deepcopy__`` returns itself)."""

    def __init__(self, runtime, window: SigmaWindow, keys: set[str], latent_channels: int = 4, latent_in=None):
        self.runtime = runtime
        self.window = window
        self.keys = keys
        self.latent_channels = int(latent_channels)  # the noisy latent's channels; SVD's image latent follows them
        self.latent_in = latent_in  # the model's process_latent_in: the VAE's scale to the model's (unit) scale
        self.token = uuid.uuid4().hex[:12]  # this patch's slot in the per-call cache

    def __deepcopy__(self, memo):
        return self

    def _site_call(self, extra_options) -> tuple[str, SiteCall] | None:
        ctx = call_context(extra_options)
        if ctx is None or not ctx.temporal or extra_options.get("block_index", 0) != 0:
            return None
        block = extra_options.get("block")
        key = f"{block[0]}_{block[1]}" if block else None
        if key not in self.keys or not self.window.contains(ctx.sigma):
            return None
        shape = extra_options.get("activations_shape")
        latent = ctx.latent_shape
        if shape is None or latent is None:
            raise TrackDiffError("model", "no activation shapes", "does not report its shapes to patches",
                                 "use ComfyUI 0.3.60 or newer")
        attention = functools.partial(_host_attention, extra_options=extra_options)
        return key, SiteCall(ctx.frames, list(ctx.cond_or_uncond), int(shape[-2]), int(shape[-1]), int(latent[-2]),
                             int(latent[-1]), attention, self.first_frame_latent(ctx), ctx.serial)

    def first_frame_latent(self, ctx) -> torch.Tensor | None:
        """``[C, H, W]``: SVD's image latent (the channels after the noisy latent) of the first conditional chunk's
        first frame, in the model's latent scale (``process_latent_in``), when the adapter reads appearance; None
        otherwise."""
        adapter = self.runtime.adapter
        x = ctx.model_input
        if adapter is None or not adapter.config.appearance_channels or x is None or 0 not in ctx.cond_or_uncond:
            return None
        if x.shape[1] <= self.latent_channels:
            return None
        key = (self.token, "first_frame_latent")  # once per model call, for its 16 sites
        if key not in ctx.cache:
            image = x[ctx.cond_or_uncond.index(0) * ctx.frames, self.latent_channels:]
            ctx.cache[key] = self.latent_in(image[None])[0] if self.latent_in is not None else image
        return ctx.cache[key]

    def before(self, n, context, value, extra_options):
        """``attn1_patch``: the trainable branch's attention, from the attention's input. Gives ``context`` and
        ``value`` back as ``None`` where that frees ``n`` early without changing the attention (module docstring)."""
        site = self._site_call(extra_options)
        if site is not None:
            attended = self.runtime.branch(site[0], n, site[1])
            if attended is not None:
                call_context(extra_options).cache[(self.token, site[0])] = attended
        if context is n and value is n and self.runs_last(extra_options):
            return n, None, None
        return n, context, value

    def runs_last(self, extra_options) -> bool:
        """Whether this is the last ``attn1_patch`` ComfyUI runs in this call (no other pack's patch reads after it)."""
        ctx = call_context(extra_options)
        return ctx is not None and bool(ctx.attn1_patches) and ctx.attn1_patches[-1] == self.before

    def after(self, out, extra_options):
        """``attn1_output_patch``: the merge under the mask."""
        site = self._site_call(extra_options)
        if site is None:
            return out
        attended = call_context(extra_options).cache.pop((self.token, site[0]), None)
        return self.runtime.merge(site[0], out, site[1], attended)


def apply_trackgo(model, runtime, start_percent: float = 0.0, end_percent: float = 1.0, manage_memory: bool = True,
                  root=None):
    """A clone of ``model`` (SVD) with ``runtime`` in its temporal self-attentions; ``model`` is never changed.

    With ``manage_memory`` the adapter is attached as an additional model, so ComfyUI loads and offloads it with the
    UNet (as a clone of ``root``, a ModelPatcher of it that outlives this run, when given: see
    :func:`managed_adapter`); training keeps it on its own device instead (the optimizer holds its parameters)."""
    specs = site_specs(model)
    window = SigmaWindow(model, start_percent, end_percent)
    patched = prepare_model(model)
    channels = int(getattr(model.model.diffusion_model, "out_channels", 4))
    patch = TrackGoPatch(runtime, window, {s.key for s in specs}, channels, model.model.process_latent_in)
    if runtime.adapter is not None:
        check_adapter_fits(runtime.adapter, specs)
        if manage_memory:
            attach_module(patched, f"trackgo_{patch.token}", runtime.adapter, root)
        patched.set_model_attn1_patch(patch.before)
    patched.set_model_attn1_output_patch(patch.after)
    return patched

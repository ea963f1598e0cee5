"""The cost of one adapter training step at full size, exact on the ``meta`` device (``python -m bench``'s training
table).

One TrackGo training step as ``python -m trackdiff_core.training trackgo`` runs it: ComfyUI's full-size SVD UNet,
frozen, with the trackdiff TrackGo patch and a training runtime (the default training config: appearance channels),
one clip (no CFG batch), forward → ``EDM-like loss + attention loss`` → backward into the adapter. Compared with a plain
forward of stock SVD at the same shape (batch 1, no gradient), without and with ``--checkpointing`` (the UNet's
layers recomputed in backward, :mod:`trackdiff_core.training.checkpointing`, applied to the same layers the ComfyUI
training backend gives).

Attention kernels are stood in as the forward bench does, but differentiably: the output and the log-sum-exp a fused
kernel keeps for backward are allocated, and the backward's FLOPs are counted as a fused kernel's (2.5 × the forward's
two matmuls: ``QKᵀ`` recomputed, ``dV``, ``dP``, ``dQ``, ``dK``). Two things that need tensor values are replaced by
their shape-alike: the appearance channels' first-frame latent (splatted on the CPU) is zeros, and the attention loss's
selection of the rows outside the motion region (a data-dependent size) is a masked mean over all rows.
"""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from .attention_standin import attention_flops, attention_shape
from .cases import pack_module, synthetic_tracks
from .live_bytes import LiveBytes
from .measure import measure, model_inputs, object_patches_applied, transformer_options_for
from .meta_svd import meta_svd_patcher, unet_parameters

GIB = 2 ** 30


class _FusedAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, out_shape, lse_shape, counter):
        out = torch.empty(out_shape, dtype=q.dtype, device=q.device)
        lse = torch.empty(lse_shape, dtype=torch.float32, device=q.device)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.counter, ctx.forward_flops = counter, counter.last
        return out

    @staticmethod
    def backward(ctx, grad):
        q, k, v, _, _ = ctx.saved_tensors
        ctx.counter.flops += int(2.5 * ctx.forward_flops)
        return torch.empty_like(q), torch.empty_like(k), torch.empty_like(v), None, None, None


class TrainingAttentionStandIn:
    """:class:`bench.attention_standin.AttentionStandIn` with a backward."""

    def __init__(self):
        self.flops = 0
        self.calls = 0
        self.last = 0

    def __call__(self, func, q, k, v, heads, *args, skip_reshape=False, skip_output_reshape=False, **kwargs):
        batch, heads_, nq, nk, dim = attention_shape(q, k, heads, skip_reshape)
        self.last = attention_flops(batch, heads_, nq, nk, dim)
        self.flops += self.last
        self.calls += 1
        shape = (batch, heads_, nq, dim) if skip_output_reshape else (batch, nq, heads_ * dim)
        return _FusedAttention.apply(q, k, v, shape, (batch, heads_, nq), self)


@dataclass(frozen=True)
class StepCost:
    flops: int
    peak_bytes: int  # activations, saved tensors and the adapter's gradients (weights excluded)


@dataclass(frozen=True)
class TrainingRow:
    frames: int
    height: int
    width: int
    dtype: str
    forward: StepCost  # stock SVD, one plain forward (batch 1, no gradient)
    step: StepCost
    checkpointed: StepCost
    unet_parameters: int
    adapter_parameters: int
    bytes_per_weight: int

    def memory_gib(self, cost: StepCost) -> float:
        """What a card holds at the step's peak: the UNet's weights in the model's dtype, the adapter in float32 with
        its two AdamW moments, and ``cost``'s peak activations (its gradients included)."""
        weights = self.unet_parameters * self.bytes_per_weight + self.adapter_parameters * 4 * 3
        return (weights + cost.peak_bytes) / GIB


def _meta_attention_loss(delta, original, inside, eps: float = 1e-8):
    """:func:`trackdiff_core.trackgo.adapter.attention_loss` without its data-dependent selection (meta tensors)."""
    outside = (~inside.to(torch.bool)).to(torch.float32).reshape(-1, *([1] * (delta.dim() - 1)))
    leak = (delta.float().pow(2) * outside).mean()
    return leak / (original.detach().float().pow(2).mean() + eps)


def _layers(diffusion_model) -> list:
    return [layer for block in (*diffusion_model.input_blocks, diffusion_model.middle_block,
                                *diffusion_model.output_blocks) for layer in block]


def _training_patcher(pack, frames: int, width: int, height: int, dtype):
    """A frozen meta SVD with the TrackGo training patch (default training config) and a guide of 4 objects."""
    patch = pack_module(pack, "nodes.trackgo_patch")
    adapter_mod = pack_module(pack, "trackdiff_core.trackgo.adapter")
    config_mod = pack_module(pack, "trackdiff_core.trackgo.config")
    runtime_mod = pack_module(pack, "trackdiff_core.trackgo.runtime")
    guide_mod = pack_module(pack, "trackdiff_core.trackgo.guide")
    training = importlib.import_module(pack.__name__ + ".trackdiff_core.training.trackgo_task")
    model = meta_svd_patcher(dtype)
    model.model.diffusion_model.requires_grad_(False)
    config = config_mod.TrackGoConfig(frames=frames, width=width, height=height,
                                      appearance_channels=training.TRAINING_APPEARANCE_CHANNELS)
    with torch.device("meta"):
        adapter = adapter_mod.TrackAdapter(patch.site_specs(model), config)
    class MetaRuntime(runtime_mod.TrackGoRuntime):
        def _first_frame(self, call, channels):  # the appearance is splatted on the CPU: zeros of its shape on meta
            return torch.zeros(tuple(call.appearance[:channels].shape), dtype=torch.float32)

    runtime = MetaRuntime(adapter, None, strength=1.0, tau=config.tau, training=True)
    runtime.set_guide(guide_mod.TrackGoGuide(tracks=synthetic_tracks(pack, 4, frames, width, height)))
    return patch.apply_trackgo(model, runtime, manage_memory=False), runtime, adapter


def measure_step(pack, patched, runtime, adapter, frames: int, height: int, width: int, dtype,
                 checkpointing: bool) -> StepCost:
    checkpoint_mod = importlib.import_module(pack.__name__ + ".trackdiff_core.training.checkpointing")
    runtime_mod = pack_module(pack, "trackdiff_core.trackgo.runtime")
    attention_loss, runtime_mod.attention_loss = runtime_mod.attention_loss, _meta_attention_loss
    diffusion_model = patched.model.diffusion_model
    inputs = model_inputs(frames, height, width, 1, dtype)
    options = transformer_options_for(patched, 1)
    options["sigmas"] = torch.full((frames,), 1.0)
    standin = TrainingAttentionStandIn()
    options["optimized_attention_override"] = standin
    blocks = checkpoint_mod.checkpoint_forwards(_layers(diffusion_model)) if checkpointing else []

    def one_step():
        runtime.attention_terms.clear()
        out = diffusion_model(inputs["x"], inputs["timesteps"], inputs["context"], inputs["y"],
                              transformer_options=options, num_video_frames=frames)
        loss = out.float().square().mean()
        if runtime.attention_terms:
            loss = loss + 0.1 * torch.stack(runtime.attention_terms).mean()
        runtime.attention_terms = []
        del out
        loss.backward()

    # Two passes: FlopCounterMode keeps references to module outputs for its backward accounting, which would keep
    # the checkpointed activations alive, so the peak is counted in a pass of its own.
    try:
        with object_patches_applied(patched), torch.enable_grad():
            adapter.zero_grad(set_to_none=True)
            counter = FlopCounterMode(display=False)
            standin.flops = 0
            with counter:
                one_step()
            flops = counter.get_total_flops() + standin.flops
            adapter.zero_grad(set_to_none=True)
            gc.collect()
            live = LiveBytes()
            with live:
                one_step()
            adapter.zero_grad(set_to_none=True)
    finally:
        checkpoint_mod.restore_forwards(blocks)
        runtime_mod.attention_loss = attention_loss
    return StepCost(flops, live.peak)


def training_row(pack, frames: int, height: int, width: int, dtype=torch.bfloat16) -> TrainingRow:
    patched, runtime, adapter = _training_patcher(pack, frames, width, height, dtype)
    stock = meta_svd_patcher(dtype)
    plain = measure(stock, frames, height, width, chunks=1, dtype=dtype)
    step = measure_step(pack, patched, runtime, adapter, frames, height, width, dtype, checkpointing=False)
    checkpointed = measure_step(pack, patched, runtime, adapter, frames, height, width, dtype, checkpointing=True)
    return TrainingRow(frames, height, width, str(dtype).replace("torch.", ""), StepCost(plain.flops, plain.peak_bytes),
                       step, checkpointed, unet_parameters(stock), sum(p.numel() for p in adapter.parameters()),
                       torch.empty((), dtype=dtype).element_size())


TRAINING_SHAPES = [(14, 576, 1024), (14, 320, 512)]


def training_section(pack) -> list[str]:
    lines = [
        "### Training: one TrackGo adapter step (exact, meta device, bf16 UNet, one clip)",
        "",
        "Forward + attention loss + backward into the adapter (default training config: appearance channels), the UNet "
        "frozen; ratios to one plain forward of stock SVD at the same shape (batch 1, no gradient). `--checkpointing`: "
        "the UNet's layers recomputed in backward. Memory = UNet weights (bf16) + adapter with AdamW (fp32) + the peak "
        "of activations, saved tensors and gradients.",
        "",
        "| shape | plain forward | step: FLOPs × | step: peak × | step: memory | checkpointed: FLOPs × | "
        "checkpointed: peak × | checkpointed: memory |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for frames, height, width in TRAINING_SHAPES:
        r = training_row(pack, frames, height, width)
        f = r.forward
        lines.append(
            f"| {frames}×{height}×{width} | {f.flops / 1e12:.2f} TFLOP, {f.peak_bytes / GIB:.2f} GiB | "
            f"{r.step.flops / f.flops:.2f} | {r.step.peak_bytes / f.peak_bytes:.1f} | {r.memory_gib(r.step):.1f} GiB | "
            f"{r.checkpointed.flops / f.flops:.2f} | {r.checkpointed.peak_bytes / f.peak_bytes:.1f} | "
            f"{r.memory_gib(r.checkpointed):.1f} GiB |")
    return lines

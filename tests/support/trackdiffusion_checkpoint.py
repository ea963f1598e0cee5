"""Our generator of synthesized TrackDiffusion checkpoints in the released (diffusers) layout, at any width.

It enumerates the key names and shapes of a diffusers ``UNetSpatioTemporalConditionModel`` (the stock SVD UNet) plus
what TrackDiffusion adds — a ``GatedSelfAttentionDense`` ``fuser`` in each of the 16 spatial ``transformer_blocks.0``
and the ``position_net`` box encoder — and fills them with seeded values. At ``TINY`` it matches the tests' tiny SVD
(widths 32 / 64 / 128, 16-wide heads, context 32), so the released-file loader, the converter and the ComfyUI patch can
all be tested without the 6.95 GB download. (The stock key list was checked once against diffusers 0.42's own model:
the same 1428 names and shapes.)

Values are drawn from a generator seeded by ``(seed, crc32(name))`` and rounded to float16, so a float16 conversion of
the file is lossless and converted weights must reproduce the released-file output exactly. Fuser gates are non-zero
(as in trained weights), so the fusers change the output. Used by ``tests/core`` and ``tests/host``; needs only torch.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import torch
from safetensors.torch import save_file


@dataclass(frozen=True)
class UNetDims:
    channels: tuple[int, ...] = (320, 640, 1280, 1280)
    heads: tuple[int, ...] = (5, 10, 20, 20)
    context_dim: int = 1024
    in_channels: int = 8
    out_channels: int = 4
    add_in: int = 768  # 3 added time ids × 256


FULL = UNetDims()
TINY = UNetDims(channels=(32, 64, 128, 128), heads=(2, 4, 8, 8), context_dim=32)
BOX_LAYOUT_WIDTHS = {"fourier7": (0, 112), "rgb_positive": (3, 64), "fourier4": (0, 64)}  # (positive, Fourier) widths


def _resnet(prefix: str, cin: int, cout: int, temb: int):
    s = f"{prefix}.spatial_res_block"
    yield f"{s}.norm1.weight", (cin,)
    yield f"{s}.norm1.bias", (cin,)
    yield f"{s}.conv1.weight", (cout, cin, 3, 3)
    yield f"{s}.conv1.bias", (cout,)
    yield f"{s}.time_emb_proj.weight", (cout, temb)
    yield f"{s}.time_emb_proj.bias", (cout,)
    yield f"{s}.norm2.weight", (cout,)
    yield f"{s}.norm2.bias", (cout,)
    yield f"{s}.conv2.weight", (cout, cout, 3, 3)
    yield f"{s}.conv2.bias", (cout,)
    if cin != cout:
        yield f"{s}.conv_shortcut.weight", (cout, cin, 1, 1)
        yield f"{s}.conv_shortcut.bias", (cout,)
    t = f"{prefix}.temporal_res_block"
    yield f"{t}.norm1.weight", (cout,)
    yield f"{t}.norm1.bias", (cout,)
    yield f"{t}.conv1.weight", (cout, cout, 3, 1, 1)
    yield f"{t}.conv1.bias", (cout,)
    yield f"{t}.time_emb_proj.weight", (cout, temb)
    yield f"{t}.time_emb_proj.bias", (cout,)
    yield f"{t}.norm2.weight", (cout,)
    yield f"{t}.norm2.bias", (cout,)
    yield f"{t}.conv2.weight", (cout, cout, 3, 1, 1)
    yield f"{t}.conv2.bias", (cout,)
    yield f"{prefix}.time_mixer.mix_factor", (1,)


def _attention(prefix: str, dim: int, context: int | None):
    ctx = context or dim
    yield f"{prefix}.to_q.weight", (dim, dim)
    yield f"{prefix}.to_k.weight", (dim, ctx)
    yield f"{prefix}.to_v.weight", (dim, ctx)
    yield f"{prefix}.to_out.0.weight", (dim, dim)
    yield f"{prefix}.to_out.0.bias", (dim,)


def _ff(prefix: str, dim: int):
    yield f"{prefix}.net.0.proj.weight", (8 * dim, dim)
    yield f"{prefix}.net.0.proj.bias", (8 * dim,)
    yield f"{prefix}.net.2.weight", (dim, 4 * dim)
    yield f"{prefix}.net.2.bias", (dim,)


def _norm(prefix: str, dim: int):
    yield f"{prefix}.weight", (dim,)
    yield f"{prefix}.bias", (dim,)


def _transformer(prefix: str, dim: int, context: int):
    yield from _norm(f"{prefix}.norm", dim)
    yield f"{prefix}.proj_in.weight", (dim, dim)
    yield f"{prefix}.proj_in.bias", (dim,)
    b = f"{prefix}.transformer_blocks.0"
    yield from _norm(f"{b}.norm1", dim)
    yield from _attention(f"{b}.attn1", dim, None)
    yield from _norm(f"{b}.norm2", dim)
    yield from _attention(f"{b}.attn2", dim, context)
    yield from _norm(f"{b}.norm3", dim)
    yield from _ff(f"{b}.ff", dim)
    t = f"{prefix}.temporal_transformer_blocks.0"
    yield from _norm(f"{t}.norm_in", dim)
    yield from _ff(f"{t}.ff_in", dim)
    yield from _norm(f"{t}.norm1", dim)
    yield from _attention(f"{t}.attn1", dim, None)
    yield from _norm(f"{t}.norm2", dim)
    yield from _attention(f"{t}.attn2", dim, context)
    yield from _norm(f"{t}.norm3", dim)
    yield from _ff(f"{t}.ff", dim)
    yield f"{prefix}.time_pos_embed.linear_1.weight", (4 * dim, dim)
    yield f"{prefix}.time_pos_embed.linear_1.bias", (4 * dim,)
    yield f"{prefix}.time_pos_embed.linear_2.weight", (dim, 4 * dim)
    yield f"{prefix}.time_pos_embed.linear_2.bias", (dim,)
    yield f"{prefix}.time_mixer.mix_factor", (1,)
    yield f"{prefix}.proj_out.weight", (dim, dim)
    yield f"{prefix}.proj_out.bias", (dim,)


def stock_unet_shapes(d: UNetDims = TINY) -> dict[str, tuple[int, ...]]:
    """Names and shapes of a stock diffusers SVD UNet (``UNetSpatioTemporalConditionModel``)."""
    c0, temb = d.channels[0], 4 * d.channels[0]
    out: dict[str, tuple[int, ...]] = {"conv_in.weight": (c0, d.in_channels, 3, 3), "conv_in.bias": (c0,)}
    for name, (o, i) in {"time_embedding.linear_1": (temb, c0), "time_embedding.linear_2": (temb, temb),
                         "add_embedding.linear_1": (temb, d.add_in), "add_embedding.linear_2": (temb, temb)}.items():
        out[f"{name}.weight"], out[f"{name}.bias"] = (o, i), (o,)
    prev = c0
    for i, ch in enumerate(d.channels):
        for j in range(2):
            out.update(_resnet(f"down_blocks.{i}.resnets.{j}", prev if j == 0 else ch, ch, temb))
            if i < 3:
                out.update(_transformer(f"down_blocks.{i}.attentions.{j}", ch, d.context_dim))
        if i < 3:
            out[f"down_blocks.{i}.downsamplers.0.conv.weight"] = (ch, ch, 3, 3)
            out[f"down_blocks.{i}.downsamplers.0.conv.bias"] = (ch,)
        prev = ch
    top = d.channels[-1]
    out.update(_resnet("mid_block.resnets.0", top, top, temb))
    out.update(_transformer("mid_block.attentions.0", top, d.context_dim))
    out.update(_resnet("mid_block.resnets.1", top, top, temb))
    rev = list(reversed(d.channels))
    prev_out = rev[0]
    for i, ch in enumerate(rev):
        skip_in = rev[min(i + 1, len(rev) - 1)]
        for j in range(3):
            res_skip = skip_in if j == 2 else ch
            res_in = prev_out if j == 0 else ch
            out.update(_resnet(f"up_blocks.{i}.resnets.{j}", res_in + res_skip, ch, temb))
            if i > 0:
                out.update(_transformer(f"up_blocks.{i}.attentions.{j}", ch, d.context_dim))
        if i < 3:
            out[f"up_blocks.{i}.upsamplers.0.conv.weight"] = (ch, ch, 3, 3)
            out[f"up_blocks.{i}.upsamplers.0.conv.bias"] = (ch,)
        prev_out = ch
    out["conv_norm_out.weight"], out["conv_norm_out.bias"] = (c0,), (c0,)
    out["conv_out.weight"], out["conv_out.bias"] = (d.out_channels, c0, 3, 3), (d.out_channels,)
    return out


def spatial_attention_paths(d: UNetDims = TINY) -> list[tuple[str, int]]:
    """The 16 ``(diffusers attention path, channels)`` that carry a fuser."""
    paths = [(f"down_blocks.{i}.attentions.{j}", d.channels[i]) for i in range(3) for j in range(2)]
    paths.append(("mid_block.attentions.0", d.channels[-1]))
    rev = list(reversed(d.channels))
    paths += [(f"up_blocks.{i}.attentions.{j}", rev[i]) for i in range(1, 4) for j in range(3)]
    return paths


def trackdiffusion_shapes(d: UNetDims = TINY, box_layout: str = "fourier7", hidden: int = 64,
                          token_dim: int | None = None, null_features: bool = True,
                          instance_slots: int = 0) -> dict[str, tuple[int, ...]]:
    """The tensors TrackDiffusion adds: fusers (diffusers ``GatedSelfAttentionDense`` names) and ``position_net``."""
    token_dim = token_dim or d.context_dim
    out: dict[str, tuple[int, ...]] = {}
    for path, ch in spatial_attention_paths(d):
        f = f"{path}.transformer_blocks.0.fuser"
        out[f"{f}.alpha_attn"], out[f"{f}.alpha_dense"] = (), ()
        out[f"{f}.linear.weight"], out[f"{f}.linear.bias"] = (ch, token_dim), (ch,)
        out.update(_attention(f"{f}.attn", ch, None))
        out.update(_ff(f"{f}.ff", ch))
        out.update(_norm(f"{f}.norm1", ch))
        out.update(_norm(f"{f}.norm2", ch))
    positive, position = BOX_LAYOUT_WIDTHS[box_layout]
    if null_features:
        if positive:
            out["position_net.null_positive_feature"] = (positive,)
        out["position_net.null_position_feature"] = (position,)
    out["position_net.linears.0.weight"], out["position_net.linears.0.bias"] = (hidden, positive + position), (hidden,)
    out["position_net.linears.2.weight"], out["position_net.linears.2.bias"] = (hidden, hidden), (hidden,)
    out["position_net.linears.4.weight"], out["position_net.linears.4.bias"] = (token_dim, hidden), (token_dim,)
    if instance_slots:  # the authors' PositionNet with ADD_INS_EMBED: one row per slot
        out["position_net.instance_embedding.weight"] = (instance_slots, token_dim)
    return out


def fill(name: str, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """A seeded, float16-representable value for tensor ``name``."""
    gen = torch.Generator().manual_seed((seed * 1_000_003 + zlib.crc32(name.encode())) & 0x7FFFFFFFFFFFFFFF)
    leaf = name.rsplit(".", 1)[-1]
    if name.endswith(("alpha_attn", "alpha_dense")):
        value = 0.4 + 0.6 * torch.rand(shape, generator=gen)  # trained gates are non-zero
    elif len(shape) >= 2:
        value = torch.randn(shape, generator=gen) / math.sqrt(math.prod(shape[1:]))
    elif leaf == "mix_factor":
        value = torch.randn(shape, generator=gen) * 0.5
    elif "null_" in name:
        value = torch.randn(shape, generator=gen) * 0.5
    elif leaf == "weight" and "norm" in name:
        value = 1.0 + 0.1 * torch.randn(shape, generator=gen)
    else:
        value = 0.02 * torch.randn(shape, generator=gen)
    return value.half().float()


def released_state_dict(d: UNetDims = TINY, seed: int = 0, box_layout: str = "fourier7", hidden: int = 64,
                        stock: bool = True, **kwargs) -> dict[str, torch.Tensor]:
    """A full (or, with ``stock=False``, TrackDiffusion-only) state dict in the released diffusers layout."""
    shapes = dict(stock_unet_shapes(d)) if stock else {}
    if not stock:  # the re-trained stock tensors are always there
        shapes.update({k: v for k, v in stock_unet_shapes(d).items()
                       if k.startswith(("conv_in.", "conv_out.")) or k.endswith("mix_factor")})
    shapes.update(trackdiffusion_shapes(d, box_layout, hidden, **kwargs))
    return {k: fill(k, s, seed) for k, s in shapes.items()}


def write_released(path, d: UNetDims = TINY, seed: int = 0, box_layout: str = "fourier7", hidden: int = 64,
                   stock: bool = True, **kwargs) -> str:
    """Write a synthesized released-layout checkpoint (fp32, as the authors' file) and return its path."""
    state = released_state_dict(d, seed, box_layout, hidden, stock, **kwargs)
    save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata={"format": "pt"})
    return str(path)

"""TrackDiffusion weights in memory (:class:`TrackDiffusionWeights`), the report a loader gives, and the checks both
readers share (:mod:`.weights` for the released diffusers files, :mod:`.weights_format` for ours). Every file is opened
with the pack's one safetensors reader (:mod:`trackdiff_core.safetensors_file`), whose messages say what is wrong with a
file (missing, empty, truncated, a pickle, not safetensors).

Imports go one way: this module <- :mod:`.weights_format` <- :mod:`.weights`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

import torch

from ..errors import TrackDiffError
from ..safetensors_file import open_safetensors as _open
from .box_encoder import BoxLayout
from .diffusers_layout import SVD_SITE_KEYS

DEFAULT_SLOTS = 20  # objects per frame in the authors' SVD data loader and pipeline (fixed_objs)
FUSER_TENSORS = (
    "linear.weight", "linear.bias", "attn.to_q.weight", "attn.to_k.weight", "attn.to_v.weight", "attn.to_out.0.weight",
    "attn.to_out.0.bias", "ff.net.0.proj.weight", "ff.net.0.proj.bias", "ff.net.2.weight", "ff.net.2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "alpha_attn", "alpha_dense",
)
QUERY_POSITION_TENSORS = ("query_position.weight", "query_position.bias")  # TrackDiff's option (see .fuser)
BOX_MASK_FLAG = "box_mask"  # TrackDiff's option (see .fuser): a scalar 1 marks a box-masked fuser
FIX_DOWNLOAD = ("use svd_stage1/unet/diffusion_pytorch_model.safetensors or svd_stage2/… from pengxiang/trackdiffusion_ytvis, "
                "or a file converted from one (put it in models/trackdiff/)")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FuserDims:
    channels: int  # the block's width (320 / 640 / 1280 in SVD)
    context_dim: int  # object-token width the fuser's linear reads (1024)
    ff_inner: int  # GEGLU inner width (4 · channels)
    query_position: int = 0  # input width of the query-position layer; 0: none (the authors' fuser)
    box_mask: bool = False  # box-masked attention (TrackDiff's option)

    def to_dict(self) -> dict:
        out = {"channels": self.channels, "context_dim": self.context_dim, "ff_inner": self.ff_inner}
        if self.query_position:
            out["query_position"] = self.query_position
        if self.box_mask:
            out["box_mask"] = True
        return out


@dataclass
class LoadReport:
    """What a loader found and what it ignored, for the user (the loader node shows :meth:`text`)."""

    source: str
    kind: str  # "released" or "trackdiff"
    found: dict[str, int] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)
    ignored_examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ignore(self, category: str, key: str) -> None:
        self.ignored[category] = self.ignored.get(category, 0) + 1
        if category != "stock SVD tensors" and len(self.ignored_examples) < 12:
            self.ignored_examples.append(key)

    def text(self) -> str:
        lines = [f"TrackDiffusion weights: {os.path.basename(self.source)} ({self.kind})"]
        lines += [f"  found {n} {what}" for what, n in self.found.items()]
        lines += [f"  ignored {n} {what}" for what, n in self.ignored.items()]
        if self.ignored_examples:
            lines.append("  ignored names include: " + ", ".join(self.ignored_examples))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class TrackDiffusionWeights:
    """Everything TrackDiffusion adds to SVD, keyed the way the ComfyUI patch needs it."""

    layout: BoxLayout
    position_net: dict[str, torch.Tensor]  # names relative to position_net. (linears.0.weight, null_position_feature…)
    fusers: dict[str, dict[str, torch.Tensor]]  # site key (input_1 …) -> fuser state dict (diffusers names)
    unet: dict[str, torch.Tensor]  # ComfyUI diffusion-model key (input_blocks.0.0.weight …) -> re-trained tensor
    slots: int = DEFAULT_SLOTS
    instance_enhancer: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    enhancer_config: dict = field(default_factory=dict)  # heads per site, bins, sampling_ratio
    source: str = ""
    stage: str = "unknown"
    report: LoadReport | None = None
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # built modules, keyed by the host

    def fuser_dims(self) -> dict[str, FuserDims]:
        dims = {}
        for key, state in self.fusers.items():
            channels, context = state["linear.weight"].shape
            position = state.get("query_position.weight")
            dims[key] = FuserDims(int(channels), int(context), int(state["ff.net.2.weight"].shape[1]),
                                  int(position.shape[1]) if position is not None else 0, BOX_MASK_FLAG in state)
        return dims

    def dims(self) -> dict:
        """The metadata ``dims`` record (JSON-able)."""
        return {
            "box_layout": self.layout.to_dict(),
            "slots": self.slots,
            "sites": {k: d.to_dict() for k, d in self.fuser_dims().items()},
            "unet": sorted(self.unet),
            "instance_enhancer": self.enhancer_config if self.instance_enhancer else {},
        }

    def tensors(self) -> dict[str, torch.Tensor]:
        """All tensors under our file's key names (see :mod:`.weights_format`)."""
        out = {f"position_net.{k}": v for k, v in self.position_net.items()}
        for site, state in self.fusers.items():
            out.update({f"fuser.{site}.{k}": v for k, v in state.items()})
        out.update({f"unet.{k}": v for k, v in self.unet.items()})
        for site, state in self.instance_enhancer.items():
            out.update({f"instance_enhancer.{site}.{k}": v for k, v in state.items()})
        return out

    def with_instance_enhancer(self, states: dict[str, dict[str, torch.Tensor]], config: dict) -> "TrackDiffusionWeights":
        """A copy that also carries a (trained) Instance Enhancer (``states``: site key -> module state dict)."""
        copy = TrackDiffusionWeights(self.layout, self.position_net, self.fusers, self.unet, self.slots,
                                     {k: dict(v) for k, v in states.items()}, dict(config), self.source, self.stage)
        copy.report = self.report
        return copy


# -- helpers shared by both readers ------------------------------------------------------------------------------------
def open_safetensors(path: str, field_name: str = "weights"):
    """``safe_open`` with a true, clear error for a missing, empty, truncated, pickled or non-safetensors file."""
    fixes = {"default": "download the file again, in .safetensors form; " + FIX_DOWNLOAD,
             "missing": FIX_DOWNLOAD,
             "pickle": "use the .safetensors file (TrackDiff reads safetensors only); " + FIX_DOWNLOAD,
             "empty": "download or copy the file again; " + FIX_DOWNLOAD,
             "truncated": "download or copy the file again (its end is missing); " + FIX_DOWNLOAD}
    return _open(path, field_name, os.path.basename(path), fixes)


def check_fuser(site: str, state: dict[str, torch.Tensor] | dict[str, tuple], field_name: str) -> FuserDims:
    """Every fuser tensor is there and the widths agree."""
    shapes = {k: tuple(v.shape) if hasattr(v, "shape") else tuple(v) for k, v in state.items()}
    missing = [n for n in FUSER_TENSORS if n not in shapes]
    if missing:
        raise TrackDiffError(f"{field_name}.{site}", sorted(shapes), f"lacks {', '.join(missing)}",
                             "the file is damaged or incomplete; " + FIX_DOWNLOAD)
    channels, context = shapes["linear.weight"]
    inner2 = shapes["ff.net.0.proj.weight"][0]
    expect = {
        "linear.bias": (channels,), "attn.to_q.weight": (channels, channels), "attn.to_k.weight": (channels, channels),
        "attn.to_v.weight": (channels, channels), "attn.to_out.0.weight": (channels, channels),
        "attn.to_out.0.bias": (channels,), "ff.net.0.proj.weight": (inner2, channels), "ff.net.0.proj.bias": (inner2,),
        "ff.net.2.weight": (channels, inner2 // 2), "ff.net.2.bias": (channels,), "norm1.weight": (channels,),
        "norm1.bias": (channels,), "norm2.weight": (channels,), "norm2.bias": (channels,), "alpha_attn": (),
        "alpha_dense": (),
    }
    wrong = {n: shapes[n] for n, s in expect.items() if shapes[n] != s and not (s == () and shapes[n] == (1,))}
    position = 0
    if any(n in shapes for n in QUERY_POSITION_TENSORS):
        weight, bias = shapes.get("query_position.weight", ()), shapes.get("query_position.bias", ())
        if len(weight) != 2 or weight[0] != channels or bias != (channels,):
            wrong.update({n: shapes.get(n, "missing") for n in QUERY_POSITION_TENSORS})
        else:
            position = int(weight[1])
    if BOX_MASK_FLAG in shapes and shapes[BOX_MASK_FLAG] not in ((), (1,)):
        wrong[BOX_MASK_FLAG] = shapes[BOX_MASK_FLAG]
    if wrong or inner2 % 2:
        raise TrackDiffError(f"{field_name}.{site}", wrong, f"has widths that do not match a {channels}-wide fuser",
                             "the file is damaged or mixes models; " + FIX_DOWNLOAD)
    return FuserDims(int(channels), int(context), int(inner2 // 2), position, BOX_MASK_FLAG in shapes)

def site_order(item) -> int:
    return SVD_SITE_KEYS.index(item[0]) if item[0] in SVD_SITE_KEYS else len(SVD_SITE_KEYS)


def scalar(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(()) if t.numel() == 1 and t.ndim <= 1 else t

def layout_notes(weights: TrackDiffusionWeights, report: LoadReport) -> None:
    layout = weights.layout
    how = {"fourier7": "Fourier features of x1 y1 x2 y2 and the RGB colour",
           "rgb_positive": "the RGB colour as positive features plus Fourier features of x1 y1 x2 y2",
           "fourier4": "Fourier features of x1 y1 x2 y2 only (the object colour is not used by these weights)"}[layout.kind]
    report.notes.append(f"box encoder input is {layout.input_dim} wide: {how}; tokens {layout.token_dim} wide, "
                        f"{weights.slots} slots")
    if layout.instance_slots:
        report.notes.append(f"instance embedding for {layout.instance_slots} slots: added to each slot's token (as the "
                            "authors' PositionNet); objects take slots in the order they first appear")
    missing = [s for s in SVD_SITE_KEYS if s not in weights.fusers]
    if missing:
        report.notes.append(f"no fuser for sites {', '.join(missing)} (those blocks run unchanged)")
    if not weights.instance_enhancer:
        report.notes.append("no Instance Enhancer in this file (the released SVD weights carry none)")


def check_consistency(weights: TrackDiffusionWeights, field_name: str) -> None:
    unknown = sorted(set(weights.fusers) - set(SVD_SITE_KEYS))
    if unknown:
        raise TrackDiffError(f"{field_name}.fuser", unknown, "are not SVD transformer sites", FIX_DOWNLOAD)
    for site, dims in weights.fuser_dims().items():
        if dims.context_dim != weights.layout.token_dim:
            raise TrackDiffError(
                f"{field_name}.fuser.{site}.linear.weight", dims.context_dim,
                f"reads {dims.context_dim}-wide object tokens but the box encoder makes {weights.layout.token_dim}-wide ones",
                "the file mixes parts of different models; " + FIX_DOWNLOAD)

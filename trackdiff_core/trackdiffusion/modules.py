"""The TrackDiffusion modules as one ``nn.Module``: box encoder, a fuser per site, and optional Instance Enhancers.

The attention heads are not stored in the released weights (a fuser's attention is ``C × C``); they are the heads of the
block the fuser sits in, passed as ``heads = {site: (n_heads, dim_head)}`` (in ComfyUI from ``svd_sites``), so the same
code serves the full SVD (64-wide heads) and the tiny test model (16-wide heads).
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import TrackDiffError
from .box_encoder import BoxEncoder, BoxLayout
from .fuser import GatedSelfAttentionFuser
from .instance_enhancer import DECODER_SITES, InstanceEnhancer
from .object_slots import SlotBoxes
from .weights_base import FuserDims, TrackDiffusionWeights

Heads = dict[str, tuple[int, int]]


def _heads_for(site: str, channels: int, heads: Heads, field: str) -> tuple[int, int]:
    if site not in heads:
        raise TrackDiffError(field, site, "is not a transformer site of this model", "use weights made for SVD")
    n, d = heads[site]
    if n * d != channels:
        raise TrackDiffError(f"{field}.{site}", f"{channels} channels",
                             f"do not match the model's block ({n} heads × {d} = {n * d} channels)",
                             "use TrackDiffusion weights made for this SVD (the released ones are for full-size SVD)")
    return n, d


class TrackDiffusionModules(nn.Module):
    def __init__(self, layout: BoxLayout, fuser_dims: dict[str, FuserDims], heads: Heads, operations=nn,
                 enhancer_sites=(), enhancer_config: dict | None = None):
        super().__init__()
        self.layout = layout
        self.position_net = BoxEncoder(layout, operations)
        fusers = {}
        for site, dims in fuser_dims.items():
            n, d = _heads_for(site, dims.channels, heads, "weights.fuser")
            fusers[site] = GatedSelfAttentionFuser(dims.channels, dims.context_dim, n, d, dims.ff_inner, operations,
                                                   dims.query_position, dims.box_mask)
        self.fusers = nn.ModuleDict(fusers)
        self.enhancer_config = dict(enhancer_config or {})
        self.instance_enhancer = nn.ModuleDict()
        if enhancer_sites:
            self.add_instance_enhancers(enhancer_sites, heads, operations=operations, **self._enhancer_kwargs())

    def _enhancer_kwargs(self) -> dict:
        return {k: int(self.enhancer_config[k]) for k in ("bins", "sampling_ratio") if k in self.enhancer_config}

    # -- construction --------------------------------------------------------------------------------------------------
    @classmethod
    def from_weights(cls, weights: TrackDiffusionWeights, heads: Heads, operations=nn, dtype=None,
                     device=None) -> "TrackDiffusionModules":
        """Build on the meta device and take the weights' tensors as parameters (no random init, no extra copy)."""
        with torch.device("meta"):
            module = cls(weights.layout, weights.fuser_dims(), heads, operations,
                         enhancer_sites=tuple(weights.instance_enhancer), enhancer_config=weights.enhancer_config)
        state = {f"position_net.{k}": v for k, v in weights.position_net.items()}
        for site, fuser in weights.fusers.items():
            state.update({f"fusers.{site}.{k}": v.reshape(()) if k.startswith("alpha") or k == "box_mask" else v
                          for k, v in fuser.items()})
        for site, enhancer in weights.instance_enhancer.items():
            state.update({f"instance_enhancer.{site}.{k}": v for k, v in enhancer.items()})
        missing, unexpected = module.load_state_dict(state, strict=False, assign=True)
        if missing or unexpected:
            raise TrackDiffError("weights", {"missing": missing[:6], "unexpected": unexpected[:6]},
                                 "do not fit the TrackDiffusion modules", "re-convert the weights with this version")
        return module.to(device=device or "cpu", dtype=dtype)

    def add_instance_enhancers(self, sites=DECODER_SITES, heads: Heads | None = None, bins: int = 2,
                               sampling_ratio: int = 2, operations=nn) -> nn.ModuleDict:
        """Fresh, trainable Instance Enhancers (zero gates: the identity until trained) at ``sites``."""
        heads = heads or {}
        for site in sites:
            if site in self.instance_enhancer:
                continue
            if site in heads:
                n, d = heads[site]
            elif site in self.fusers:
                n = self.fusers[site].heads
                d = self.fusers[site].dim // n
            else:
                raise TrackDiffError("instance_enhancer.sites", site, "has neither a fuser nor known heads",
                                     "pass heads={site: (n_heads, dim_head)} for it")
            if site in self.fusers and n * d != self.fusers[site].dim:
                _heads_for(site, self.fusers[site].dim, {site: (n, d)}, "instance_enhancer")
            self.instance_enhancer[site] = InstanceEnhancer(n * d, n, d, bins, sampling_ratio, operations)
        self.enhancer_config = {"sites": sorted(self.instance_enhancer), "bins": bins, "sampling_ratio": sampling_ratio,
                                "heads": {s: [m.cross.heads, m.cross.dim_head] for s, m in self.instance_enhancer.items()}}
        return self.instance_enhancer

    def instance_enhancer_states(self) -> dict[str, dict[str, torch.Tensor]]:
        return {site: {k: v.detach().cpu() for k, v in m.state_dict().items()} for site, m in self.instance_enhancer.items()}

    # -- per model call ------------------------------------------------------------------------------------------------
    def object_tokens(self, slots: SlotBoxes, rows_with_boxes: torch.Tensor, device=None, dtype=None) -> torch.Tensor:
        """``[R, S, D]`` object tokens for ``R = chunks · T`` rows: the boxes of frame ``r % T`` where
        ``rows_with_boxes[r]``, all-null tokens elsewhere (the unconditional rows, by default)."""
        frames = slots.frames
        rows = rows_with_boxes.shape[0]
        param = self.position_net.null_position_feature
        boxes, colors = slots.boxes.to(param.device), slots.colors.to(param.device)
        present = slots.present.to(param.device)
        with_boxes = self.position_net(boxes, colors, present)  # [T, S, D]
        tokens = with_boxes.repeat(rows // frames, 1, 1)
        if not bool(rows_with_boxes.all()):
            null = self.position_net(boxes[:1], colors[:1], torch.zeros_like(present[:1]))  # [1, S, D]
            keep = rows_with_boxes.to(param.device)[:, None, None]
            tokens = torch.where(keep, tokens, null.expand_as(tokens))
        return tokens.to(device=device, dtype=dtype)

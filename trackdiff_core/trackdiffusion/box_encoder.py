"""TrackDiffusion's box encoder (diffusers' ``position_net``): a Fourier embedding of each box and an MLP to object
tokens as wide as the cross-attention context, with learned *null* features where a slot holds no box.

Notation (GLIGEN, Li et al. 2023; TrackDiffusion, Li et al. 2024). For a box ``b = (x1, y1, x2, y2)`` normalised to the
frame and ``F`` frequencies ``f_k = 100^(k/F)``::

    fourier(b) = [sin(f_0 b), cos(f_0 b), sin(f_1 b), cos(f_1 b), …]   (for each k: sin of every coordinate, then cos)
    e          = m · [p ; fourier(b)] + (1 − m) · [p_null ; e_null]
    token      = Linear₃(SiLU(Linear₂(SiLU(Linear₁(e)))))

where ``m`` is 1 when the slot holds a box at that frame and 0 otherwise, and ``p`` are per-object "positive" features.

The released SVD weights do not document which numbers reach the MLP: each box is 7 numbers (``x1 y1 x2 y2`` and the
object's RGB colour), and the input width of ``linears.0`` depends on how they were embedded. :class:`BoxLayout` is read
from the tensor shapes (see :func:`infer_layout`); three layouts are understood:

* ``fourier7``: Fourier features of all 7 numbers (width ``2·F·7``, 112 for ``F = 8``), no positive features;
* ``rgb_positive``: the colour as 3 positive features, Fourier features of the 4 coordinates (``3 + 2·F·4``, 67);
* ``fourier4``: Fourier features of the 4 coordinates only (``2·F·4``, 64); the colour is not used.

**Instance embedding.** The authors' ``PositionNet`` (``pixeli99/TrackDiffusion``, ``third_party/diffusers/.../
embeddings.py``) may carry ``instance_embedding.weight`` ``[slots, D]`` (20 slots): after the MLP, slot ``s`` of every
frame gets row ``s`` added, ``token[t, s] += E[s]``, whether the slot holds a box or the null features (the
unconditional half of guidance included). A file that carries it is read with it (:attr:`BoxLayout.instance_slots`);
slot order then matters, and follows the authors' data loader (see :mod:`.object_slots`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..errors import TrackDiffError

FOURIER_FREQS = 8  # GLIGEN's and TrackDiffusion's choice
FOURIER_TEMPERATURE = 100.0
LAYOUTS = ("fourier7", "rgb_positive", "fourier4")


@dataclass(frozen=True)
class BoxLayout:
    """How boxes become the MLP's input, and the MLP's widths."""

    kind: str  # one of LAYOUTS
    freqs: int  # Fourier frequencies F
    hidden: int  # width of the two hidden layers (512 in the released weights)
    token_dim: int  # width of the object tokens (= the cross-attention context, 1024 in SVD)
    instance_slots: int = 0  # rows of the instance embedding (20 in the authors' code; 0 = none)

    @property
    def fourier_coords(self) -> int:
        return 7 if self.kind == "fourier7" else 4

    @property
    def position_dim(self) -> int:
        return 2 * self.freqs * self.fourier_coords

    @property
    def positive_dim(self) -> int:
        return 3 if self.kind == "rgb_positive" else 0

    @property
    def input_dim(self) -> int:
        return self.positive_dim + self.position_dim

    @property
    def uses_color(self) -> bool:
        return self.kind != "fourier4"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, field: str = "dims.box_layout") -> "BoxLayout":
        try:
            layout = cls(str(data["kind"]), int(data["freqs"]), int(data["hidden"]), int(data["token_dim"]),
                         int(data.get("instance_slots", 0)))
        except (KeyError, TypeError, ValueError):
            raise TrackDiffError(field, data, "is not a box layout", "re-convert the weights with this version") from None
        if layout.kind not in LAYOUTS:
            raise TrackDiffError(field, layout.kind, "is not a known box layout", f"use one of {', '.join(LAYOUTS)}")
        return layout


def infer_layout(shapes: dict[str, tuple[int, ...]], field: str = "position_net") -> BoxLayout:
    """The :class:`BoxLayout` of a ``position_net`` state dict, from its tensor shapes alone.

    ``shapes`` maps names relative to ``position_net.`` (``linears.0.weight``, ``null_position_feature``, …) to shapes.
    """
    need = ("linears.0.weight", "linears.2.weight", "linears.4.weight")
    missing = [n for n in need if n not in shapes]
    if missing:
        raise TrackDiffError(field, sorted(shapes), f"lacks {', '.join(missing)}",
                             "use TrackDiffusion weights whose position_net is the 3-layer MLP (linears.0/2/4)")
    hidden, in_width = shapes["linears.0.weight"]
    token_dim, hidden_out = shapes["linears.4.weight"]
    if shapes["linears.2.weight"] != (hidden, hidden) or hidden_out != hidden:
        raise TrackDiffError(field, {k: shapes[k] for k in need}, "has MLP layers whose widths do not chain",
                             "the file is damaged or not a TrackDiffusion position_net; download it again")
    unknown = sorted(n for n in shapes if n not in need and not n.startswith("linears.")
                     and n not in ("null_position_feature", "null_positive_feature", "instance_embedding.weight"))
    if unknown:
        raise TrackDiffError(field, unknown, "holds tensors this box encoder does not know (text or image features?)",
                             "use TrackDiffusion weights whose boxes carry only coordinates and colours")
    positive = shapes.get("null_positive_feature", (0,))[0]
    position = shapes["null_position_feature"][0] if "null_position_feature" in shapes else in_width - positive
    if positive + position != in_width:
        raise TrackDiffError(
            field, {"linears.0 input": in_width, "null_positive_feature": positive, "null_position_feature": position},
            "has null features whose widths do not add up to the MLP's input width",
            "the file is damaged; download it again")
    if position % (2 * FOURIER_FREQS):
        raise TrackDiffError(field, position, f"is a Fourier width that is not a multiple of 2·{FOURIER_FREQS}",
                             "use weights made with GLIGEN's 8-frequency Fourier embedding")
    coords = position // (2 * FOURIER_FREQS)
    if coords == 7 and positive == 0:
        kind = "fourier7"
    elif coords == 4 and positive == 3:
        kind = "rgb_positive"
    elif coords == 4 and positive == 0:
        kind = "fourier4"
    else:
        raise TrackDiffError(
            field, {"fourier_coordinates": coords, "positive_width": positive, "input_width": in_width},
            "is a box-feature layout TrackDiffusion's boxes (x1 y1 x2 y2 + RGB) cannot fill",
            "use weights whose position_net input is 112 (Fourier of 7 numbers), 67 (RGB + Fourier of 4) or 64 wide")
    instance_slots = 0
    if "instance_embedding.weight" in shapes:
        rows_cols = shapes["instance_embedding.weight"]
        if len(rows_cols) != 2 or rows_cols[1] != token_dim or rows_cols[0] < 1:
            raise TrackDiffError(f"{field}.instance_embedding.weight", rows_cols,
                                 f"is not one {token_dim}-wide row per slot (as the object tokens)",
                                 "the file is damaged or mixes models; download it again")
        instance_slots = int(rows_cols[0])
    return BoxLayout(kind, FOURIER_FREQS, int(hidden), int(token_dim), instance_slots)


def fourier_features(values: torch.Tensor, freqs: int, temperature: float = FOURIER_TEMPERATURE) -> torch.Tensor:
    """``[..., C] -> [..., 2·F·C]``: for each frequency, the sines of all ``C`` values then their cosines (GLIGEN's order)."""
    bands = temperature ** (torch.arange(freqs, dtype=torch.float32, device=values.device) / freqs)
    scaled = bands.to(values.dtype)[:, None] * values.unsqueeze(-2)  # [..., F, C]
    return torch.stack((scaled.sin(), scaled.cos()), dim=-2).flatten(-3)  # [..., F, 2, C] -> [..., 2FC]


class BoxEncoder(nn.Module):
    """``position_net``: boxes ``[..., S, 4]``, colours ``[..., S, 3]`` and presence ``[..., S]`` -> tokens ``[..., S, D]``."""

    def __init__(self, layout: BoxLayout, operations=nn):
        super().__init__()
        self.layout = layout
        self.linears = nn.Sequential(
            operations.Linear(layout.input_dim, layout.hidden), nn.SiLU(),
            operations.Linear(layout.hidden, layout.hidden), nn.SiLU(),
            operations.Linear(layout.hidden, layout.token_dim),
        )
        self.null_position_feature = nn.Parameter(torch.zeros(layout.position_dim))
        if layout.positive_dim:
            self.null_positive_feature = nn.Parameter(torch.zeros(layout.positive_dim))
        if layout.instance_slots:
            self.instance_embedding = nn.Embedding(layout.instance_slots, layout.token_dim)

    def embed(self, boxes: torch.Tensor, colors: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """The MLP's input ``e`` (before ``linears``), with null features where ``present`` is 0."""
        layout = self.layout
        dtype = self.null_position_feature.dtype
        # Fourier features in float32 whatever the module's dtype: sin(56·x) needs more than float16's 11 bits.
        boxes, colors = boxes.float(), colors.float()
        m = present.float().unsqueeze(-1)
        numbers = torch.cat([boxes, colors], dim=-1) if layout.kind == "fourier7" else boxes
        position = fourier_features(numbers, layout.freqs)
        position = position * m + (1 - m) * self.null_position_feature.to(position)
        if not layout.positive_dim:
            return position.to(dtype)
        positive = colors * m + (1 - m) * self.null_positive_feature.to(colors)
        return torch.cat([positive, position], dim=-1).to(dtype)

    def forward(self, boxes: torch.Tensor, colors: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        tokens = self.linears(self.embed(boxes, colors, present))
        if not self.layout.instance_slots:
            return tokens
        slots = tokens.shape[-2]
        if slots > self.layout.instance_slots:
            raise TrackDiffError("tracklets", f"{slots} slots", f"exceed the instance embedding's "
                                 f"{self.layout.instance_slots} rows", f"keep at most {self.layout.instance_slots} objects")
        return tokens + self.instance_embedding.weight[:slots].to(tokens)  # slot s of every frame: + E[s]

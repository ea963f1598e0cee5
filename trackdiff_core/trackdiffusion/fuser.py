"""The GLIGEN gated self-attention "fuser" that TrackDiffusion puts in every spatial transformer block.

It sits after the block's self-attention and before its cross-attention. With visual tokens ``v`` (``[B·T, h·w, C]``,
one row per frame) and that frame's object tokens ``o`` (``[B·T, S, D]``)::

    u = Linear(o)                                                  (D -> C)
    v = v + β · tanh(γ_attn)  · SelfAttn(LN₁([v ; u]))[:, :h·w]
    v = v + β · tanh(γ_dense) · FF(LN₂(v))

``γ`` are the learned gates (initialised to 0, so an untrained fuser is the identity) and ``β`` is GLIGEN's external
scale, TrackDiffusion's *strength*. Only the visual rows of the attention output are kept, so queries are computed for
the visual tokens only (identical result, without the ``S`` object query rows): ``LN`` is per token, so
``LN₁([v ; u]) = [LN₁(v) ; LN₁(u)]``. Heads and head width are the block's own (64-wide heads in SVD).

Two options of TrackDiff's (not in the released weights; the file records them per fuser) for training from scratch,
judged on the toy world (``docs/toy-world.md``), where the authors' fuser learned *that* boxes are there, never *where*:

* **Query positions** (``query_position``): ``P(fourier(c))`` is added to ``LN₁(v)`` — ``c`` the token's cell centre in
  ``[0, 1]²`` (x, y), ``fourier`` the box encoder's embedding, ``P`` a linear layer — so that a token could match the
  boxes that hold it. (On the toy world the fusers then ignored the boxes altogether.)
* **Box-masked attention** (``box_mask``, a scalar flag buffer): a visual token attends to every visual token and only
  to the object tokens whose box (at its frame) holds it, InstanceDiffusion's instance-masked attention (Wang et al.
  2024): what a box says reaches exactly the tokens inside it. (On the toy world this is what made the fusers read the
  boxes.) Its additive mask, ``[R, h·w, h·w + S]`` written out, is built and used in query chunks
  (:mod:`.box_masked_attention`): the same result, with memory that grows with the visual tokens, not their square, so
  box-masked fusers run at full size.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import TrackDiffError
from .attention import DEFAULT_ATTENTION
from .box_encoder import FOURIER_FREQS, fourier_features
from .box_masked_attention import box_masked_attention
from .instance_enhancer import box_token_mask
from .layers import FeedForward, Projections

QUERY_POSITION_WIDTH = 2 * FOURIER_FREQS * 2  # Fourier features of a token's (x, y) cell centre


def cell_centres(h: int, w: int, device=None) -> torch.Tensor:
    """``[h·w, 2]``: the (x, y) centre of each token's cell in ``[0, 1]²``, row-major as the tokens."""
    ys = (torch.arange(h, dtype=torch.float32, device=device) + 0.5) / h
    xs = (torch.arange(w, dtype=torch.float32, device=device) + 0.5) / w
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(h * w, 2)


class GatedSelfAttentionFuser(nn.Module):
    """State-dict names as diffusers' ``GatedSelfAttentionDense`` (``linear``, ``attn.to_q`` …, ``ff.net.0.proj`` …,
    ``norm1``, ``norm2``, ``alpha_attn``, ``alpha_dense``)."""

    def __init__(self, dim: int, context_dim: int, heads: int, dim_head: int, ff_inner: int | None = None, operations=nn,
                 query_position: int = 0, box_mask: bool = False):
        super().__init__()
        self.dim = dim
        self.linear = operations.Linear(context_dim, dim)
        self.attn = Projections(dim, heads, dim_head, operations=operations)
        self.ff = FeedForward(dim, ff_inner, operations=operations)
        self.norm1 = operations.LayerNorm(dim)
        self.norm2 = operations.LayerNorm(dim)
        self.alpha_attn = nn.Parameter(torch.zeros(()))
        self.alpha_dense = nn.Parameter(torch.zeros(()))
        if query_position:
            self.query_position = operations.Linear(query_position, dim)
        else:
            self.query_position = None
        if box_mask:
            self.register_buffer("box_mask", torch.ones(()))
        else:
            self.box_mask = None

    def forward(self, x: torch.Tensor, objs: torch.Tensor, strength: float = 1.0, attention=DEFAULT_ATTENTION,
                transformer_options=None, attn_precision=None, hw: tuple[int, int] | None = None,
                boxes: torch.Tensor | None = None, present: torch.Tensor | None = None,
                masked_attention=None) -> torch.Tensor:
        """``x``: ``[R, N, C]`` visual tokens; ``objs``: ``[R, S, D]`` object tokens of the same rows; ``hw``: the
        token grid (needed by a fuser with query positions or a box mask); ``boxes`` ``[R, S, 4]`` and ``present``
        ``[R, S]`` (needed with a box mask), ``masked_attention`` the host's attention that takes a mask."""
        gate_attn = strength * torch.tanh(self.alpha_attn).to(x)
        inside = self.box_inside(x, hw, boxes, present)
        x = x + gate_attn * self.attend(x, objs, attention if inside is None else (masked_attention or attention),
                                        transformer_options, attn_precision, hw, inside)
        gate_dense = strength * torch.tanh(self.alpha_dense).to(x)
        return x + gate_dense * self.ff(self.norm2(x))

    def positions(self, hw: tuple[int, int] | None, tokens: int, like: torch.Tensor) -> torch.Tensor:
        """``[1, h·w, C]``: ``P(fourier(c))`` for the token grid ``hw``."""
        if hw is None or int(hw[0]) * int(hw[1]) != tokens:
            raise TrackDiffError("fuser", f"{tokens} tokens, grid {hw}", "has no token grid to place its queries on",
                                 "report this: a fuser with query positions needs the block's height and width")
        centres = cell_centres(int(hw[0]), int(hw[1]), device=like.device)
        features = fourier_features(centres, FOURIER_FREQS).to(self.query_position.weight.dtype)
        return self.query_position(features).to(like.dtype).unsqueeze(0)

    def box_inside(self, x, hw, boxes, present) -> torch.Tensor | None:
        """``bool[R, N, S]``: which object tokens each visual token may attend to, for a box-masked fuser (None for the
        authors' fuser). The attention's mask is built from it chunk by chunk (:mod:`.box_masked_attention`)."""
        if self.box_mask is None:
            return None
        tokens = x.shape[1]
        if boxes is None or present is None or hw is None or int(hw[0]) * int(hw[1]) != tokens:
            raise TrackDiffError("fuser", f"{tokens} tokens, grid {hw}", "has no boxes or token grid for its box mask",
                                 "report this: a box-masked fuser needs each row's boxes and the block's size")
        return box_token_mask(boxes.to(torch.float32), present, int(hw[0]), int(hw[1]))

    def attend(self, x, objs, attention=DEFAULT_ATTENTION, transformer_options=None, attn_precision=None, hw=None,
               inside=None):
        """``to_out(SelfAttn(LN₁([x ; Linear(objs)])))`` for the visual rows (under the box mask ``inside`` when
        given). A function of its own so that its temporaries (norms, q, k, v) are freed before the feed-forward runs:
        the fuser's peak stays the block's own."""
        n_x = self.norm1(x)
        if self.query_position is not None:
            n_x = n_x + self.positions(hw, x.shape[1], n_x)
        n_o = self.norm1(self.linear(objs.to(x.dtype)))
        q = self.attn.to_q(n_x)
        k = torch.cat([self.attn.to_k(n_x), self.attn.to_k(n_o)], dim=1)
        v = torch.cat([self.attn.to_v(n_x), self.attn.to_v(n_o)], dim=1)
        del n_x, n_o
        options = {"attn_precision": attn_precision, "transformer_options": transformer_options or {}}
        if inside is None:
            out = attention(q, k, v, self.attn.heads, **options)
        else:
            out = box_masked_attention(q, k, v, inside, self.attn.heads, attention, **options)
        del q, k, v
        return self.attn.output(out)

    @property
    def heads(self) -> int:
        return self.attn.heads

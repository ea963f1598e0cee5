"""Training-free instance consistency (experimental, off by default): anchor each object to its first-frame look.

The released SVD weights carry no Instance Enhancer. This option gives part of its effect without training: in the
**spatial self-attention** (``attn1``) of frame ``t ≥ 1``, each visual token inside object ``n``'s box also attends to
the tokens inside that object's box **at frame 0** of the same video. With queries ``q``, the frame's own keys/values
``K_t, V_t`` and the object's frame-0 box keys/values ``K_0^n, V_0^n``::

    out(q) = softmax([q·K_tᵀ ; q·K_0ⁿᵀ + log λ] / √d) · [V_t ; V_0ⁿ]        for q inside box n at frame t
    out(q) = softmax(q·K_tᵀ / √d) · V_t                                       everywhere else (unchanged)

``λ`` (the strength) multiplies the weight of every anchor key: ``λ = 1`` treats the first-frame box tokens like the
frame's own, larger values pull harder towards the first frame's appearance, ``λ → 0`` switches the anchor off. Frame 0
itself, hidden objects and objects absent from frame 0 are left unchanged. Where boxes overlap, the higher slot wins.

Cost: for each object, the queries inside its box at each frame ``t ≥ 1`` (``A_n^t`` tokens) attend over ``h·w + A_n^0``
keys instead of ``h·w``. That is one extra attention over the in-box queries on top of the model's own — at most one
more ``attn1`` per site when boxes cover the frame, typically a fraction of it — and no mask larger than
``[1, 1, h·w + A_n^0]`` is built. Nothing is trained or stored.
"""

from __future__ import annotations

import math

import torch

from .attention import DEFAULT_ATTENTION


def box_token_indices(box, h: int, w: int) -> torch.Tensor:
    """Flat indices of the tokens whose centres lie in ``box`` (normalised x1 y1 x2 y2); at least the nearest token."""
    x1, y1, x2, y2 = (float(v) for v in box)
    cols = [j for j in range(w) if x1 <= (j + 0.5) / w <= x2]
    rows = [i for i in range(h) if y1 <= (i + 0.5) / h <= y2]
    if not cols:
        cols = [min(w - 1, max(0, int((x1 + x2) * 0.5 * w)))]
    if not rows:
        rows = [min(h - 1, max(0, int((y1 + y2) * 0.5 * h)))]
    return torch.tensor([i * w + j for i in rows for j in cols], dtype=torch.long)


def anchored_self_attention(q, k, v, heads: int, boxes: torch.Tensor, present: torch.Tensor, frames: int,
                            hw: tuple[int, int], strength: float, rows_enabled: torch.Tensor, base=None,
                            attention=DEFAULT_ATTENTION, attn_precision=None, transformer_options=None) -> torch.Tensor:
    """Self-attention output ``[R, h·w, inner]`` with first-frame anchoring inside boxes.

    ``q, k, v``: ``[R, h·w, inner]`` projections of ``R = chunks · T`` rows (frame ``r % T``); ``boxes [T, S, 4]`` and
    ``present bool[T, S]`` per frame; ``rows_enabled bool[R]`` says which rows are anchored (e.g. the conditional ones);
    ``base`` is the unanchored output if the caller already has it (else it is computed with ``attention``).
    """
    options = transformer_options or {}
    if base is None:
        base = attention(q, k, v, heads, attn_precision=attn_precision, transformer_options=options)
    if strength <= 0:
        return base
    h, w = hw
    rows = q.shape[0]
    chunks = rows // frames
    out = base.clone()
    bias = math.log(strength)
    enabled = rows_enabled.reshape(chunks, frames).cpu()
    for n in range(boxes.shape[1]):
        if not bool(present[0, n]):
            continue
        anchor = box_token_indices(boxes[0, n], h, w).to(q.device)
        for c in range(chunks):
            frame_list = [t for t in range(1, frames) if bool(present[t, n]) and bool(enabled[c, t])]
            if not frame_list:
                continue
            r0 = c * frames
            k0, v0 = k[r0, anchor], v[r0, anchor]  # [A0, inner]
            targets = [box_token_indices(boxes[t, n], h, w).to(q.device) for t in frame_list]
            longest = max(len(i) for i in targets)
            padded = torch.stack([torch.cat([i, i[:1].expand(longest - len(i))]) for i in targets])  # [F, L]
            r = torch.tensor([r0 + t for t in frame_list], device=q.device)
            q_sel = q[r[:, None], padded]  # [F, L, inner]
            k_joint = torch.cat([k[r], k0[None].expand(len(frame_list), -1, -1)], dim=1)
            v_joint = torch.cat([v[r], v0[None].expand(len(frame_list), -1, -1)], dim=1)
            mask = torch.zeros(1, 1, k_joint.shape[1], dtype=q.dtype, device=q.device)
            mask[..., h * w:] = bias
            joint = attention(q_sel, k_joint, v_joint, heads, mask=mask, attn_precision=attn_precision,
                              transformer_options=options)
            for i, idx in enumerate(targets):
                out[r[i], idx] = joint[i, : len(idx)]
    return out

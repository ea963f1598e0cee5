"""A box-masked fuser's attention without its dense mask: the queries in chunks, each with its own slice of the mask.

The box-masked fuser (:mod:`.fuser`) lets visual token ``i`` attend to every visual token and to object token ``s``
only where ``s``'s box holds ``i``::

    out_i = softmax_j(q_i · k_j / √d + m_ij) · v        j over [visual ; objects],
    m_ij  = 0 for a visual key, 0 / −∞ for an object key (inside / outside its box)

Only visual tokens are queries (the fuser keeps just the visual rows of the output, so the object rows are never
computed, masked or not). Written out, ``m`` is ``[R, N, N + S]``: 28 × 9216 × 9236 elements, 4.4 GiB in fp16, at
SVD's level 0 (14 frames, cond + uncond, 576 × 1024). What varies in it is only the ``[R, N, S]`` box part.

Every query row is computed independently of the others, so splitting the queries into chunks of ``c`` rows and
attending each chunk to all keys with its ``[R, c, N + S]`` slice of ``m`` gives exactly the dense result; each chunk
goes through the host's masked attention (ComfyUI's ``optimized_attention_masked``: SDPA, xformers … as for the
model's own attention). ``c`` is chosen so that one chunk's mask holds at most ``max(MASK_FLOOR, q.numel() //
MASK_SHARE)`` elements — a quarter of the query tensor — so the memory grows with the visual tokens (× channels, × the
object tokens through the box part), never with their square. A mask under ``MASK_FLOOR`` elements (every toy-sized
model) is one chunk: one attention call, as before this module existed.
"""

from __future__ import annotations

import torch

MASK_SHARE = 4  # one chunk's mask is at most 1/MASK_SHARE of the queries' elements ...
MASK_FLOOR = 1 << 22  # ... or this many elements (8 MiB in fp16), whichever is larger


def query_chunk(rows: int, queries: int, keys: int, budget: int) -> int:
    """The number of query rows per chunk so that a chunk's ``[rows, c, keys]`` mask holds at most ``budget``
    elements (at least 1, at most ``queries``)."""
    return max(1, min(queries, budget // max(1, rows * keys)))


def additive_mask(inside: torch.Tensor, visual_keys: int, dtype: torch.dtype) -> torch.Tensor:
    """``[R, c, N + S]``: 0 for the ``N`` visual keys, 0 / −∞ for the object keys by ``inside`` (``bool[R, c, S]``)."""
    rows, count, slots = inside.shape
    mask = torch.zeros((rows, count, visual_keys + slots), dtype=dtype, device=inside.device)
    mask[:, :, visual_keys:].masked_fill_(~inside, float("-inf"))
    return mask


def box_masked_attention(q, k, v, inside: torch.Tensor, heads: int, attention, budget: int | None = None, **kwargs):
    """``attention(q, k, v, heads, mask=m)`` for the box mask ``m`` above, computed in query chunks.

    ``q`` ``[R, N, H·d]`` (the visual queries), ``k`` / ``v`` ``[R, N + S, H·d]`` (visual keys first, then the object
    keys), ``inside`` ``bool[R, N, S]``; ``attention`` the host's masked attention (additive mask), ``kwargs`` passed to
    it (``attn_precision``, ``transformer_options``). ``budget``: the most mask elements per chunk (default
    ``max(MASK_FLOOR, q.numel() // MASK_SHARE)``)."""
    rows, queries = q.shape[:2]
    keys = k.shape[1]
    visual = keys - inside.shape[-1]
    if visual != queries:
        raise ValueError(f"{queries} queries but {visual} visual keys: the keys must be [visual ; objects]")
    if budget is None:
        budget = max(MASK_FLOOR, q.numel() // MASK_SHARE)
    chunk = query_chunk(rows, queries, keys, budget)
    if chunk >= queries:
        return attention(q, k, v, heads, mask=additive_mask(inside, visual, q.dtype), **kwargs)
    out = None
    for start in range(0, queries, chunk):
        end = min(start + chunk, queries)
        part = attention(q[:, start:end], k, v, heads, mask=additive_mask(inside[:, start:end], visual, q.dtype),
                         **kwargs)
        if out is None:
            out = part.new_empty((rows, queries, part.shape[-1]))
        out[:, start:end] = part
        del part
    return out

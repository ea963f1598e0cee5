"""A box-masked fuser's attention computed in query chunks equals the attention under the dense mask."""

from __future__ import annotations

import pytest
import torch

from trackdiff_core.trackdiffusion import GatedSelfAttentionFuser, naive_attention, sdpa_attention
from trackdiff_core.trackdiffusion.box_masked_attention import MASK_FLOOR, box_masked_attention, query_chunk
from trackdiff_core.trackdiffusion.instance_enhancer import box_token_mask


def dense_mask(inside: torch.Tensor) -> torch.Tensor:
    """The mask written out as the fuser's docstring states it: ``[R, N, N + S]``, every visual key allowed, an
    object key only where its box holds the query's token; 0 where allowed, −∞ elsewhere."""
    rows, tokens, _ = inside.shape
    allowed = torch.cat([torch.ones(rows, tokens, tokens, dtype=torch.bool), inside], dim=-1)
    return torch.where(allowed, 0.0, float("-inf"))


def boxes_on_grid(rows: int, h: int, w: int, seed: int = 0):
    """Three boxes per row, the last row without any (the unconditional half), one box hidden on row 0."""
    gen = torch.Generator().manual_seed(seed)
    corner = torch.rand(rows, 3, 2, generator=gen) * 0.6
    boxes = torch.cat([corner, corner + 0.1 + torch.rand(rows, 3, 2, generator=gen) * 0.3], dim=-1)
    present = torch.ones(rows, 3, dtype=torch.bool)
    present[-1] = False
    present[0, 1] = False
    return boxes, present, box_token_mask(boxes, present, h, w)


@pytest.mark.parametrize("budget", [None, 1, 5 * 3 * 43, 7 * 3 * 43, 10**9], ids=["default", "one-row", "five-rows",
                                                                                 "uneven", "whole"])
def test_chunked_box_masked_attention_equals_the_dense_mask(budget):
    rows, h, w, heads, d = 3, 5, 8, 2, 8  # 40 visual tokens, 3 object tokens
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(rows, h * w, heads * d, generator=gen)
    k, v = (torch.randn(rows, h * w + 3, heads * d, generator=gen) for _ in range(2))
    _, _, inside = boxes_on_grid(rows, h, w)
    assert inside[0].any() and not inside[-1].any()
    reference = naive_attention(q, k, v, heads, mask=dense_mask(inside))
    out = box_masked_attention(q, k, v, inside, heads, sdpa_attention, budget)
    assert torch.allclose(out, reference, atol=1e-5)
    if budget is not None and budget < 10**9:  # the dense mask never exists: each call got its own slice
        assert query_chunk(rows, h * w, h * w + 3, budget) < h * w


def test_a_box_masked_fuser_over_many_tokens_attends_in_chunks_as_under_the_dense_mask():
    """At 48×48 tokens the mask is over ``MASK_FLOOR`` elements: the fuser splits its queries, and its attention is
    still the dense mask's (queries are the visual tokens only, as for the authors' fuser)."""
    torch.manual_seed(0)
    fuser = GatedSelfAttentionFuser(16, 12, 2, 8, box_mask=True)
    rows, h, w = 2, 48, 48
    x = torch.randn(rows, h * w, 16)
    objs = torch.randn(rows, 3, 12)
    boxes, present, inside = boxes_on_grid(rows, h, w, seed=2)
    assert rows * h * w * (h * w + 3) > MASK_FLOOR
    calls = []

    def counting(q, k, v, heads, mask=None, **kwargs):
        calls.append((q.shape[1], None if mask is None else tuple(mask.shape)))
        return sdpa_attention(q, k, v, heads, mask=mask)

    def dense(q, k, v, heads, **kwargs):
        return naive_attention(q, k, v, heads, mask=dense_mask(inside))

    with torch.no_grad():
        chunked = fuser.attend(x, objs, counting, inside=fuser.box_inside(x, (h, w), boxes, present))
        reference = fuser.attend(x, objs, dense)
    assert len(calls) > 1 and sum(c[0] for c in calls) == h * w
    assert all(shape[1] * shape[2] * rows <= MASK_FLOOR for _, shape in calls)
    assert torch.allclose(chunked, reference, atol=1e-5)

"""TrackDiffusion's modules in plain torch: box encoder, fuser, slots, RoIAlign, Instance Enhancer, consistency."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trackdiff_core import TrackDiffError, Tracklets
from trackdiff_core.trackdiffusion import (BoxEncoder, BoxLayout, GatedSelfAttentionFuser, InstanceEnhancer,
                                           TrackDiffusionModules, anchored_self_attention, fourier_features,
                                           infer_layout, naive_attention, roi_align, slot_boxes)
from trackdiff_core.trackdiffusion.instance_consistency import box_token_indices
from trackdiff_core.trackdiffusion.weights import FuserDims


def seeded(module: torch.nn.Module, seed: int = 0, gates: float | None = 0.7) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * (0.3 if p.ndim else 1.0))
            if "norm" in name and name.endswith("weight"):
                p.add_(1.0)
            if gates is not None and (name.endswith("alpha_attn") or name.endswith("alpha_dense") or name.endswith("gate")):
                p.fill_(gates)
    return module


# -- box encoder ---------------------------------------------------------------------------------------------------------
def test_fourier_features_follow_gligen_order():
    values = torch.tensor([[0.1, 0.2, 0.7, 0.9]])
    out = fourier_features(values, 8)
    assert out.shape == (1, 64)
    for k in range(8):
        f = 100 ** (k / 8)
        block = out[0, k * 8:(k + 1) * 8]
        expect = [math.sin(f * v) for v in values[0]] + [math.cos(f * v) for v in values[0]]
        assert torch.allclose(block, torch.tensor(expect), atol=1e-5)


@pytest.mark.parametrize("kind,positive,position", [("fourier7", 0, 112), ("rgb_positive", 3, 64), ("fourier4", 0, 64)])
def test_layout_is_read_from_shapes(kind, positive, position):
    shapes = {"linears.0.weight": (512, positive + position), "linears.2.weight": (512, 512),
              "linears.4.weight": (1024, 512), "null_position_feature": (position,)}
    if positive:
        shapes["null_positive_feature"] = (positive,)
    layout = infer_layout(shapes)
    assert layout == BoxLayout(kind, 8, 512, 1024) and layout.input_dim == positive + position


@pytest.mark.parametrize("shapes,needle", [
    ({"linears.0.weight": (512, 832), "linears.2.weight": (512, 512), "linears.4.weight": (1024, 512),
      "null_positive_feature": (768,), "null_position_feature": (64,)}, "cannot fill"),
    ({"linears.0.weight": (512, 100), "linears.2.weight": (512, 512), "linears.4.weight": (1024, 512)}, "not a multiple"),
    ({"linears.0.weight": (512, 112), "linears.2.weight": (256, 512), "linears.4.weight": (1024, 512)}, "do not chain"),
    ({"linears.0.weight": (512, 112), "linears.2.weight": (512, 512), "linears.4.weight": (1024, 512),
      "null_position_feature": (64,)}, "do not add up"),
    ({"linears.0.weight": (512, 112), "linears.2.weight": (512, 512)}, "lacks linears.4.weight"),
    ({"linears.0.weight": (512, 64), "linears.2.weight": (512, 512), "linears.4.weight": (1024, 512),
      "null_text_feature": (768,)}, "does not know"),
])
def test_unusable_position_nets_are_clear_errors(shapes, needle):
    with pytest.raises(TrackDiffError, match=needle):
        infer_layout(shapes)


@pytest.mark.parametrize("kind", ["fourier7", "rgb_positive", "fourier4"])
def test_box_encoder_math_and_null_features(kind):
    layout = BoxLayout(kind, 8, 16, 12)
    encoder = seeded(BoxEncoder(layout))
    boxes = torch.rand(3, 5, 4)
    colors = torch.rand(3, 5, 3)
    present = torch.tensor([[1, 1, 0, 1, 0]] * 3, dtype=torch.bool)
    out = encoder(boxes, colors, present)
    assert out.shape == (3, 5, 12)
    # Written out for one present and one absent slot.
    numbers = torch.cat([boxes, colors], -1) if kind == "fourier7" else boxes
    e_present = fourier_features(numbers[0, 0], 8)
    e_absent = encoder.null_position_feature.detach()
    if kind == "rgb_positive":
        e_present = torch.cat([colors[0, 0], e_present])
        e_absent = torch.cat([encoder.null_positive_feature.detach(), e_absent])
    with torch.no_grad():
        assert torch.allclose(out[0, 0], encoder.linears(e_present), atol=1e-5)
        assert torch.allclose(out[0, 2], encoder.linears(e_absent), atol=1e-5)
    # An absent slot does not depend on its box (or colour); the colour matters exactly when the layout uses it.
    moved = boxes.clone()
    moved[:, 2] = torch.rand(3, 4)
    assert torch.equal(encoder(moved, colors, present)[:, 2], out[:, 2])
    recolored = encoder(boxes, torch.rand(3, 5, 3), present)
    assert torch.equal(recolored[:, 0], out[:, 0]) == (not layout.uses_color)


# -- fuser ---------------------------------------------------------------------------------------------------------------
def reference_fuser(f: GatedSelfAttentionFuser, x, objs, strength):
    """GLIGEN's formula with the concatenation written out and a plain softmax."""
    with torch.no_grad():
        u = f.linear(objs)
        n = f.norm1(torch.cat([x, u], dim=1))
        attn = naive_attention(f.attn.to_q(n), f.attn.to_k(n), f.attn.to_v(n), f.heads)
        x = x + strength * math.tanh(float(f.alpha_attn)) * f.attn.to_out[0](attn)[:, : x.shape[1]]
        return x + strength * math.tanh(float(f.alpha_dense)) * f.ff(f.norm2(x))


def test_fuser_matches_gligen_formula():
    fuser = seeded(GatedSelfAttentionFuser(32, 24, 2, 16))
    x, objs = torch.randn(4, 36, 32), torch.randn(4, 20, 24)
    with torch.no_grad():
        out = fuser(x, objs, strength=0.8)
    assert torch.allclose(out, reference_fuser(fuser, x, objs, 0.8), atol=1e-5)
    assert not torch.allclose(out, x, atol=1e-3)


def test_untrained_or_zero_strength_fuser_is_exactly_the_identity():
    x, objs = torch.randn(4, 36, 32), torch.randn(4, 20, 24)
    untrained = GatedSelfAttentionFuser(32, 24, 2, 16)  # gates initialised to 0
    assert torch.equal(untrained(x, objs), x)
    trained = seeded(GatedSelfAttentionFuser(32, 24, 2, 16))
    assert torch.equal(trained(x, objs, strength=0.0), x)


def test_fuser_uses_the_attention_function_it_is_given():
    calls = []

    def counting(q, k, v, heads, mask=None, **kwargs):
        calls.append((q.shape, k.shape, heads, kwargs.get("transformer_options")))
        return naive_attention(q, k, v, heads, mask)

    fuser = seeded(GatedSelfAttentionFuser(32, 24, 2, 16))
    fuser(torch.randn(3, 10, 32), torch.randn(3, 20, 24), attention=counting, transformer_options={"x": 1})
    assert calls == [(torch.Size([3, 10, 32]), torch.Size([3, 30, 32]), 2, {"x": 1})]


# -- slots ---------------------------------------------------------------------------------------------------------------
def two_objects(frames=5):
    boxes = np.zeros((frames, 2, 4), dtype=np.float32)
    boxes[:, 0] = [0.1, 0.1, 0.4, 0.5]
    boxes[:, 1] = np.linspace([0.5, 0.5, 0.7, 0.8], [0.2, 0.3, 0.5, 0.6], frames)
    visible = np.ones((frames, 2), dtype=bool)
    visible[-1, 1] = False
    return Tracklets(boxes, visible, colors=["#ff0000", "#00ff00"])


def test_slots_keep_object_identity_and_pad_with_absent_slots():
    slots = slot_boxes(two_objects(), 20)
    assert slots.boxes.shape == (5, 20, 4) and slots.present.shape == (5, 20)
    assert slots.present[:, :2].sum() == 9 and not slots.present[:, 2:].any()
    assert torch.allclose(slots.colors[:, 0], torch.tensor([1.0, 0, 0])) and torch.allclose(slots.colors[:, 1], torch.tensor([0, 1.0, 0]))


def test_frame_policy_resamples_or_refuses(caplog):
    tracklets = two_objects(5)
    slots = slot_boxes(tracklets, 20, frames=9)
    assert slots.frames == 9 and torch.allclose(slots.boxes[-1, 1], torch.tensor([0.2, 0.3, 0.5, 0.6]))
    assert "resampled" in caplog.text
    with pytest.raises(TrackDiffError, match="does not match the video's 9 frames.*frame_mismatch"):
        slot_boxes(tracklets, 20, frames=9, frame_policy="error")
    assert slot_boxes(tracklets, 20, frames=5, frame_policy="error").frames == 5


def test_too_many_objects_or_none_are_clear_errors():
    with pytest.raises(TrackDiffError, match="more objects than the weights' 1 slots"):
        slot_boxes(two_objects(), 1)
    empty = Tracklets(np.zeros((4, 0, 4)))
    with pytest.raises(TrackDiffError, match="has no objects.*bypass"):
        slot_boxes(empty, 20)
    with pytest.raises(TrackDiffError, match="is not TRACKLETS"):
        slot_boxes({"boxes": []}, 20)


def test_object_tokens_give_null_tokens_to_rows_without_boxes():
    layout = BoxLayout("fourier7", 8, 16, 12)
    modules = seeded(TrackDiffusionModules(layout, {}, {}))
    slots = slot_boxes(two_objects(), 20)
    rows = torch.tensor([False] * 5 + [True] * 5)  # uncond chunk first, as ComfyUI orders [uncond, cond] sometimes
    with torch.no_grad():
        tokens = modules.object_tokens(slots, rows)
        null = modules.position_net(slots.boxes[:1], slots.colors[:1], torch.zeros(1, 20, dtype=torch.bool))
        boxed = modules.position_net(slots.boxes, slots.colors, slots.present)
    assert tokens.shape == (10, 20, 12)
    assert torch.equal(tokens[:5], null.expand(5, -1, -1)) and torch.equal(tokens[5:], boxed)


# -- RoIAlign --------------------------------------------------------------------------------------------------------------
def bilinear(feat, x, y):
    """The value at continuous point (x, y) (pixel centres at +0.5), zero outside, as torchvision's RoIAlign."""
    c, h, w = feat.shape
    x, y = x - 0.5, y - 0.5
    x0, y0 = math.floor(x), math.floor(y)
    out = torch.zeros(c, dtype=torch.float64)
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += wy * wx * feat[:, yy, xx].double()
    return out


def test_roi_align_matches_a_brute_force_sampling():
    gen = torch.Generator().manual_seed(3)
    feat = torch.randn(2, 3, 6, 8, generator=gen)
    boxes = torch.tensor([[[0.1, 0.2, 0.6, 0.9], [0.0, 0.0, 1.0, 1.0]], [[0.3, 0.1, 0.35, 0.4], [0.5, 0.5, 0.9, 0.6]]])
    out = roi_align(feat, boxes, bins=2, sampling_ratio=2)
    assert out.shape == (2, 2, 3, 2, 2)
    for r in range(2):
        for s in range(2):
            x1, y1, x2, y2 = (boxes[r, s] * torch.tensor([8, 6, 8, 6])).tolist()
            for by in range(2):
                for bx in range(2):
                    pts = [bilinear(feat[r], x1 + (x2 - x1) * (bx * 2 + sx + 0.5) / 4, y1 + (y2 - y1) * (by * 2 + sy + 0.5) / 4)
                           for sy in range(2) for sx in range(2)]
                    assert torch.allclose(out[r, s, :, by, bx].double(), torch.stack(pts).mean(0), atol=1e-5)


# -- Instance Enhancer -------------------------------------------------------------------------------------------------------
def enhancer_inputs(frames=4, chunks=2, h=6, w=8, slots=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(chunks * frames, h * w, 32, generator=gen)
    lo = torch.rand(chunks * frames, slots, 2, generator=gen) * 0.5
    boxes = torch.cat([lo, lo + 0.2 + 0.3 * torch.rand(chunks * frames, slots, 2, generator=gen)], -1).clamp(0, 1)
    present = torch.rand(chunks * frames, slots, generator=gen) > 0.3
    return x, boxes, present, frames, (h, w)


def test_untrained_instance_enhancer_is_exactly_the_identity():
    enhancer = InstanceEnhancer(32, 2, 16)
    x, boxes, present, frames, hw = enhancer_inputs()
    assert torch.equal(enhancer(x, boxes, present, frames, hw), x)


def test_instance_enhancer_is_trainable_and_local():
    torch.manual_seed(0)
    enhancer = InstanceEnhancer(32, 2, 16)
    x, boxes, present, frames, hw = enhancer_inputs()
    target = torch.randn_like(x)
    optimizer = torch.optim.Adam(enhancer.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = (enhancer(x, boxes, present, frames, hw) - target).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert float(enhancer.gate.detach()) != 0.0 and losses[-1] < losses[0]
    with torch.no_grad():
        # A frame with no present object only gets the null token's contribution, the same for all its tokens.
        empty = present.clone()
        empty[1] = False
        delta = enhancer(x, boxes, empty, frames, hw) - x
        assert torch.allclose(delta[1], delta[1, :1].expand_as(delta[1]), atol=1e-5)
        assert torch.isfinite(enhancer(x, boxes, torch.zeros_like(present), frames, hw)).all()


def test_instance_tokens_attend_only_to_frames_where_the_object_is_present():
    enhancer = seeded(InstanceEnhancer(32, 2, 16))
    x, boxes, present, frames, hw = enhancer_inputs(chunks=1)
    present[:, 0] = torch.tensor([True, False, True, True])
    with torch.no_grad():
        base = enhancer.instance_tokens(x, boxes, present, frames, hw)
        changed = x.clone()
        changed[1] = torch.randn_like(x[1])  # frame 1, where object 0 is absent
        again = enhancer.instance_tokens(changed, boxes, present, frames, hw)
    assert torch.allclose(base[[0, 2, 3], 0], again[[0, 2, 3], 0], atol=1e-6)
    assert not torch.allclose(base[1, 0], again[1, 0])


# -- training-free consistency -----------------------------------------------------------------------------------------------
def test_box_token_indices_cover_the_box_and_never_come_back_empty():
    assert box_token_indices([0.0, 0.0, 0.5, 0.5], 4, 4).tolist() == [0, 1, 4, 5]
    assert box_token_indices([0.6, 0.6, 0.61, 0.61], 4, 4).tolist() == [10]


def test_anchored_attention_math_and_locality():
    gen = torch.Generator().manual_seed(1)
    frames, h, w, heads, inner = 3, 4, 4, 2, 16
    q, k, v = (torch.randn(2 * frames, h * w, inner, generator=gen) for _ in range(3))
    boxes = torch.tensor([[[0.0, 0.0, 0.5, 0.5]], [[0.25, 0.25, 0.75, 0.75]], [[0.5, 0.5, 1.0, 1.0]]])
    present = torch.ones(frames, 1, dtype=torch.bool)
    rows = torch.tensor([False] * frames + [True] * frames)
    base = naive_attention(q, k, v, heads)
    out = anchored_self_attention(q, k, v, heads, boxes, present, frames, (h, w), 2.0, rows, attention=naive_attention)
    assert torch.equal(anchored_self_attention(q, k, v, heads, boxes, present, frames, (h, w), 0.0, rows,
                                               attention=naive_attention), base)
    assert torch.equal(out[:frames], base[:frames])  # rows without boxes
    assert torch.equal(out[frames], base[frames])  # frame 0 is the anchor itself
    anchor = box_token_indices(boxes[0, 0], h, w)
    for t in (1, 2):
        r = frames + t
        inside = box_token_indices(boxes[t, 0], h, w)
        outside = [i for i in range(h * w) if i not in inside.tolist()]
        assert torch.equal(out[r, outside], base[r, outside])
        k_joint = torch.cat([k[r], k[frames, anchor]])[None]
        v_joint = torch.cat([v[r], v[frames, anchor]])[None]
        mask = torch.zeros(1, 1, k_joint.shape[1])
        mask[..., h * w:] = math.log(2.0)
        expect = naive_attention(q[r, inside][None], k_joint, v_joint, heads, mask)[0]
        assert torch.allclose(out[r, inside], expect, atol=1e-5)
        assert not torch.allclose(out[r, inside], base[r, inside], atol=1e-4)


def test_modules_refuse_weights_for_another_width():
    layout = BoxLayout("fourier7", 8, 16, 12)
    with pytest.raises(TrackDiffError, match="do not match the model's block"):
        TrackDiffusionModules(layout, {"input_1": FuserDims(320, 12, 1280)}, {"input_1": (2, 16)})


def first_appearance_reference(visible: np.ndarray) -> list[int]:
    """The rule as mmtracking's YouTube-VIS converter numbered the authors' instances: walk the frames in order and,
    within a frame, the objects in document order; an object takes the next slot the first time it has a box."""
    order: list[int] = []
    for frame in range(visible.shape[0]):
        for obj in range(visible.shape[1]):
            if visible[frame, obj] and obj not in order:
                order.append(obj)
    return order


def slot_order_document():
    """Five objects on a 20-frame timeline whose id order (E B D C A), document order (A B C D E) and first-appearance
    order at 14 frames (C, then A and D on the same frame, then B; E is on frame 5 only, which 14 frames never
    sample) all differ."""
    from trackdiff_core.tracklet_document import TrackletDocument

    def obj(obj_id, color, visibility, x):
        return {"id": obj_id, "label": "", "color": color, "visibility": visibility,
                "keyframes": [{"frame": 0, "box": [x, 0.1, x + 0.1, 0.3]}, {"frame": 19, "box": [x, 0.5, x + 0.1, 0.7]}]}

    return TrackletDocument.parse({"version": 1, "kind": "tracklets", "frame_count": 20, "objects": [
        obj(7, "#ff0000", [[6, 19]], 0.0), obj(2, "#00ff00", [[10, 19]], 0.2), obj(5, "#0000ff", [[0, 19]], 0.4),
        obj(3, "#ffff00", [[6, 19]], 0.6), obj(1, "#00ffff", [[5, 5]], 0.8)]})


def test_slots_go_to_the_objects_in_order_of_first_appearance_on_the_frames_the_model_runs():
    """With an instance embedding slot k means "the k-th object to appear" (how the authors' ids were made), so the
    slots follow first appearance after resampling to the model's frames, ties in document order; ids (drawing order)
    play no part, and an object no sampled frame shows takes no slot."""
    tracklets = slot_order_document().to_tracklets()
    resampled = tracklets.resample(14)
    expected = first_appearance_reference(resampled.visible)
    ids = list(tracklets.ids)
    assert [ids[i] for i in expected] == [5, 7, 3, 2]  # C, A, D, B
    assert sorted(ids) != [ids[i] for i in expected] and expected != sorted(expected)  # neither id nor document order
    assert tracklets.visible[:, 4].any() and not resampled.visible[:, 4].any()  # E: shown at 20 frames, not at 14
    slots = slot_boxes(tracklets, 20, frames=14)
    n = len(expected)
    np.testing.assert_array_equal(slots.boxes[:, :n].numpy(), resampled.boxes[:, expected])
    np.testing.assert_array_equal(slots.present[:, :n].numpy(), resampled.visible[:, expected])
    np.testing.assert_allclose(slots.colors[0, :n].numpy(), np.asarray(resampled.colors)[expected])
    assert not slots.present[:, n:].any()
    at_own_count = slot_boxes(tracklets, 20)  # at the document's 20 frames E is shown (frame 5) and takes a slot
    own = first_appearance_reference(tracklets.visible)
    assert [ids[i] for i in own] == [5, 1, 7, 3, 2]
    np.testing.assert_array_equal(at_own_count.present[:, :5].numpy(), tracklets.visible[:, own])


def test_training_gives_slots_by_the_same_rule_on_the_boxes_its_crop_shows():
    """``clip_slots`` (both box training tasks) orders as the node does, and after the centre crop to the training
    size: an object outside the crop on its first frames appears later, one never inside takes no slot."""
    from trackdiff_core.training.box_tracklets import clip_from_boxes, clip_slots

    tracklets = slot_order_document().to_tracklets(14)
    frames = np.zeros((14, 32, 64, 3), np.uint8)  # 2:1, cropped to a centred square: x in [0.25, 0.75] is kept
    uncropped = clip_slots(clip_from_boxes(frames, tracklets), 20, None, "the test")
    expected = first_appearance_reference(tracklets.visible)
    np.testing.assert_array_equal(uncropped.present[:, :len(expected)].numpy(), tracklets.visible[:, expected])
    np.testing.assert_array_equal(uncropped.boxes[:, :len(expected)].numpy(), tracklets.boxes[:, expected])
    # P outside the crop until frame 6, Q in it from frame 3, R never in it (all three visible on their frames).
    boxes = np.zeros((14, 3, 4), np.float32)
    boxes[:, 0] = [0.0, 0.2, 0.1, 0.4]
    boxes[6:, 0] = [0.4, 0.2, 0.5, 0.4]
    boxes[:, 1] = [0.5, 0.5, 0.6, 0.7]
    boxes[:, 2] = [0.85, 0.1, 0.95, 0.3]
    visible = np.ones((14, 3), bool)
    visible[:3, 1] = False
    crop_clip = clip_from_boxes(frames, Tracklets(boxes, visible, ids=[1, 2, 3]))
    assert first_appearance_reference(visible) == [0, 2, 1]  # P, R, Q in the whole frame ...
    in_crop = visible & (boxes[..., 2] > 0.25) & (boxes[..., 0] < 0.75)
    expected = first_appearance_reference(in_crop)
    assert expected == [1, 0]  # ... Q, P in the crop the model is trained on
    cropped = clip_slots(crop_clip, 20, (32, 32), "the test")
    np.testing.assert_array_equal(cropped.present[:, :2].numpy(), in_crop[:, expected])
    assert not cropped.present[:, 2:].any()


def test_instance_embedding_rows_are_read_from_the_shapes():
    from trackdiff_core.trackdiffusion.box_encoder import infer_layout

    shapes = {"linears.0.weight": (32, 112), "linears.2.weight": (32, 32), "linears.4.weight": (24, 32),
              "null_position_feature": (112,), "instance_embedding.weight": (20, 24)}
    assert infer_layout(shapes).instance_slots == 20
    with pytest.raises(TrackDiffError, match="instance_embedding.weight"):
        infer_layout({**shapes, "instance_embedding.weight": (20, 23)})


def test_query_positions_let_a_token_find_the_box_that_holds_it():
    """With query positions the fuser's output at a token depends on where the token is; the same content at another
    cell gives another output. Without them the fuser is permutation-equivariant over the tokens (it cannot know)."""
    from trackdiff_core.trackdiffusion.fuser import QUERY_POSITION_WIDTH, cell_centres

    assert torch.allclose(cell_centres(2, 3), torch.tensor([[1 / 6, 0.25], [0.5, 0.25], [5 / 6, 0.25],
                                                            [1 / 6, 0.75], [0.5, 0.75], [5 / 6, 0.75]]))
    x = torch.randn(1, 1, 32).repeat(2, 12, 1)  # every token the same content
    objs = torch.randn(2, 5, 24)
    plain = seeded(GatedSelfAttentionFuser(32, 24, 2, 16))
    placed = seeded(GatedSelfAttentionFuser(32, 24, 2, 16, query_position=QUERY_POSITION_WIDTH))
    with torch.no_grad():
        same = plain(x, objs)
        where = placed(x, objs, hw=(3, 4))
    assert torch.allclose(same, same[:, :1].expand_as(same), atol=1e-5)
    assert (where - where[:, :1]).abs().amax(dim=(0, 2))[1:].min() > 1e-3  # every cell differs from the first
    untrained = GatedSelfAttentionFuser(32, 24, 2, 16, query_position=QUERY_POSITION_WIDTH)
    assert torch.equal(untrained(x, objs, hw=(3, 4)), x)  # zero gates: still exactly the identity
    with pytest.raises(TrackDiffError, match="no token grid"):
        placed(x, objs)  # the grid is needed
    with pytest.raises(TrackDiffError, match="no token grid"):
        placed(x, objs, hw=(4, 4))


def test_a_box_masked_fuser_brings_a_box_only_to_the_tokens_inside_it():
    """With ``box_mask`` a visual token attends to the object tokens whose box holds it and to no other: changing an
    object's token changes the fuser's output inside its box and nowhere else; a token in no box ignores every object."""
    fuser = seeded(GatedSelfAttentionFuser(32, 24, 2, 16, box_mask=True))
    x = torch.randn(1, 16, 32, generator=torch.Generator().manual_seed(3))  # a 4×4 grid
    objs = torch.randn(1, 2, 24, generator=torch.Generator().manual_seed(4))
    boxes = torch.tensor([[[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]]])  # top-left and bottom-right quarters
    present = torch.tensor([[True, True]])
    run = lambda o, p=present: fuser(x, o, hw=(4, 4), boxes=boxes, present=p)  # noqa: E731
    with torch.no_grad():
        base = run(objs)
        changed = objs.clone()
        changed[0, 0] += 1.0  # the top-left object's token
        moved = (run(changed) - base).abs().amax(dim=-1)[0].view(4, 4)
    inside = torch.zeros(4, 4, dtype=torch.bool)
    inside[:3, :3] = True  # the box grown by half a token (the Instance Enhancer's margin) holds the 3×3 corner
    assert (moved[inside] > 1e-4).all() and (moved[~inside] == 0).all()
    with torch.no_grad():  # no box present: the object tokens reach nothing
        hidden = torch.tensor([[False, False]])
        assert torch.equal(run(objs, hidden), run(changed, hidden))
    with pytest.raises(TrackDiffError, match="no boxes or token grid"):
        fuser(x, objs, hw=(4, 4))

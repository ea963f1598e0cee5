"""Cost budgets on the exact (meta-device, full-size SVD) counts, and proof that the counter catches an attention
that bypasses ComfyUI's dispatcher. The wall-clock ratio is reported by `python -m bench`, never asserted."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def exact(pack):
    from bench.exact import ExactBench

    return ExactBench(pack)


@pytest.fixture(scope="module")
def shape():
    from bench.exact import Shape

    return Shape(14, 576, 1024)


def test_stock_matches_the_known_cost(exact):
    from bench.exact import Shape

    stock = exact.stock(Shape(25, 576, 1024, chunks=1))
    assert exact.parameters == 1_524_623_082
    assert stock.flops / 1e12 == pytest.approx(79.95, abs=0.01)  # one full SVD forward at 25×576×1024
    assert stock.attention_calls == 64  # 16 sites × (self, cross) × (spatial, temporal)


def test_identity_patch_costs_nothing(exact, shape):
    from bench.cases import Case, identity

    r = exact.ratio(Case("identity", identity), shape)
    assert r.flops == 1.0
    assert r.peak <= 1.08


def test_an_attention_that_bypasses_the_dispatcher_is_caught(exact, shape, pack):
    """A patch doing eager attention (materialising the score matrix) must show as a jump in peak memory."""
    import importlib

    from bench.cases import Case

    hooks = importlib.import_module(pack.__name__ + ".nodes.svd_hooks")

    def eager_self_attention(x, extra_options):
        if hooks.call_context(extra_options).temporal or x.shape[1] < 4096:
            return x
        heads = extra_options["n_heads"]
        b, n, c = x.shape
        q = x.view(b, n, heads, c // heads).transpose(1, 2)
        scores = torch.softmax(q @ q.transpose(-1, -2), dim=-1)  # [B, H, N, N]: what a fused kernel avoids
        return x + (scores @ q).transpose(1, 2).reshape(b, n, c) * 0

    def bypassing(pack_, model, *shape_args):
        patched = hooks.prepare_model(model)
        patched.set_model_patch(eager_self_attention, "middle_patch")
        return patched

    r = exact.ratio(Case("bypass", bypassing), shape)
    assert r.peak > 2.0, f"peak ratio {r.peak:.2f}: the counter no longer sees materialised attention"


@pytest.mark.parametrize("enhancer", [False, True], ids=["fusers", "fusers+enhancer"])
def test_instance_enhancer_within_budget(exact, shape, enhancer):
    from bench.cases import Case, trackdiffusion

    r = exact.ratio(Case("trackdiffusion", trackdiffusion(enhancer)), shape)
    assert r.flops <= 1.36, f"FLOPs {r.flops:.4f}x stock"
    assert r.peak <= 1.08, f"peak memory {r.peak:.4f}x stock"
    assert r.patched.attention_calls > r.stock.attention_calls  # the added attentions go through the dispatcher


def test_box_masked_fusers_run_at_full_size_within_budget(exact, shape):
    """The box-masked fusers' full-size forward (no refusal), with their mask built per query chunk: the FLOPs of the
    unmasked fusers and no (visual tokens)² mask in memory."""
    from bench.cases import Case, trackdiffusion

    r = exact.ratio(Case("box-masked", trackdiffusion(False, box_mask=True)), shape)
    plain = exact.ratio(Case("trackdiffusion", trackdiffusion(False)), shape)
    assert r.flops <= 1.35, f"FLOPs {r.flops:.4f}x stock"
    assert r.peak <= 1.01, f"peak memory {r.peak:.4f}x stock"
    assert r.patched.attention_calls > plain.patched.attention_calls  # the level-0 fusers attend in query chunks


def test_instance_enhancer_cost_is_flat_in_objects(exact, shape):
    from bench.cases import Case, trackdiffusion

    case = Case("trackdiffusion", trackdiffusion(False))
    flops = [exact.ratio(case, shape, objects).flops for objects in (1, 4, 16)]
    assert max(flops) - min(flops) < 1e-3  # every object takes a slot; the slots are always all there


def test_track_adapter_within_budget(exact, shape):
    from bench.cases import Case, trackgo

    r = exact.ratio(Case("trackgo", trackgo(True)), shape)
    assert r.flops <= 1.03, f"FLOPs {r.flops:.4f}x stock"
    assert r.peak <= 1.01, f"peak memory {r.peak:.4f}x stock"  # no activation held for the attn1_patch
    assert r.parameter_share <= 0.05, f"adapter is {100 * r.parameter_share:.2f} % of the UNet"
    assert r.patched.attention_calls == r.stock.attention_calls + 16  # one branch attention per temporal layer


def test_track_adapter_cost_is_flat_in_tracks(exact, shape):
    from bench.cases import Case, trackgo

    case = Case("trackgo", trackgo(True))
    flops = [exact.ratio(case, shape, objects).flops for objects in (1, 4, 16, 64)]
    assert max(flops) - min(flops) < 1e-3

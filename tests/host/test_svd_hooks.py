"""The shared SVD hook machinery (nodes/svd_hooks.py) on the real ComfyUI model and sampler."""

from __future__ import annotations

import importlib
from collections import Counter
from types import SimpleNamespace

import pytest
import torch


@pytest.fixture(scope="module")
def hooks(pack):
    return importlib.import_module(pack.__name__ + ".nodes.svd_hooks")


def test_sixteen_sites_with_real_widths(hooks, tiny_svd):
    sites = hooks.svd_sites(tiny_svd.model)
    assert [s.block for s in sites] == list(hooks.SVD_SITES) and len(sites) == 16
    assert sorted({s.channels for s in sites}) == [32, 64, 128]  # 320 / 640 / 1280 at a tenth of the width
    assert {s.d_head for s in sites} == {16} and {s.context_dim for s in sites} == {32}


def test_non_svd_model_is_a_clear_error(hooks, pack, comfy_lib):
    from comfy.ldm.modules.diffusionmodules.openaimodel import UNetModel

    errors = importlib.import_module(pack.__name__ + ".trackdiff_core.errors")
    from trackdiff_test_support.tiny_model import FULL_UNET_CONFIG

    config = {k: v for k, v in FULL_UNET_CONFIG.items() if k not in (
        "extra_ff_mix_layer", "use_spatial_context", "merge_strategy", "merge_factor", "video_kernel_size",
        "disable_temporal_crossattention")}
    config.update(use_temporal_resblock=False, use_temporal_attention=False, num_heads=-1, num_head_channels=16)
    image_unet = UNetModel(**config)  # the same UNet without its temporal layers (an image model)
    with pytest.raises(errors.TrackDiffError, match="is not Stable Video Diffusion.*Fix: connect an SVD"):
        hooks.svd_sites(SimpleNamespace(model=SimpleNamespace(diffusion_model=image_unet)))
    with pytest.raises(errors.TrackDiffError, match="is not a UNet model"):
        hooks.svd_sites(SimpleNamespace(model=torch.nn.Linear(2, 2)))


def test_prepare_never_mutates_the_given_model_and_is_idempotent(hooks, tiny_svd):
    model = tiny_svd.model
    before = (dict(model.object_patches), {k: dict(v) for k, v in model.wrappers.items()})
    once = hooks.prepare_model(model)
    twice = hooks.prepare_model(once)
    assert (dict(model.object_patches), {k: dict(v) for k, v in model.wrappers.items()}) == before
    markers = [k for k, v in twice.object_patches.items() if isinstance(v, hooks.TemporalMarker)]
    assert len(markers) == 16
    assert len(twice.get_wrappers("diffusion_model", hooks.STATE_KEY)) == 1
    # The marker wraps the original forward, not another marker.
    assert all(not isinstance(twice.object_patches[k].forward, hooks.TemporalMarker) for k in markers)


def record_middle_patch(model, calls):
    def record(x, extra_options):
        ctx = extra_options["trackdiff"]
        calls.append((extra_options["block"], extra_options["block_index"], ctx.temporal, tuple(x.shape), ctx.frames,
                      tuple(ctx.cond_or_uncond), tuple(extra_options["activations_shape"])))
        return x

    model.set_model_patch(record, "middle_patch")
    return model


def test_patches_tell_spatial_from_temporal_even_when_hw_equals_frames(hooks, tiny_svd):
    frames, size = 16, 128  # latent 16×16: at 4×4 sites h·w = 16 = T, so shapes alone are ambiguous
    calls: list = []
    model = record_middle_patch(hooks.prepare_model(tiny_svd.model), calls)
    tiny_svd.run(model, width=size, height=size, frames=frames, steps=1)
    per_site = Counter((c[0], c[2]) for c in calls)
    model_calls = len(calls) // 32
    assert model_calls >= 1 and len(calls) == 32 * model_calls
    for block in hooks.SVD_SITES:
        assert per_site[(block, False)] == per_site[(block, True)] == model_calls
    ambiguous = 0
    for block, index, temporal, shape, ctx_frames, kinds, act in calls:
        batch, tokens, _ = shape
        h, w = act[2], act[3]
        assert ctx_frames == frames and index == 0
        if temporal:
            assert tokens == frames and batch == act[0] // frames * h * w
        else:
            assert tokens == h * w and batch == act[0]
        ambiguous += h * w == frames
    assert ambiguous > 0, "the test must include sites where h·w == T"
    assert {c[5] for c in calls} <= {(0, 1), (1, 0), (0,), (1,)}


def test_identity_patch_reproduces_stock_bit_for_bit(hooks, tiny_svd):
    stock = tiny_svd.run(frames=6, steps=2)
    calls: list = []
    patched = tiny_svd.run(record_middle_patch(hooks.prepare_model(tiny_svd.model), calls), frames=6, steps=2)
    assert calls and torch.equal(stock, patched)


def test_attached_module_is_shared_by_clones(hooks, tiny_svd):
    module = torch.nn.Linear(4, 4)
    model = hooks.prepare_model(tiny_svd.model)
    patcher = hooks.attach_module(model, "test", module)
    clone = model.clone()
    (cloned,) = clone.get_additional_models_with_key("trackdiff_test")
    assert cloned is not patcher and cloned.model is module
    assert not tiny_svd.model.get_additional_models()


def test_sigma_window(hooks, tiny_svd):
    whole = hooks.SigmaWindow(tiny_svd.model, 0.0, 1.0)
    assert whole.contains(torch.tensor([700.0])) and whole.contains(torch.tensor([0.01]))
    late = hooks.SigmaWindow(tiny_svd.model, 0.5, 1.0)
    assert not late.contains(torch.tensor([700.0])) and late.contains(torch.tensor([0.01]))
    errors = importlib.import_module(hooks.__name__.rsplit(".", 2)[0] + ".trackdiff_core.errors")
    with pytest.raises(errors.TrackDiffError, match="start_percent below end_percent"):
        hooks.SigmaWindow(tiny_svd.model, 0.8, 0.2)

"""TrackGo's patch (nodes/trackgo_patch.py) on the real tiny SVD, sampled by ComfyUI's own KSampler machinery."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

import trackgo_helpers as th


@pytest.fixture(scope="module")
def m(pack):
    return th.modules(pack)


@pytest.fixture(scope="module")
def stock(tiny_svd):
    return tiny_svd.run(frames=6, steps=2)


@pytest.fixture(scope="module")
def tracks(m):
    return th.square_objects(m).to_tracks()


def apply(m, model, tracks, adapter=None, strength=1.0, tau=None, start=0.0, end=1.0):
    rt = th.runtime(m, tracks, adapter, strength, tau)
    return m["patch"].apply_trackgo(model, rt, start, end), rt


def test_untrained_adapter_at_tau_one_is_bit_identical(m, tiny_svd, stock, tracks):
    adapter = m["trackgo"].TrackAdapter(m["patch"].site_specs(tiny_svd.model), m["trackgo"].TrackGoConfig())
    patched, rt = apply(m, tiny_svd.model, tracks, adapter, tau=1.0)
    assert torch.equal(tiny_svd.run(patched, frames=6, steps=2), stock)
    assert rt.preparations == 1  # maps, features and masks built once for the whole sampling run


def test_untrained_adapter_adds_nothing_beyond_the_suppression(m, tiny_svd, tracks):
    adapter = m["trackgo"].TrackAdapter(m["patch"].site_specs(tiny_svd.model), m["trackgo"].TrackGoConfig())
    with_adapter, _ = apply(m, tiny_svd.model, tracks, adapter, tau=0.4)
    zero_weight, _ = apply(m, tiny_svd.model, tracks, None, tau=0.4)
    assert torch.equal(tiny_svd.run(with_adapter, frames=6, steps=2), tiny_svd.run(zero_weight, frames=6, steps=2))


def test_inert_cases_reproduce_stock(m, tiny_svd, stock, tracks):
    adapter = th.random_adapter(m, tiny_svd.model)
    node = m["nodes"].ApplyTrackAdapter
    model = node.execute(tiny_svd.model, tracks, 0.0, 0.3, 0.0, 1.0, adapter=adapter).args[0]
    assert model is tiny_svd.model  # strength 0: nothing patched at all
    empty = m["inputs"].build_objects(None, frame_count=6, width=64, height=64).to_tracks()
    assert node.execute(tiny_svd.model, empty, 1.0, 0.3, 0.0, 1.0, adapter=adapter).args[0] is tiny_svd.model
    assert node.execute(tiny_svd.model, tracks, 1.0, 1.0, 0.0, 1.0).args[0] is tiny_svd.model  # zero-weight, tau 1
    # A window that holds no step of the run also leaves every step stock.
    middle, _ = apply(m, tiny_svd.model, tracks, adapter, tau=0.3, start=0.4, end=0.6)  # holds neither 700 nor 0.002
    assert torch.equal(tiny_svd.run(middle, frames=6, steps=2), stock)


def test_trained_adapter_changes_the_video(m, tiny_svd, stock, tracks):
    adapter = th.random_adapter(m, tiny_svd.model)
    patched, _ = apply(m, tiny_svd.model, tracks, adapter, tau=1.0)
    out = tiny_svd.run(patched, frames=6, steps=2)
    assert out.shape == stock.shape and torch.isfinite(out).all()
    assert (out - stock).abs().max() > 1e-4


def test_fires_sixteen_times_per_call_only_on_temporal_tensors_even_when_hw_equals_t(m, tiny_svd, tracks):
    frames, size = 16, 128  # latent 16×16: at the 4×4 sites h·w == T == 16
    big = th.square_objects(m, width=size, height=size, frames=frames).to_tracks()
    adapter = th.random_adapter(m, tiny_svd.model)
    patched, rt = apply(m, tiny_svd.model, big, adapter, tau=0.5)
    calls = []
    merge, branch = rt.merge, rt.branch

    def spy_merge(key, y, call, attended):
        out = merge(key, y, call, attended)
        calls.append((key, tuple(y.shape), call.height, call.width, call.frames, tuple(call.kinds), attended is not None))
        per_chunk = call.height * call.width
        for index, kind in enumerate(call.kinds):  # unconditional rows come back untouched
            if kind == 1:
                rows = slice(index * per_chunk, (index + 1) * per_chunk)
                assert torch.equal(out[rows], y[rows])
        return out

    branches = []
    rt.merge = spy_merge
    rt.branch = lambda key, n, call: branches.append(key) or branch(key, n, call)
    tiny_svd.run(patched, width=size, height=size, frames=frames, steps=1, cfg=2.5)
    per_key = Counter(c[0] for c in calls)
    model_calls = len(calls) // 16
    assert model_calls >= 1 and len(calls) == 16 * model_calls and len(per_key) == 16
    assert set(per_key.values()) == {model_calls} and Counter(branches) == per_key
    ambiguous = 0
    for key, shape, h, w, t, kinds, has_branch in calls:
        assert t == frames and shape[1] == frames and shape[0] == len(kinds) * h * w  # [B·h·w, T, C]
        assert has_branch
        ambiguous += h * w == frames
    assert ambiguous > 0
    assert any(1 in c[5] for c in calls) and any(0 in c[5] for c in calls)  # both halves of the guidance were seen


def test_unconditional_half_is_stock(m, tiny_svd, tracks):
    """Documented choice: the unconditional prediction is stock SVD; only the conditional one is steered."""

    def predictions(model):
        seen = []

        def record(args):
            seen.append((args["cond_denoised"].clone(), args["uncond_denoised"].clone()))
            return args["denoised"]

        model = model.clone()
        model.set_model_sampler_post_cfg_function(record)
        tiny_svd.run(model, frames=6, steps=2, cfg=2.5)
        return seen

    stock = predictions(tiny_svd.model)
    patched, _ = apply(m, tiny_svd.model, tracks, th.random_adapter(m, tiny_svd.model), tau=0.5)
    steered = predictions(patched)
    (stock_cond, stock_uncond), (cond, uncond) = stock[0], steered[0]  # the first step sees the same input
    assert torch.equal(uncond, stock_uncond)
    assert (cond - stock_cond).abs().max() > 1e-4


def test_clones_share_the_adapter_and_the_patches(m, tiny_svd, tracks):
    adapter = th.random_adapter(m, tiny_svd.model)
    patched, rt = apply(m, tiny_svd.model, tracks, adapter)
    clone = patched.clone()
    patches = clone.model_options["transformer_options"]["patches"]
    original = patched.model_options["transformer_options"]["patches"]
    assert patches["attn1_patch"][0].__self__ is original["attn1_patch"][0].__self__
    assert patches["attn1_output_patch"][0].__self__.runtime is rt
    (extra,) = [v for k, v in clone.additional_models.items() if k.startswith("trackdiff_trackgo_")]
    assert extra[0].model is adapter
    assert not tiny_svd.model.get_additional_models() and "patches" not in tiny_svd.model.model_options.get(
        "transformer_options", {})


def test_composes_with_video_linear_cfg_guidance(m, tiny_svd, tracks):
    from comfy_extras.nodes_video_model import VideoLinearCFGGuidance

    guidance = VideoLinearCFGGuidance()
    adapter = th.random_adapter(m, tiny_svd.model)
    guided = guidance.patch(tiny_svd.model, 1.0)[0]
    first, _ = apply(m, guided, tracks, adapter, tau=0.5)
    second = guidance.patch(apply(m, tiny_svd.model, tracks, adapter, tau=0.5)[0], 1.0)[0]
    a, b = tiny_svd.run(first, frames=6, steps=2), tiny_svd.run(second, frames=6, steps=2)
    assert torch.equal(a, b)
    assert not torch.equal(a, tiny_svd.run(guided, frames=6, steps=2))
    node = m["nodes"].ApplyTrackAdapter
    inert = node.execute(guided, tracks, 0.0, -1.0, 0.0, 1.0, adapter=adapter).args[0]
    assert torch.equal(tiny_svd.run(inert, frames=6, steps=2), tiny_svd.run(guided, frames=6, steps=2))


def test_adapter_for_another_model_is_a_clear_error(m, tiny_svd, tracks):
    trackgo = m["trackgo"]
    specs = [trackgo.SiteSpec(s.key, s.channels * 10, s.n_heads, s.d_head * 10, s.level)
             for s in m["patch"].site_specs(tiny_svd.model)]
    wide = trackgo.TrackAdapter(specs, trackgo.TrackGoConfig())
    with pytest.raises(m["errors"].TrackDiffError, match=r"does not fit this model \(widths \[32, 64, 128\].*"
                       r"trained for temporal widths \[320, 640, 1280\]"):
        apply(m, tiny_svd.model, tracks, wide)


def test_non_svd_model_is_a_clear_error(m, tiny_svd, tracks):
    from types import SimpleNamespace

    with pytest.raises(m["errors"].TrackDiffError, match="is not a UNet model.*Fix: connect an SVD"):
        m["nodes"].ApplyTrackAdapter.execute(SimpleNamespace(model=torch.nn.Linear(2, 2)), tracks, 1.0, -1.0, 0.0, 1.0)


def test_an_adapter_reading_appearance_gets_the_first_frame_latent_of_the_conditional_half(m, tiny_svd, tracks):
    """With ``appearance_channels`` the runtime is given SVD's image latent (the model input's channels after the noisy
    latent) of the conditional chunk, in the model's latent scale, at every model call; E's input is built once for
    the run (the picture does not change between steps)."""
    trackgo = m["trackgo"]
    adapter = trackgo.TrackAdapter(m["patch"].site_specs(tiny_svd.model), trackgo.TrackGoConfig(appearance_channels=4))
    patched, rt = apply(m, tiny_svd.model, tracks, adapter.eval().requires_grad_(False), tau=0.5)
    seen = []
    prepare = rt.prepare

    def spy(call, device, dtype):
        seen.append((call.call_id, None if call.appearance is None else call.appearance.clone()))
        return prepare(call, device, dtype)

    rt.prepare = spy
    positive, negative, latent = tiny_svd.conditioning(64, 64, 6)
    th_sample = __import__("svd_runner").sample
    th_sample(patched, positive, negative, latent, steps=2, cfg=2.5)
    expected = tiny_svd.model.model.process_latent_in(positive[0][1]["concat_latent_image"])[0]
    assert seen and all(image is not None and torch.allclose(image, expected, atol=1e-6) for _, image in seen)
    assert len({call_id for call_id, _ in seen}) == 2  # two model calls (steps) ...
    assert rt.preparations == 1  # ... one build


def test_the_branch_frees_the_attention_input_only_when_no_other_attn1_patch_reads_after_it(m, tiny_svd, tracks):
    """ComfyUI holds what an ``attn1_patch`` returns as the attention's keys / values until the block ends. As the last
    ``attn1_patch`` of a call (and with nothing changed) TrackGo hands back ``None``, so the attention input is freed
    as in stock SVD; a patch of another pack that runs after it still gets the tensors."""
    patched, _ = apply(m, tiny_svd.model, tracks, th.random_adapter(m, tiny_svd.model), tau=0.5)
    before = patched.model_options["transformer_options"]["patches"]["attn1_patch"][-1]
    n = torch.zeros(2, 3, 4)

    def options(*patches):
        ctx = m["hooks"].CallContext(3, 1, [0], None, attn1_patches=patches)
        return {m["hooks"].STATE_KEY: ctx, "block": ("input", 1), "block_index": 0}

    other = lambda n, context, value, extra_options: (n, context, value)  # noqa: E731
    assert before(n, n, n, options(before)) == (n, None, None)
    out = before(n, n, n, options(before, other))
    assert out[1] is n and out[2] is n
    changed = n + 1  # another pack gave the attention other keys: they are passed on
    out = before(n, changed, changed, options(other, before))
    assert out[1] is changed and out[2] is changed


def test_freeing_the_attention_input_changes_no_bit_and_composes_with_other_packs_patches(m, tiny_svd, tracks):
    """The same video whether TrackGo runs last (frees the input) or another pack's ``attn1_patch`` runs after it
    (ComfyUI keeps it), also with another pack's ``attn1`` replace on every block."""
    adapter = th.random_adapter(m, tiny_svd.model)
    seen = []

    def other_patch(n, context, value, extra_options):
        seen.append(context is not None and value is not None)
        return n, context, value

    def other_replace(q, k, v, extra_options):
        import comfy.ldm.modules.attention as attention

        return attention.optimized_attention(q, k, v, extra_options["n_heads"])

    last, _ = apply(m, tiny_svd.model, tracks, adapter, tau=0.5)
    followed = last.clone()
    followed.set_model_attn1_patch(other_patch)
    a, b = tiny_svd.run(last, frames=6, steps=2), tiny_svd.run(followed, frames=6, steps=2)
    assert torch.equal(a, b)
    assert seen and all(seen)
    replaced = tiny_svd.model.clone()
    for site in m["hooks"].svd_sites(tiny_svd.model):
        replaced.set_model_attn1_replace(other_replace, *site.block, 0)
    last, _ = apply(m, replaced, tracks, adapter, tau=0.5)
    followed = last.clone()
    followed.set_model_attn1_patch(other_patch)
    c, d = tiny_svd.run(last, frames=6, steps=2), tiny_svd.run(followed, frames=6, steps=2)
    assert torch.equal(c, d)
    assert not torch.equal(c, tiny_svd.run(replaced, frames=6, steps=2))  # the adapter still acts under the replace

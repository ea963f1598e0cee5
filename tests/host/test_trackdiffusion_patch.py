"""TrackDiffusion patched into the real ComfyUI SVD (tiny model, synthesized weights in the released layout)."""

from __future__ import annotations

import importlib
import math
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors import safe_open

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import trackdiffusion_checkpoint as ckpt  # noqa: E402

FRAMES = 6


@pytest.fixture(scope="module")
def td(pack):
    name = pack.__name__
    return SimpleNamespace(
        patch=importlib.import_module(name + ".nodes.trackdiffusion_patch"),
        hooks=importlib.import_module(name + ".nodes.svd_hooks"),
        core=importlib.import_module(name + ".trackdiff_core.trackdiffusion"),
        fmt=importlib.import_module(name + ".trackdiff_core.trackdiffusion.weights_format"),
        Tracklets=importlib.import_module(name + ".trackdiff_core").Tracklets,
        TrackDiffError=importlib.import_module(name + ".trackdiff_core.errors").TrackDiffError,
    )


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> str:
    return ckpt.write_released(tmp_path_factory.mktemp("svd_stage2") / "diffusion_pytorch_model.safetensors")


@pytest.fixture(scope="module")
def weights(td, released):
    return td.core.load_weights(released)


def tracklets(td, frames=FRAMES, visible=True, count=2):
    boxes = np.zeros((frames, count, 4), dtype=np.float32)
    for n in range(count):
        start = np.array([0.05 + 0.01 * n, 0.1, 0.45, 0.5])
        boxes[:, n] = np.linspace(start, start + [0.4, 0.3, 0.5, 0.45] * np.array([1, 1, 1.1, 1]), frames).clip(0, 1)
    return td.Tracklets(boxes, np.full((frames, count), visible))


@pytest.fixture(scope="module")
def stock(tiny_svd):
    return tiny_svd.run(frames=FRAMES, steps=2)


def fusers_of(model, td):
    (patch,) = [p for p in model.model_options["transformer_options"]["patches"]["middle_patch"]
                if isinstance(p, td.patch.TrackDiffusionPatch)]
    assert td.patch.attached_modules(model) is patch.modules
    return patch, patch.modules


# -- inert / active ------------------------------------------------------------------------------------------------------
def test_strength_zero_or_nothing_visible_is_stock_bit_for_bit(td, tiny_svd, weights, stock):
    model = tiny_svd.model
    assert td.patch.apply_trackdiffusion(model, weights, tracklets(td), strength=0.0) is model
    hidden = td.patch.apply_trackdiffusion(model, weights, tracklets(td, visible=False))
    assert hidden is model and torch.equal(tiny_svd.run(hidden, frames=FRAMES, steps=2), stock)
    patched = td.patch.apply_trackdiffusion(model, weights, tracklets(td), strength=1.0)
    out = tiny_svd.run(patched, frames=FRAMES, steps=2)
    assert torch.isfinite(out).all() and not torch.allclose(out, stock, atol=1e-3)
    assert not model.patches and not model.get_additional_models() and "patches" not in model.model_options["transformer_options"]


def test_fuser_gates_alone_change_the_output(td, tiny_svd, weights, stock):
    """Without the UNet weight patches, the fusers (non-zero gates) still change the video; zero gates do not."""
    fusers_only = td.core.TrackDiffusionWeights(weights.layout, weights.position_net, weights.fusers, {}, weights.slots)
    out = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, fusers_only, tracklets(td)), frames=FRAMES, steps=2)
    assert not torch.allclose(out, stock, atol=1e-3)
    closed = {s: {**f, "alpha_attn": torch.zeros(()), "alpha_dense": torch.zeros(())} for s, f in weights.fusers.items()}
    gated = td.core.TrackDiffusionWeights(weights.layout, weights.position_net, closed, {}, weights.slots)
    out = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, gated, tracklets(td)), frames=FRAMES, steps=2)
    assert torch.equal(out, stock)


# -- where and how often the fuser runs ------------------------------------------------------------------------------------
def test_fuser_runs_once_per_spatial_block_per_call_even_when_hw_equals_frames(td, tiny_svd, weights):
    frames, size = 16, 128  # latent 16×16: the 4×4 sites have h·w == T, where shapes cannot tell spatial from temporal
    model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td, frames))
    _, modules = fusers_of(model, td)
    seen, blocks = [], []

    def recorder(x, extra_options):
        blocks.append((extra_options["block"], extra_options["trackdiff"].temporal, tuple(extra_options["activations_shape"])))
        return x

    model.set_model_patch(recorder, "middle_patch")
    handles = [f.register_forward_pre_hook(lambda m, args, site=site: seen.append((site, tuple(args[0].shape))))
               for site, f in modules.fusers.items()]
    try:
        tiny_svd.run(model, width=size, height=size, frames=frames, steps=1)
    finally:
        for h in handles:
            h.remove()
    calls = sum(1 for b in blocks if not b[1]) // 16
    assert calls >= 1 and len(seen) == 16 * calls
    assert Counter(s for s, _ in seen) == {s: calls for s in modules.fusers}
    spatial = {f"{b[0][0]}_{b[0][1]}": b[2] for b in blocks if not b[1]}
    ambiguous = 0
    for site, shape in seen:
        batch, c, h, w = spatial[site]
        assert shape == (batch, h * w, c)  # spatial rows [B·T, h·w, C]
        ambiguous += h * w == frames
    assert ambiguous == 5 * calls  # the 4×4 sites: input_7, input_8, output_3, output_4, output_5


def test_unconditional_rows_see_only_null_tokens_by_default(td, tiny_svd, weights):
    for boxes_for_uncond in (False, True):
        model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td), boxes_for_uncond=boxes_for_uncond)
        _, modules = fusers_of(model, td)
        captured = []
        hook = modules.fusers["input_1"].register_forward_pre_hook(
            lambda m, args: captured.append((args[1].clone(), list(args[4]["trackdiff"].cond_or_uncond))))
        try:
            tiny_svd.run(model, frames=FRAMES, steps=1, cfg=2.5)
        finally:
            hook.remove()
        slots = td.core.slot_boxes(tracklets(td), 20)
        with torch.no_grad():
            boxed = modules.position_net(slots.boxes, slots.colors, slots.present)
            null = modules.position_net(slots.boxes, slots.colors, torch.zeros_like(slots.present))
        kinds_seen = set()
        for tokens, kinds in captured:
            for i, kind in enumerate(kinds):
                chunk = tokens[i * FRAMES:(i + 1) * FRAMES]
                expect = boxed if (kind == 0 or boxes_for_uncond) else null
                assert torch.equal(chunk, expect.to(chunk))
                kinds_seen.add(kind)
        assert kinds_seen == {0, 1}


# -- parity with a direct computation ---------------------------------------------------------------------------------------
def reference_tokens(raw, slots):
    """position_net from the file's raw tensors, written out (Fourier of the 7 numbers, null features, MLP)."""
    numbers = torch.cat([slots.boxes, slots.colors], -1)  # [T, S, 7]
    feats = []
    for k in range(8):
        f = 100 ** (k / 8)
        feats += [torch.sin(f * numbers), torch.cos(f * numbers)]
    e = torch.cat(feats, -1)
    m = slots.present.float()[..., None]
    e = e * m + (1 - m) * raw["position_net.null_position_feature"]
    h = F.silu(F.linear(e, raw["position_net.linears.0.weight"], raw["position_net.linears.0.bias"]))
    h = F.silu(F.linear(h, raw["position_net.linears.2.weight"], raw["position_net.linears.2.bias"]))
    return F.linear(h, raw["position_net.linears.4.weight"], raw["position_net.linears.4.bias"])


def reference_fuser(raw, prefix, x, objs, heads):
    """GatedSelfAttentionDense from the file's raw tensors: concat, one softmax, keep the visual rows."""
    p = lambda n: raw[f"{prefix}.fuser.{n}"]  # noqa: E731
    c = x.shape[-1]
    u = F.linear(objs, p("linear.weight"), p("linear.bias"))
    n = F.layer_norm(torch.cat([x, u], 1), (c,), p("norm1.weight"), p("norm1.bias"))
    q, k, v = (F.linear(n, p(f"attn.to_{w}.weight")).double() for w in "qkv")
    b, length, _ = q.shape
    q, k, v = (t.reshape(b, length, heads, c // heads).transpose(1, 2) for t in (q, k, v))
    a = ((q @ k.transpose(-1, -2)) / math.sqrt(c // heads)).softmax(-1) @ v
    a = a.transpose(1, 2).reshape(b, length, c).float()
    x = x + math.tanh(float(p("alpha_attn"))) * F.linear(a, p("attn.to_out.0.weight"), p("attn.to_out.0.bias"))[:, : x.shape[1]]
    g, gate = F.linear(F.layer_norm(x, (c,), p("norm2.weight"), p("norm2.bias")), p("ff.net.0.proj.weight"),
                       p("ff.net.0.proj.bias")).chunk(2, -1)
    return x + math.tanh(float(p("alpha_dense"))) * F.linear(g * F.gelu(gate), p("ff.net.2.weight"), p("ff.net.2.bias"))


def test_patched_blocks_equal_a_direct_computation(td, tiny_svd, weights, released):
    model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td))
    with safe_open(released, "pt") as f:
        raw = {k: f.get_tensor(k) for k in f.keys() if "fuser" in k or "position_net" in k}
    from_site = {s: p for s, p in zip(importlib.import_module(td.core.__name__ + ".diffusers_layout").SVD_SITE_KEYS,
                                      [p for p, _ in ckpt.spatial_attention_paths()])}
    sites = td.hooks.svd_sites(model)
    captured = {}

    def capture(site):
        def hook(module, args, kwargs, output):
            if not kwargs["transformer_options"]["trackdiff"].temporal and site not in captured:
                captured[site] = (module, args[0].detach().clone(), kwargs["context"].detach().clone(), output.detach().clone(),
                                  list(kwargs["transformer_options"]["trackdiff"].cond_or_uncond))
        return hook

    handles = []
    for site in sites:
        block = model.get_model_object(site.path).transformer_blocks[0]
        handles.append(block.register_forward_hook(capture(site.key), with_kwargs=True))
    try:
        tiny_svd.run(model, frames=FRAMES, steps=1, cfg=2.5)
    finally:
        for h in handles:
            h.remove()
    assert len(captured) == 16
    slots = td.core.slot_boxes(tracklets(td), 20)
    with torch.no_grad():
        boxed = reference_tokens(raw, slots)
        null = reference_tokens(raw, SimpleNamespace(boxes=slots.boxes, colors=slots.colors,
                                                     present=torch.zeros_like(slots.present)))
        for site in sites:
            block, x, context, out, kinds = captured[site.key]
            objs = torch.cat([boxed if k == 0 else null for k in kinds])
            h = block.attn1(block.norm1(x)) + x
            h = reference_fuser(raw, from_site[site.key] + ".transformer_blocks.0", h, objs, site.n_heads)
            h = block.attn2(block.norm2(h), context=context) + h
            direct = block.ff(block.norm3(h)) + h
            assert torch.allclose(out, direct, atol=2e-5, rtol=1e-5), (site.key, (out - direct).abs().max())


def test_unet_weight_patches_blend_and_revert(td, tiny_svd, weights, tiny_svd_path, stock):
    import comfy.lora

    with safe_open(str(tiny_svd_path), "pt") as f:
        stock_w = {k: f.get_tensor("model.diffusion_model." + k) for k in weights.unet}
    for strength in (1.0, 0.5):
        model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td), strength=strength)
        assert sorted(model.patches) == sorted("diffusion_model." + k for k in weights.unet)
        for key, trained in weights.unet.items():
            got = comfy.lora.calculate_weight(model.patches["diffusion_model." + key], stock_w[key].clone(), key)
            assert torch.allclose(got, (1 - strength) * stock_w[key] + strength * trained, atol=1e-6), key
        tiny_svd.run(model, frames=FRAMES, steps=1)
    assert not tiny_svd.model.patches
    assert torch.equal(tiny_svd.run(frames=FRAMES, steps=2), stock)  # the sampler took them off again


# -- composition -------------------------------------------------------------------------------------------------------------
def test_clones_share_the_modules(td, tiny_svd, weights):
    model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td))
    patch, modules = fusers_of(model, td)
    a, b = model.clone(), model.clone().clone()
    for clone in (a, b):
        p, m = fusers_of(clone, td)
        assert p is patch and m is modules
        (extra,) = [pp for k, v in clone.additional_models.items() if k.startswith("trackdiff_trackdiffusion") for pp in v]
        assert extra.model is modules
    again = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td))
    assert fusers_of(again, td)[1] is modules and len(weights.cache) == 1


def test_composes_with_video_linear_cfg_guidance(td, tiny_svd, weights):
    from comfy_extras.nodes_video_model import VideoLinearCFGGuidance

    def guided(model):
        out = VideoLinearCFGGuidance.execute(model, 1.0) if hasattr(VideoLinearCFGGuidance, "define_schema") \
            else VideoLinearCFGGuidance().patch(model, 1.0)
        return out[0] if isinstance(out, tuple) else out.result[0]

    first = guided(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td)))
    second = td.patch.apply_trackdiffusion(guided(tiny_svd.model), weights, tracklets(td))
    a, b = tiny_svd.run(first, frames=FRAMES, steps=2), tiny_svd.run(second, frames=FRAMES, steps=2)
    assert torch.equal(a, b)
    assert not torch.allclose(a, tiny_svd.run(guided(tiny_svd.model), frames=FRAMES, steps=2), atol=1e-3)


def test_composes_with_lora_weight_patches(td, tiny_svd, weights):
    key = "diffusion_model.input_blocks.4.1.transformer_blocks.0.attn1.to_q.weight"
    delta = 0.05 * torch.randn(tiny_svd.model.model_state_dict()[key].shape, generator=torch.Generator().manual_seed(5))

    def lora(model):
        clone = model.clone()
        assert clone.add_patches({key: (delta,)}, 1.0) == [key]
        return clone

    before = td.patch.apply_trackdiffusion(lora(tiny_svd.model), weights, tracklets(td))
    after = lora(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td)))
    assert key in before.patches and "diffusion_model.out.2.weight" in before.patches
    a, b = tiny_svd.run(before, frames=FRAMES, steps=2), tiny_svd.run(after, frames=FRAMES, steps=2)
    alone = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td)), frames=FRAMES, steps=2)
    assert torch.equal(a, b) and not torch.allclose(a, alone, atol=1e-4)


def test_consistency_option(td, tiny_svd, weights):
    base = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td)), frames=FRAMES, steps=2)
    model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td), consistency=3.0)
    replaces = model.model_options["transformer_options"]["patches_replace"]["attn1"]
    assert len(replaces) == 16
    out = tiny_svd.run(model, frames=FRAMES, steps=2)
    assert torch.isfinite(out).all() and not torch.allclose(out, base, atol=1e-4)


def test_consistency_keeps_an_existing_attn1_replace(td, tiny_svd, weights):
    """Another pack's attn1 replace keeps running (spatial and temporal) under the consistency option."""
    import comfy.ldm.modules.attention as attention

    calls = []

    def other(q, k, v, extra_options):
        calls.append(extra_options["trackdiff"].temporal if "trackdiff" in extra_options else None)
        return attention.optimized_attention(q, k, v, extra_options["n_heads"], transformer_options=extra_options)

    upstream = tiny_svd.model.clone()
    upstream.set_model_attn1_replace(other, "input", 1, 0)
    model = td.patch.apply_trackdiffusion(upstream, weights, tracklets(td), consistency=1.0)
    assert isinstance(model.model_options["transformer_options"]["patches_replace"]["attn1"][("input", 1, 0)],
                      td.patch.InstanceConsistencyPatch)
    tiny_svd.run(model, frames=FRAMES, steps=1)
    assert calls.count(True) == calls.count(False) >= 1


# -- files --------------------------------------------------------------------------------------------------------------------
def test_converted_file_reproduces_the_patched_output_exactly(td, tiny_svd, weights, released, tmp_path):
    from_released = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td)), frames=FRAMES, steps=2)
    path, _ = importlib.import_module(td.core.__name__ + ".convert").convert(released, str(tmp_path / "c.safetensors"))
    compact = td.core.load_weights(path)
    from_compact = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, compact, tracklets(td)), frames=FRAMES, steps=2)
    assert torch.equal(from_released, from_compact)


def test_instance_enhancer_from_a_file(td, tiny_svd, weights, tmp_path):
    heads = {s.key: (s.n_heads, s.d_head) for s in td.hooks.svd_sites(tiny_svd.model)}
    modules = td.core.TrackDiffusionModules.from_weights(weights, heads)
    modules.add_instance_enhancers(td.core.DECODER_SITES, heads)
    untrained = weights.with_instance_enhancer(modules.instance_enhancer_states(), modules.enhancer_config)
    base = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td)), frames=FRAMES, steps=2)
    assert torch.equal(tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, untrained, tracklets(td)),
                                    frames=FRAMES, steps=2), base)
    with torch.no_grad():
        for m in modules.instance_enhancer.values():
            m.gate.fill_(0.5)
    trained = weights.with_instance_enhancer(modules.instance_enhancer_states(), modules.enhancer_config)
    path = td.fmt.save_weights(str(tmp_path / "ie.safetensors"), trained, dtype=torch.float32)
    loaded = td.core.load_weights(path)
    model = td.patch.apply_trackdiffusion(tiny_svd.model, loaded, tracklets(td))
    calls = []
    hooks = [m.register_forward_pre_hook(lambda mod, args: calls.append(args[0].shape))
             for m in fusers_of(model, td)[1].instance_enhancer.values()]
    out = tiny_svd.run(model, frames=FRAMES, steps=2)
    for h in hooks:
        h.remove()
    assert len(calls) % 9 == 0 and calls and torch.isfinite(out).all() and not torch.allclose(out, base, atol=1e-4)


# -- bad input -------------------------------------------------------------------------------------------------------------
def test_bad_inputs_are_clear_errors(td, tiny_svd, weights, tmp_path):
    Error, apply = td.TrackDiffError, td.patch.apply_trackdiffusion
    with pytest.raises(Error, match="more objects than the weights' 20 slots"):
        apply(tiny_svd.model, weights, tracklets(td, count=21))
    with pytest.raises(Error, match="has no objects"):
        apply(tiny_svd.model, weights, td.Tracklets(np.zeros((4, 0, 4))))
    with pytest.raises(Error, match="strength: must be between 0 and 2"):
        apply(tiny_svd.model, weights, tracklets(td), strength=3.0)
    with pytest.raises(Error, match="is not TrackDiffusion weights"):
        apply(tiny_svd.model, {"fuser": 1}, tracklets(td))
    with pytest.raises(Error, match="is not a UNet model"):
        apply(SimpleNamespace(model=torch.nn.Linear(2, 2)), weights, tracklets(td))
    wide = td.core.load_weights(ckpt.write_released(tmp_path / "wide.safetensors", ckpt.UNetDims((64, 128, 256, 256), (4, 8, 16, 16), 32), stock=False))
    with pytest.raises(Error, match=r"weights.fuser.input_1: does not fit the model's block \(32 channels\)"):
        apply(tiny_svd.model, wide, tracklets(td))
    strict = apply(tiny_svd.model, weights, tracklets(td, frames=14), frame_policy="error")
    with pytest.raises(Error, match="tracklets: does not match the video's 6 frames \\(got '14 frames'\\).*frame_mismatch = resample"):
        tiny_svd.run(strict, frames=FRAMES, steps=1)


def test_object_tokens_are_built_once_per_sampling_run(td, tiny_svd, weights):
    """Tokens depend only on the tracklets, the frame count and the batch layout: one build for a 3-step run."""
    model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td))
    patch, _ = fusers_of(model, td)
    tiny_svd.run(model, frames=FRAMES, steps=3)
    assert patch.token_builds == 1
    again = tiny_svd.run(model, frames=FRAMES, steps=3)  # a second run reuses them, with the same result
    assert patch.token_builds == 1
    assert torch.equal(again, tiny_svd.run(model, frames=FRAMES, steps=3))


# -- a real LoRA file on conv_in, before and after -----------------------------------------------------------------------
def write_conv_in_lora(path, model, rank=2, scale=0.2, seed=11):
    """A LoRA safetensors for the tiny SVD's ``conv_in`` in the kohya layout ComfyUI's LoRA loaders read."""
    from safetensors.torch import save_file

    out_ch, in_ch, kh, kw = model.model_state_dict()["diffusion_model.input_blocks.0.0.weight"].shape
    gen = torch.Generator().manual_seed(seed)
    down = scale * torch.randn(rank, in_ch, kh, kw, generator=gen)
    up = scale * torch.randn(out_ch, rank, 1, 1, generator=gen)
    save_file({"lora_unet_input_blocks_0_0.lora_down.weight": down, "lora_unet_input_blocks_0_0.lora_up.weight": up,
               "lora_unet_input_blocks_0_0.alpha": torch.tensor(float(rank))}, str(path))
    return (up.flatten(1) @ down.flatten(1)).reshape(out_ch, in_ch, kh, kw)


def with_lora(model, path, strength):
    import comfy.sd
    import comfy.utils

    patched, _ = comfy.sd.load_lora_for_models(model, None, comfy.utils.load_torch_file(str(path)), strength, 0.0)
    return patched


@pytest.mark.parametrize("td_strength, lora_strength", [(1.0, 1.0), (0.5, 1.0), (1.0, 0.5), (0.3, 0.8)])
def test_a_lora_file_on_conv_in_composes_in_either_order(td, tiny_svd, tiny_svd_path, weights, tmp_path, td_strength,
                                                         lora_strength):
    """conv_in = W + s_td·(W_td − W) + s_lora·ΔW_lora whichever of the two nodes comes first; the videos agree."""
    import comfy.lora

    key = "diffusion_model.input_blocks.0.0.weight"
    delta = write_conv_in_lora(tmp_path / "conv_in_lora.safetensors", tiny_svd.model)
    lora_first = td.patch.apply_trackdiffusion(with_lora(tiny_svd.model, tmp_path / "conv_in_lora.safetensors",
                                                         lora_strength), weights, tracklets(td), strength=td_strength)
    lora_after = with_lora(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td), strength=td_strength),
                           tmp_path / "conv_in_lora.safetensors", lora_strength)
    with safe_open(str(tiny_svd_path), "pt") as f:
        stock_w = f.get_tensor("model." + key).float()
    expected = stock_w + td_strength * (weights.unet["input_blocks.0.0.weight"].float() - stock_w) + lora_strength * delta
    for model in (lora_first, lora_after):
        assert len(model.patches[key]) == 2
        got = comfy.lora.calculate_weight(model.patches[key], stock_w.clone(), key)
        assert torch.allclose(got, expected, atol=1e-6)
    a, b = tiny_svd.run(lora_first, frames=FRAMES, steps=2), tiny_svd.run(lora_after, frames=FRAMES, steps=2)
    alone = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(td), strength=td_strength),
                         frames=FRAMES, steps=2)
    # The weights agree to float32 rounding (the two orders add the same terms in another order); through two sampling
    # steps of the random tiny model that stays far below the LoRA's own effect, which the old blend erased.
    assert (a - b).abs().max() < 0.02 * (a - alone).abs().max()


# -- visible in the document, but not on the frames the model sees ------------------------------------------------------
def test_objects_visible_only_on_frames_the_video_skips_give_the_stock_video(td, tiny_svd, weights):
    """Visible on frame 3 of 14 only: at 3 video frames (resampled 0, 6.5, 13) no box is seen -> the stock video; at
    14 frames it is seen -> a different one. The same patched MODEL does both, and keeps its patches."""
    boxes = np.tile(np.array([0.2, 0.2, 0.7, 0.7], dtype=np.float32), (14, 1, 1))
    visible = np.zeros((14, 1), dtype=bool)
    visible[3] = True
    for consistency in (0.0, 2.0):
        model = td.patch.apply_trackdiffusion(tiny_svd.model, weights, td.Tracklets(boxes, visible),
                                              consistency=consistency)
        assert model is not tiny_svd.model
        assert torch.equal(tiny_svd.run(model, frames=3, steps=2), tiny_svd.run(frames=3, steps=2))
        assert not torch.allclose(tiny_svd.run(model, frames=14, steps=1), tiny_svd.run(frames=14, steps=1), atol=1e-3)
        assert "diffusion_model.input_blocks.0.0.weight" in model.patches


# -- the authors' instance embedding -------------------------------------------------------------------------------------
def test_an_instance_embedding_is_added_to_each_slot_in_order_of_first_appearance(td, tiny_svd, weights, tmp_path):
    """A released file with position_net.instance_embedding.weight [20, ctx] loads; slot s of every frame gets row s
    (null slots included, as the authors' PositionNet); objects take slots in the order they first appear, not by id
    nor in document order."""
    (tmp_path / "svd_stage2").mkdir()
    path = ckpt.write_released(tmp_path / "svd_stage2" / "diffusion_pytorch_model.safetensors", instance_slots=20)
    loaded = td.core.load_weights(path)
    assert loaded.layout.instance_slots == 20 and loaded.slots == 20
    assert "instance embedding for 20 slots" in loaded.report.text()
    with safe_open(path, "pt") as f:
        rows = f.get_tensor("position_net.instance_embedding.weight")
    base = tracklets(td)
    visible = base.visible.copy()
    visible[:2, 0] = False  # the first object in the document (id 3) appears on frame 2, id 7 on frame 0
    ordered = td.Tracklets(base.boxes, visible, ids=[3, 7])
    model = td.patch.apply_trackdiffusion(tiny_svd.model, loaded, ordered)
    patch, modules = fusers_of(model, td)
    slots = patch.source.for_frames(FRAMES)
    assert torch.equal(slots.boxes[:, 0], torch.tensor(base.boxes[:, 1]))  # id 7 -> slot 0
    assert torch.equal(slots.boxes[:, 1], torch.tensor(base.boxes[:, 0]))  # id 3 -> slot 1
    net = modules.position_net
    with torch.no_grad():
        plain = net.linears(net.embed(slots.boxes, slots.colors, slots.present))
        added = net(slots.boxes, slots.colors, slots.present) - plain
    torch.testing.assert_close(added, rows.to(added)[None].expand_as(added), atol=1e-5, rtol=1e-5)
    converted = td.fmt.load_trackdiff_file(td.fmt.save_weights(str(tmp_path / "compact.safetensors"), loaded))
    assert converted.layout == loaded.layout
    with_rows = tiny_svd.run(model, frames=FRAMES, steps=2)
    without = tiny_svd.run(td.patch.apply_trackdiffusion(tiny_svd.model, weights, ordered), frames=FRAMES, steps=2)
    assert torch.isfinite(with_rows).all() and not torch.allclose(with_rows, without, atol=1e-4)


def test_box_masked_attention_in_query_chunks_through_comfyuis_dispatcher_equals_the_dense_mask(td):
    """The box-masked fuser hands ComfyUI's ``optimized_attention_masked`` one query chunk at a time, each with its
    slice of the mask: the same result as the whole mask in one call."""
    import comfy.ldm.modules.attention as comfy_attention

    chunked_attention = importlib.import_module(td.core.__name__ + ".box_masked_attention")
    rows, h, w, heads, d, slots = 4, 6, 10, 2, 16, 3
    gen = torch.Generator().manual_seed(5)
    q = torch.randn(rows, h * w, heads * d, generator=gen)
    k, v = (torch.randn(rows, h * w + slots, heads * d, generator=gen) for _ in range(2))
    boxes = torch.tensor([[0.1, 0.1, 0.5, 0.6], [0.4, 0.2, 0.9, 0.9], [0.0, 0.5, 0.3, 1.0]]).expand(rows, -1, -1)
    present = torch.tensor([[True, True, False]] * 2 + [[False] * 3] * 2)  # cond rows with boxes, uncond without
    inside = importlib.import_module(td.core.__name__ + ".instance_enhancer").box_token_mask(boxes, present, h, w)
    dense = comfy_attention.optimized_attention_masked(
        q, k, v, heads, chunked_attention.additive_mask(inside, h * w, q.dtype), transformer_options={})
    calls = []

    def dispatcher(q, k, v, heads, mask=None, **kwargs):
        calls.append(q.shape[1])
        return comfy_attention.optimized_attention_masked(q, k, v, heads, mask, **kwargs)

    out = chunked_attention.box_masked_attention(q, k, v, inside, heads, dispatcher, budget=7 * rows * (h * w + slots),
                                                 transformer_options={})
    assert calls == [7] * 8 + [4]
    assert torch.allclose(out, dense, atol=1e-6)

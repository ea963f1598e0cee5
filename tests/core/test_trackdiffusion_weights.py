"""TrackDiffusion weights: the released-file loader on a synthesized diffusers-layout checkpoint, our versioned
format, the converter (function and CLI), and every kind of bad file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from trackdiff_core import TrackDiffError
from trackdiff_core.trackdiffusion import (DECODER_SITES, FORMAT_NAME, TrackDiffusionModules, load_released,
                                           load_weights, save_weights, slot_boxes)
from trackdiff_core.trackdiffusion.convert import convert, main
from trackdiff_core.trackdiffusion.diffusers_layout import SVD_SITE_KEYS, comfy_block_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import trackdiffusion_checkpoint as ckpt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY_HEADS = {k: (c // 16, 16) for k, c in zip(
    SVD_SITE_KEYS, [32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 64, 64, 64, 32, 32, 32], strict=True)}


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> str:
    return ckpt.write_released(tmp_path_factory.mktemp("svd_stage2") / "diffusion_pytorch_model.safetensors")


def test_generator_has_the_released_layout():
    full = ckpt.trackdiffusion_shapes(ckpt.FULL, hidden=512)
    assert sum(".fuser." in k for k in full) == 16 * 17
    assert full["down_blocks.0.attentions.0.transformer_blocks.0.fuser.linear.weight"] == (320, 1024)
    assert full["up_blocks.1.attentions.2.transformer_blocks.0.fuser.ff.net.0.proj.weight"] == (10240, 1280)
    assert full["position_net.linears.0.weight"] == (512, 112) and full["position_net.linears.4.weight"] == (1024, 512)
    stock = ckpt.stock_unet_shapes(ckpt.FULL)
    assert len(stock) == 1428 and sum(k.endswith("mix_factor") for k in stock) == 38
    params = sum(torch.Size(s).numel() for s in {**stock, **full}.values())
    assert abs(params * 4 / 1e9 - 6.95) < 0.01  # the released file's size: fusers in all 16 spatial blocks


def test_loader_maps_every_trained_tensor(released):
    weights = load_released(released)
    assert list(weights.fusers) == list(SVD_SITE_KEYS)
    assert all(len(state) == 17 for state in weights.fusers.values())
    assert weights.layout.kind == "fourier7" and weights.layout.token_dim == 32 and weights.layout.hidden == 64
    assert len(weights.position_net) == 7 and weights.slots == 20 and weights.stage == "stage2"
    mix = [k for k in weights.unet if k.endswith("mix_factor")]
    assert len(mix) == 38 and {"input_blocks.0.0.weight", "input_blocks.0.0.bias", "out.2.weight", "out.2.bias"} <= set(weights.unet)
    # Every tensor the file holds is either read or counted as ignored.
    with safe_open(released, "pt") as f:
        keys = list(f.keys())
        assert torch.equal(weights.fusers["output_5"]["attn.to_k.weight"],
                           f.get_tensor("up_blocks.1.attentions.2.transformer_blocks.0.fuser.attn.to_k.weight"))
        assert torch.equal(weights.unet["output_blocks.11.0.time_mixer.mix_factor"],
                           f.get_tensor("up_blocks.3.resnets.2.time_mixer.mix_factor"))
        assert torch.equal(weights.unet["middle_block.2.time_mixer.mix_factor"], f.get_tensor("mid_block.resnets.1.time_mixer.mix_factor"))
    read = 7 + 16 * 17 + 42
    assert weights.report.ignored == {"stock SVD tensors": len(keys) - read}
    text = weights.report.text()
    assert "found 16 fusers" in text and f"ignored {len(keys) - read} stock SVD tensors" in text
    assert "112 wide: Fourier features of x1 y1 x2 y2 and the RGB colour" in text and "no Instance Enhancer" in text


def test_block_name_map():
    assert comfy_block_path("down_blocks.2.resnets.1.time_mixer.mix_factor") == "input_blocks.8.0.time_mixer.mix_factor"
    assert comfy_block_path("down_blocks.3.resnets.0.time_mixer.mix_factor") == "input_blocks.10.0.time_mixer.mix_factor"
    assert comfy_block_path("down_blocks.1.attentions.0.time_mixer.mix_factor") == "input_blocks.4.1.time_mixer.mix_factor"
    assert comfy_block_path("mid_block.attentions.0.time_mixer.mix_factor") == "middle_block.1.time_mixer.mix_factor"
    assert comfy_block_path("up_blocks.0.resnets.2.time_mixer.mix_factor") == "output_blocks.2.0.time_mixer.mix_factor"
    assert comfy_block_path("up_blocks.3.attentions.1.time_mixer.mix_factor") == "output_blocks.10.1.time_mixer.mix_factor"
    assert comfy_block_path("conv_out.bias") == "out.2.bias"
    assert comfy_block_path("down_blocks.0.resnets.0.spatial_res_block.conv1.weight") is None


@pytest.mark.parametrize("layout", ["rgb_positive", "fourier4"])
def test_other_box_layouts_load(tmp_path, layout):
    path = ckpt.write_released(tmp_path / "td.safetensors", box_layout=layout, stock=False)
    weights = load_weights(str(path))
    assert weights.layout.kind == layout
    assert ("colour is not used" in weights.report.text()) == (layout == "fourier4")


def test_converted_file_is_compact_versioned_and_exact(released, tmp_path):
    out, weights = convert(released, str(tmp_path / "compact.safetensors"))
    with safe_open(out, "pt") as f:
        meta = f.metadata()
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}
    assert meta["format"] == FORMAT_NAME and meta["format_version"] == "1" and meta["stage"] == "stage2"
    assert meta["source"] == "diffusion_pytorch_model.safetensors" and meta["dtype"] == "float16"
    dims = json.loads(meta["dims"])
    assert dims["box_layout"]["kind"] == "fourier7" and dims["slots"] == 20
    assert dims["sites"]["middle_0"] == {"channels": 128, "context_dim": 32, "ff_inner": 512}
    assert os.path.getsize(out) < os.path.getsize(released) / 10
    again = load_weights(out)
    assert again.report.kind == "trackdiff" and again.layout == weights.layout
    for a, b in zip(weights.tensors().items(), again.tensors().items()):  # values are float16-exact
        assert a[0] == b[0] and torch.equal(a[1], b[1].float())
    # The modules built from either file compute the same thing.
    slots = slot_boxes(two_boxes(), 20)
    rows = torch.ones(5, dtype=torch.bool)
    with torch.no_grad():
        m1 = TrackDiffusionModules.from_weights(weights, TINY_HEADS)
        m2 = TrackDiffusionModules.from_weights(again, TINY_HEADS, dtype=torch.float32)
        x = torch.randn(5, 12, 64)
        t1, t2 = m1.object_tokens(slots, rows), m2.object_tokens(slots, rows)
        assert torch.equal(t1, t2) and torch.equal(m1.fusers["input_4"](x, t1), m2.fusers["input_4"](x, t2))


def two_boxes():
    from trackdiff_core import Tracklets

    return Tracklets([[[0.1, 0.1, 0.5, 0.5], [0.4, 0.3, 0.9, 0.8]]] * 5)


def test_converter_refuses_to_overwrite_and_names_its_output(released, tmp_path):
    out, _ = convert(released, str(tmp_path / "a.safetensors"))
    with pytest.raises(TrackDiffError, match="already exists"):
        convert(released, out)
    with pytest.raises(TrackDiffError, match="is the source file"):
        convert(released, released, overwrite=True)
    with pytest.raises(TrackDiffError, match="not a supported dtype"):
        convert(released, str(tmp_path / "b.safetensors"), dtype="int8")


def test_cli_converts_with_progress(released, tmp_path):
    out = tmp_path / "cli.safetensors"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "trackdiff_core.trackdiffusion.convert", released, str(out),
                          "--dtype", "float32"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "reading tensors: 321 / 321 (100%)" in run.stderr and "wrote" in run.stderr
    with safe_open(str(out), "pt") as f:
        assert f.metadata()["dtype"] == "float32"
    assert main([str(tmp_path / "missing.safetensors")]) == 2


def test_instance_enhancer_saves_and_loads(released, tmp_path):
    weights = load_released(released)
    modules = TrackDiffusionModules.from_weights(weights, TINY_HEADS)
    modules.add_instance_enhancers(DECODER_SITES, TINY_HEADS)
    trainable = [p for p in modules.instance_enhancer.parameters()]
    assert trainable and all(p.requires_grad for p in trainable)
    assert all(float(m.gate.detach()) == 0.0 for m in modules.instance_enhancer.values())
    with torch.no_grad():
        modules.instance_enhancer["output_7"].gate.fill_(0.25)
    path = save_weights(str(tmp_path / "with_ie.safetensors"),
                        weights.with_instance_enhancer(modules.instance_enhancer_states(), modules.enhancer_config),
                        dtype=torch.float32)
    loaded = load_weights(path)
    assert sorted(loaded.instance_enhancer) == sorted(DECODER_SITES)
    assert "Instance Enhancer sites" in loaded.report.text()
    rebuilt = TrackDiffusionModules.from_weights(loaded, TINY_HEADS)
    assert float(rebuilt.instance_enhancer["output_7"].gate.detach()) == 0.25
    for site in DECODER_SITES:
        a, b = modules.instance_enhancer[site].state_dict(), rebuilt.instance_enhancer[site].state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a)


# -- bad files -------------------------------------------------------------------------------------------------------------
def test_not_trackdiffusion_truncated_pickled_and_missing_files(released, tmp_path):
    stock = tmp_path / "stock_svd.safetensors"
    save_file({k: torch.zeros(s) for k, s in list(ckpt.stock_unet_shapes().items())[:50]}, str(stock))
    with pytest.raises(TrackDiffError, match="is not a TrackDiffusion UNet: of its 50 tensors, 0 are position_net"):
        load_weights(str(stock))
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(Path(released).read_bytes()[: os.path.getsize(released) // 2])
    with pytest.raises(TrackDiffError, match="is truncated"):
        load_weights(str(truncated))
    pickled = tmp_path / "model.safetensors"
    torch.save({"position_net.linears.0.weight": torch.zeros(2)}, str(pickled))
    with pytest.raises(TrackDiffError, match="is a PyTorch pickle or zip checkpoint .*never unpickles"):
        load_weights(str(pickled))
    with pytest.raises(TrackDiffError, match="does not exist"):
        load_weights(str(tmp_path / "nowhere.safetensors"))


def test_mismatched_widths_are_clear_errors(tmp_path):
    state = ckpt.released_state_dict(stock=False)
    bad = dict(state)
    bad["down_blocks.1.attentions.0.transformer_blocks.0.fuser.linear.weight"] = torch.zeros(64, 48)
    bad["down_blocks.1.attentions.0.transformer_blocks.0.fuser.linear.bias"] = torch.zeros(64)
    save_file(bad, str(tmp_path / "a.safetensors"))
    with pytest.raises(TrackDiffError, match="fuser.input_4.linear.weight.*reads 48-wide object tokens"):
        load_weights(str(tmp_path / "a.safetensors"))
    bad = dict(state)
    bad["up_blocks.2.attentions.1.transformer_blocks.0.fuser.ff.net.2.weight"] = torch.zeros(64, 100)
    save_file(bad, str(tmp_path / "b.safetensors"))
    with pytest.raises(TrackDiffError, match="fuser.output_7.*do not match a 64-wide fuser"):
        load_weights(str(tmp_path / "b.safetensors"))
    bad = {k: v for k, v in state.items() if not k.endswith("fuser.norm2.bias") or "mid_block" not in k}
    save_file(bad, str(tmp_path / "c.safetensors"))
    with pytest.raises(TrackDiffError, match="fuser.middle_0.*lacks norm2.bias"):
        load_weights(str(tmp_path / "c.safetensors"))


def test_our_format_refuses_newer_versions_and_bad_records(released, tmp_path):
    out, _ = convert(released, str(tmp_path / "ok.safetensors"))
    with safe_open(out, "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        meta = f.metadata()
    save_file(tensors, str(tmp_path / "v2.safetensors"), metadata={**meta, "format_version": "2"})
    with pytest.raises(TrackDiffError, match="format_version.*newer than this TrackDiff reads.*update"):
        load_weights(str(tmp_path / "v2.safetensors"))
    save_file(tensors, str(tmp_path / "dims.safetensors"), metadata={**meta, "dims": "{oops"})
    with pytest.raises(TrackDiffError, match="dims.*is not the JSON dims record"):
        load_weights(str(tmp_path / "dims.safetensors"))
    dims = json.loads(meta["dims"])
    dims["box_layout"]["kind"] = "rgb_positive"
    save_file(tensors, str(tmp_path / "layout.safetensors"), metadata={**meta, "dims": json.dumps(dims)})
    with pytest.raises(TrackDiffError, match="does not match the file's dims record"):
        load_weights(str(tmp_path / "layout.safetensors"))


def test_fusers_with_query_positions_and_box_masks_save_load_and_rebuild(released, tmp_path):
    from trackdiff_core.trackdiffusion.fuser import QUERY_POSITION_WIDTH

    weights = load_released(released)
    for state in weights.fusers.values():
        channels = state["linear.weight"].shape[0]
        state["query_position.weight"] = torch.randn(channels, QUERY_POSITION_WIDTH)
        state["query_position.bias"] = torch.randn(channels)
        state["box_mask"] = torch.ones(())
    path = save_weights(str(tmp_path / "placed.safetensors"), weights, dtype=torch.float32)
    with safe_open(path, "pt") as f:
        assert json.loads(f.metadata()["dims"])["sites"]["input_1"]["query_position"] == QUERY_POSITION_WIDTH
    loaded = load_weights(path)
    assert all(d.query_position == QUERY_POSITION_WIDTH and d.box_mask for d in loaded.fuser_dims().values())
    rebuilt = TrackDiffusionModules.from_weights(loaded, TINY_HEADS)
    assert rebuilt.fusers["middle_0"].box_mask is not None
    assert torch.equal(rebuilt.fusers["output_7"].query_position.weight, weights.fusers["output_7"]["query_position.weight"])
    # A released file (no query positions) still builds the authors' fuser.
    plain = TrackDiffusionModules.from_weights(load_released(released), TINY_HEADS).fusers["input_1"]
    assert plain.query_position is None and plain.box_mask is None
    bad = dict(weights.fusers["input_1"])
    bad["query_position.bias"] = torch.zeros(3)
    weights.fusers["input_1"] = bad
    path = save_weights(str(tmp_path / "bad.safetensors"), weights, dtype=torch.float32)
    with pytest.raises(TrackDiffError, match="fuser.input_1.*do not match a 32-wide fuser"):
        load_weights(path)

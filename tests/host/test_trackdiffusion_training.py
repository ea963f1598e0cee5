"""Training TrackDiffusion's Instance Enhancer on the real tiny SVD through ComfyUI (``python -m trackdiff_core.training
instance_enhancer``'s code path), on synthesized TrackDiffusion weights in the released layout; the trained file in
TrackDiffusionLoader's code path and in a full workflow through /prompt."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors import safe_open

import comfy_host

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import trackdiffusion_checkpoint as ckpt  # noqa: E402

STEPS, EVAL_EVERY, FRAMES = 48, 16, 6
TRAINED_NAME = "tiny_instance_enhancer_trained.safetensors"
BASE_NAME = "tiny_trackdiffusion_base_for_training.safetensors"


def run_args(out, clips, checkpoint, weights, steps=STEPS, *extra):
    return ["instance_enhancer", "--backend", "comfyui", "--checkpoint", str(checkpoint), "--device", "cpu",
            "--weights", str(weights), "--data", str(clips), "--out", str(out), "--steps", str(steps), "--lr", "3e-3",
            "--frames", str(FRAMES), "--width", "64", "--height", "64", "--eval-every", str(EVAL_EVERY),
            "--eval-clips", "2", "--save-every", "16", "--seed", "5", *extra]


@pytest.fixture(scope="module")
def m(pack):
    name = pack.__name__
    return SimpleNamespace(
        cli=importlib.import_module(name + ".trackdiff_core.training.cli"),
        task=importlib.import_module(name + ".trackdiff_core.training.instance_enhancer_task"),
        clips=importlib.import_module(name + ".trackdiff_core.training.clips"),
        core=importlib.import_module(name + ".trackdiff_core.trackdiffusion"),
        patch=importlib.import_module(name + ".nodes.trackdiffusion_patch"),
        Tracklets=importlib.import_module(name + ".trackdiff_core").Tracklets,
    )


@pytest.fixture(scope="module")
def trained(m, tiny_svd_path, tmp_path_factory):
    base = tmp_path_factory.mktemp("instance_enhancer_training")
    weights = ckpt.write_released(base / "diffusion_pytorch_model.safetensors")
    assert m.cli.main(["synth", "--out", str(base / "clips"), "--count", "2", "--frames", str(FRAMES), "--width", "64",
                       "--height", "64", "--seed", "1"]) == 0
    result = m.cli.train(m.cli.build_parser().parse_args(run_args(base / "run", base / "clips", tiny_svd_path, weights)))
    unet = result.backend.model.model.diffusion_model  # as trained (ComfyUI may unpatch it when other models load)
    state = {k: v.detach().clone() for k, v in unet.state_dict().items()}
    return SimpleNamespace(base=base, weights=weights, result=result, unet=unet, unet_state=state)


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def tracklets(m, frames=FRAMES):
    boxes = np.zeros((frames, 2, 4), np.float32)
    boxes[:, 0] = np.linspace([0.05, 0.1, 0.45, 0.5], [0.45, 0.4, 0.95, 0.9], frames)
    boxes[:, 1] = np.linspace([0.6, 0.55, 0.95, 0.95], [0.1, 0.5, 0.45, 0.9], frames)
    return m.Tracklets(boxes, np.ones((frames, 2), bool), colors=[[0.9, 0.1, 0.1], [0.1, 0.2, 0.9]])


def test_a_few_dozen_steps_lower_the_held_out_loss(trained):
    result = trained.result
    losses = [r["eval_loss"] for r in result.evaluations]
    assert [r["step"] for r in result.evaluations] == [0, 16, 32, 48]
    assert all(later < losses[0] for later in losses[1:]), losses
    assert losses[-1] < min(losses[:-1]) and losses[-1] < (1 - 5e-4) * losses[0], losses  # the trend is clear
    steps = [json.loads(x) for x in (trained.base / "run" / "log.jsonl").read_text().splitlines() if '"loss"' in x]
    assert len(steps) == STEPS and all(np.isfinite(r["loss"]) for r in steps)
    assert steps[0]["gate"] == 0.0 and steps[-1]["gate"] > 0.02  # zero-initialised gates open as it learns
    assert 0 < sum(r["dropped"] for r in steps) < STEPS // 4  # some unconditional steps (10 %)


def test_the_unet_the_fusers_and_the_box_encoder_stay_frozen(m, trained, tiny_svd_path):
    result, released = trained.result, m.core.load_weights(trained.weights)
    assert all(not p.requires_grad and p.grad is None for p in trained.unet.parameters())
    original = tensors(tiny_svd_path)
    retrained = {k: v for k, v in released.unet.items()}  # conv_in, conv_out, mix factors: applied as weight patches
    for key, value in trained.unet_state.items():
        expect = retrained[key] if key in retrained else original["model.diffusion_model." + key]
        assert torch.equal(value, expect.reshape(value.shape)), key
    modules = result.module
    for site, fuser in modules.fusers.items():
        assert all(not p.requires_grad and p.grad is None for p in fuser.parameters())
        assert all(torch.equal(v, released.fusers[site][k].reshape(v.shape)) for k, v in fuser.state_dict().items())
    assert all(not p.requires_grad and p.grad is None for p in modules.position_net.parameters())
    assert sorted(modules.instance_enhancer) == sorted(m.core.DECODER_SITES)
    assert all(p.requires_grad and p.grad is not None for p in modules.instance_enhancer.parameters())
    assert m.patch.attached_modules(result.backend.patched) is modules  # the model ran the trained modules


def test_every_clip_brings_its_own_boxes(m, trained):
    """The training patch builds object tokens from the current clip's boxes at every model call (the node's patch
    keeps them for a whole sampling run)."""
    import comfy.model_management

    backend = trained.result.backend
    comfy.model_management.load_models_gpu([backend.patched])  # as trained, whatever ran since
    (patch,) = [p for p in backend.patched.model_options["transformer_options"]["patches"]["middle_patch"]
                if isinstance(p, m.patch.TrainingPatch)]
    clip = m.clips.load_clip(sorted(str(p) for p in (trained.base / "clips").glob("*.safetensors"))[0])
    x0, conditioning = backend.encode_frames(clip.frames), backend.conditioning(clip)
    noisy = x0 + torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    first, second = m.core.slot_boxes(tracklets(m), 20, FRAMES), m.core.slot_boxes(clip.tracklets, 20, FRAMES)

    def denoise(slots):
        patch.source.set_slots(slots)
        with torch.no_grad():
            return backend.denoise(noisy, torch.tensor([1.0]), conditioning)

    a, b, again = denoise(first), denoise(second), denoise(first)
    assert torch.equal(a, again) and not torch.equal(a, b)


def test_the_saved_file_loads_and_the_node_reproduces_the_trained_model(m, trained, tiny_svd):
    result = trained.result
    loaded = m.core.load_weights(str(result.output), field_name="weights_name")  # what TrackDiffusionLoader does
    assert sorted(loaded.instance_enhancer) == sorted(m.core.DECODER_SITES)
    assert "Instance Enhancer sites" in loaded.report.text()
    assert loaded.enhancer_config["training"]["steps"] == STEPS
    boxes = tracklets(m)

    runtime = m.task.BoxTrackletRuntime(m.core.load_weights(trained.weights), result.module)
    runtime.set_slots(m.core.slot_boxes(boxes, 20, FRAMES))
    as_trained = m.patch.apply_trackdiffusion_training(tiny_svd.model, runtime)
    from_file = m.patch.apply_trackdiffusion(tiny_svd.model, loaded, boxes)
    assert sorted(m.patch.attached_modules(from_file).instance_enhancer) == sorted(m.core.DECODER_SITES)
    without = m.patch.apply_trackdiffusion(tiny_svd.model, m.core.load_weights(trained.weights), boxes)
    with torch.no_grad():
        trained_out = tiny_svd.run(as_trained, frames=FRAMES, steps=2)
        node_out = tiny_svd.run(from_file, frames=FRAMES, steps=2)
        base_out = tiny_svd.run(without, frames=FRAMES, steps=2)
    assert torch.equal(trained_out, node_out)
    assert not torch.equal(node_out, base_out)  # the trained enhancer acts


def test_resume_from_a_checkpoint_is_exact(m, trained, tiny_svd_path):
    base, result = trained.base, trained.result
    resumed = base / "resumed"
    shutil.copytree(base / "run", resumed)
    for name in ("step_0000048.safetensors", "step_0000048.optimizer.safetensors"):
        (resumed / "checkpoints" / name).unlink()
    (resumed / m.task.InstanceEnhancerTask.output_name).unlink()
    assert m.cli.main(run_args(resumed, base / "clips", tiny_svd_path, trained.weights, STEPS, "--resume",
                               "--eval-every", "0")) == 0
    first, second = tensors(result.output), tensors(resumed / m.task.InstanceEnhancerTask.output_name)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def document(frame_count=14) -> str:
    objects = [{"id": 1, "color": "#d62728", "keyframes": [{"frame": 0, "box": [0.25, 0.25, 0.5, 0.5]},
                                                           {"frame": frame_count - 1, "box": [0.5, 0.4, 0.9, 0.8]}]},
               {"id": 2, "color": "#1f77b4", "keyframes": [{"frame": 0, "box": [0.6, 0.6, 0.95, 0.95]},
                                                           {"frame": frame_count - 1, "box": [0.1, 0.6, 0.45, 0.95]}]}]
    return json.dumps({"version": 1, "kind": "tracklets", "frame_count": frame_count, "objects": objects})


def workflow(weights_name: str) -> dict:
    return {
        "1": {"class_type": "ImageOnlyCheckpointLoader", "inputs": {"ckpt_name": comfy_host.TINY_CHECKPOINT}},
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "3": {"class_type": "SVD_img2vid_Conditioning",
              "inputs": {"clip_vision": ["1", 1], "init_image": ["2", 0], "vae": ["1", 2], "width": 64, "height": 64,
                         "video_frames": FRAMES, "motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}},
        "4": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": document(), "image": ["2", 0]}},
        "5": {"class_type": "TrackDiffusionLoader", "inputs": {"weights_name": weights_name}},
        "6": {"class_type": "InstanceEnhancer",
              "inputs": {"model": ["1", 0], "tracklets": ["4", 0], "weights": ["5", 0], "strength": 1.0,
                         "start_percent": 0.0, "end_percent": 1.0, "boxes_for_uncond": False, "consistency": 0.0,
                         "frame_mismatch": "resample"}},
        "7": {"class_type": "KSampler",
              "inputs": {"model": ["6", 0], "positive": ["3", 0], "negative": ["3", 1], "latent_image": ["3", 2],
                         "seed": 3, "steps": 2, "cfg": 2.5, "sampler_name": "euler", "scheduler": "karras",
                         "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["7", 0], "vae": ["1", 2]}},
        "9": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["8", 0]}},
    }


def test_the_trained_file_runs_in_a_workflow_through_prompt(trained, comfy_server):
    folder = comfy_server.base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(trained.result.output, folder / TRAINED_NAME)
    shutil.copy(trained.weights, folder / BASE_NAME)
    stats = comfy_server.run(workflow(TRAINED_NAME))["9"]["trackdiff_stats"][0]
    assert stats["shape"] == [FRAMES, 64, 64, 3] and stats["finite"]
    base = comfy_server.run(workflow(BASE_NAME))["9"]["trackdiff_stats"][0]
    assert base["shape"] == stats["shape"] and base != stats  # the node ran the trained enhancer


def test_bad_inputs_fail_with_a_clear_message(m, trained, tiny_svd_path, tmp_path, caplog):
    clips = trained.base / "clips"
    args = run_args(tmp_path / "a", clips, tiny_svd_path, trained.weights, 1)
    no_weights = [a for i, a in enumerate(args) if a != "--weights" and args[i - 1] != "--weights"]
    assert m.cli.main(no_weights) == 2
    assert "--weights: is required" in caplog.text
    wide = ckpt.write_released(tmp_path / "wide.safetensors", ckpt.UNetDims(channels=(64, 128, 256, 256),
                               heads=(4, 8, 16, 16), context_dim=32), stock=False)
    assert m.cli.main(run_args(tmp_path / "b", clips, tiny_svd_path, wide, 1)) == 2
    assert "--weights.fuser.input_1: does not fit the model's block (32 channels) (got '64 channels')" in caplog.text
    clip = m.clips.load_clip(sorted(str(p) for p in clips.glob("*.safetensors"))[0])
    hidden = m.Tracklets(clip.tracklets.boxes, np.zeros_like(clip.tracklets.visible), clip.tracklets.ids,
                         clip.tracklets.labels, clip.tracklets.colors)
    (tmp_path / "boxless").mkdir()
    m.clips.save_clip(m.clips.Clip(clip.frames, clip.trajectories, clip.masks, hidden),
                      str(tmp_path / "boxless" / "clip.safetensors"))
    assert m.cli.main(run_args(tmp_path / "c", tmp_path / "boxless", tiny_svd_path, trained.weights, 1)) == 2
    assert "clip.boxes: has no box tracklet to train the Instance Enhancer on" in caplog.text


def test_the_node_refuses_an_enhancer_made_for_another_model(m, trained, tiny_svd):
    weights = m.core.load_weights(str(trained.result.output))
    weights.instance_enhancer["output_3"] = m.core.InstanceEnhancer(256, 16, 16).state_dict()  # the block is 128 wide
    with pytest.raises(ValueError, match=r"weights.instance_enhancer.output_3: does not fit the model's 128-channel "
                                         r"block \(got \(256,\)\)"):
        m.patch.apply_trackdiffusion(tiny_svd.model, weights, tracklets(m))


def test_a_half_precision_unet_trains_a_float32_enhancer(m, trained, tiny_svd_path, tmp_path):
    """As on a GPU: the UNet in float16, the enhancer (and the fusers it sits behind) in float32; the patch casts the
    activations at the boundary and gradients still reach the gates."""
    args = run_args(tmp_path / "fp16", trained.base / "clips", tiny_svd_path, trained.weights, 2, "--unet-dtype",
                    "fp16", "--lr", "1e-2", "--eval-every", "0")
    result = m.cli.train(m.cli.build_parser().parse_args(args))
    assert result.backend.model.model.get_dtype() == torch.float16
    assert all(p.dtype == torch.float32 for p in result.module.parameters())
    assert all(np.isfinite(r["loss"]) for r in result.history) and result.history[-1]["gate"] > 0

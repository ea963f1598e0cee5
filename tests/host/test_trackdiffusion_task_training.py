"""Training TrackDiffusion's box control from scratch on the real tiny SVD through ComfyUI (``python -m
trackdiff_core.training trackdiffusion``'s code path, on toy-world clips): the loss falls, the trained UNet tensors live
in object patches and the model's own are untouched, the file loads in TrackDiffusionLoader's code path and reproduces
the trained model, runs in a workflow through /prompt, resumes exactly, and the Instance Enhancer task trains on it."""

from __future__ import annotations

import importlib
import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors import safe_open

from test_trackdiffusion_training import FRAMES, tracklets, workflow

STEPS, EVAL_EVERY = 24, 8
TRAINED_NAME = "tiny_trackdiffusion_task_trained.safetensors"
UNTRAINED_NAME = "tiny_trackdiffusion_task_step0.safetensors"
PREFIX = "model.diffusion_model."


def run_args(out, checkpoint, steps=STEPS, *extra):
    return ["trackdiffusion", "--backend", "comfyui", "--checkpoint", str(checkpoint), "--device", "cpu",
            "--data", "toy", "--out", str(out), "--steps", str(steps), "--lr", "3e-3", "--frames", str(FRAMES),
            "--width", "64", "--height", "64", "--eval-every", str(EVAL_EVERY), "--eval-clips", "2", "--save-every",
            "8", "--seed", "4", "--box-hidden", "64", *extra]


@pytest.fixture(scope="module")
def m(pack):
    name = pack.__name__
    return SimpleNamespace(
        cli=importlib.import_module(name + ".trackdiff_core.training.cli"),
        task=importlib.import_module(name + ".trackdiff_core.training.trackdiffusion_task"),
        runtime=importlib.import_module(name + ".trackdiff_core.training.box_tracklets"),
        core=importlib.import_module(name + ".trackdiff_core.trackdiffusion"),
        patch=importlib.import_module(name + ".nodes.trackdiffusion_patch"),
        Tracklets=importlib.import_module(name + ".trackdiff_core").Tracklets,
    )


@pytest.fixture(scope="module")
def trained(m, tiny_svd_path, tmp_path_factory):
    base = tmp_path_factory.mktemp("trackdiffusion_task")
    result = m.cli.train(m.cli.build_parser().parse_args(run_args(base / "run", tiny_svd_path)))
    return SimpleNamespace(base=base, result=result)


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def test_a_few_dozen_steps_lower_the_held_out_loss(trained):
    result = trained.result
    losses = [r["eval_loss"] for r in result.evaluations]
    assert [r["step"] for r in result.evaluations] == [0, 8, 16, 24]
    assert all(b < a for a, b in zip(losses, losses[1:])) and losses[-1] < 0.99 * losses[0], losses  # a steady fall
    steps = [json.loads(x) for x in (trained.base / "run" / "log.jsonl").read_text().splitlines() if '"loss"' in x]
    assert len(steps) == STEPS and all(np.isfinite(r["loss"]) for r in steps)
    assert steps[0]["gate_attn"] == 0.0 and steps[-1]["gate_attn"] > 0.01


def test_what_trains_is_the_authors_set_and_the_models_own_tensors_are_untouched(m, trained, tiny_svd_path):
    import comfy.model_management

    result = trained.result
    module, patched = result.module, result.backend.patched
    assert sorted(module.trackdiffusion.fusers) == sorted(s.key for s in result.backend.site_specs())  # all 16
    assert module.trackdiffusion.layout.token_dim == 32  # the tiny SVD's context width
    trained_unet = module.unet_parameters()
    mix = [k for k in trained_unet if k.endswith("time_mixer.mix_factor")]
    assert {"input_blocks.0.0.weight", "input_blocks.0.0.bias", "out.2.weight", "out.2.bias"} <= set(trained_unet)
    assert len(mix) == 38 and len(trained_unet) == 42  # 16 transformers + 22 temporal resblocks, as released
    assert all(p.requires_grad and p.grad is not None for p in module.parameters())
    original = tensors(tiny_svd_path)
    comfy.model_management.load_models_gpu([patched])
    unet = patched.model.diffusion_model
    while_patched = dict(unet.named_parameters())
    for key, param in trained_unet.items():
        assert while_patched[key] is param  # the trainer's parameter runs in the model
        assert not torch.equal(param.detach(), original[PREFIX + key].reshape(param.shape)), key
    assert not any(p.requires_grad for k, p in while_patched.items() if k not in trained_unet)
    patched.unpatch_model()
    for key, value in unet.state_dict().items():  # unpatched: the model's own tensors, never changed
        assert torch.equal(value, original[PREFIX + key].reshape(value.shape)), key
    comfy.model_management.load_models_gpu([patched])
    assert dict(unet.named_parameters())["out.2.weight"] is trained_unet["out.2.weight"]


def test_the_file_loads_and_the_node_reproduces_the_trained_model(m, trained, tiny_svd):
    result = trained.result
    loaded = m.core.load_weights(str(result.output), field_name="weights_name")  # what TrackDiffusionLoader does
    assert loaded.stage == "trained" and len(loaded.fusers) == 16 and len(loaded.unet) == 42
    assert "re-trained UNet tensors" in loaded.report.text()
    boxes = tracklets(m)
    task = m.task.TrackDiffusionTask(size=(64, 64))
    runtime = m.runtime.BoxTrackletRuntime(task.trained_weights(result.module), result.module.trackdiffusion,
                                           result.module.unet_parameters())
    runtime.set_slots(m.core.slot_boxes(boxes, 20, FRAMES))
    as_trained = m.patch.apply_trackdiffusion_training(tiny_svd.model, runtime)
    from_file = m.patch.apply_trackdiffusion(tiny_svd.model, loaded, boxes)
    with torch.no_grad():
        trained_out = tiny_svd.run(as_trained, frames=FRAMES, steps=2)
        node_out = tiny_svd.run(from_file, frames=FRAMES, steps=2)
        stock_out = tiny_svd.run(tiny_svd.model, frames=FRAMES, steps=2)
    assert torch.equal(trained_out, node_out), float((trained_out - node_out).abs().max())
    assert not torch.allclose(node_out, stock_out, atol=1e-3)  # the trained control acts


def test_the_trained_file_runs_in_a_workflow_through_prompt(m, trained, comfy_server):
    folder = comfy_server.base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(trained.result.output, folder / TRAINED_NAME)
    task = m.task.TrackDiffusionTask(size=(64, 64), box_hidden=64, seed=4)
    task.save(task.build(trained.result.backend), str(folder / UNTRAINED_NAME), 0)  # step 0: the backbone exactly
    stats = comfy_server.run(workflow(TRAINED_NAME))["9"]["trackdiff_stats"][0]
    assert stats["shape"] == [FRAMES, 64, 64, 3] and stats["finite"]
    untrained = comfy_server.run(workflow(UNTRAINED_NAME))["9"]["trackdiff_stats"][0]
    assert untrained["shape"] == stats["shape"] and untrained != stats


def test_resume_from_a_checkpoint_is_exact(m, trained, tiny_svd_path):
    base, result = trained.base, trained.result
    resumed = base / "resumed"
    shutil.copytree(base / "run", resumed)
    for name in ("step_0000024.safetensors", "step_0000024.optimizer.safetensors"):
        (resumed / "checkpoints" / name).unlink()
    (resumed / m.task.TrackDiffusionTask.output_name).unlink()
    assert m.cli.main(run_args(resumed, tiny_svd_path, STEPS, "--resume", "--eval-every", "0")) == 0
    first, second = tensors(result.output), tensors(resumed / m.task.TrackDiffusionTask.output_name)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_the_instance_enhancer_task_trains_on_the_file(m, trained, tiny_svd_path, tmp_path):
    args = ["instance_enhancer", "--backend", "comfyui", "--checkpoint", str(tiny_svd_path), "--device", "cpu",
            "--weights", str(trained.result.output), "--data", "toy", "--out", str(tmp_path / "ie"), "--steps", "2",
            "--frames", str(FRAMES), "--width", "64", "--height", "64", "--lr", "1e-2"]
    assert m.cli.main(args) == 0
    saved = m.core.load_weights(str(tmp_path / "ie" / "trackdiffusion_instance_enhancer.safetensors"))
    assert sorted(saved.instance_enhancer) == sorted(m.core.DECODER_SITES)
    base = tensors(trained.result.output)
    after = tensors(tmp_path / "ie" / "trackdiffusion_instance_enhancer.safetensors")
    assert all(torch.equal(after[k], v) for k, v in base.items())  # the trained box control, carried frozen


def test_a_half_precision_unet_is_refused_with_the_fix(m, trained, tiny_svd_path, tmp_path, caplog):
    assert m.cli.main(run_args(tmp_path / "fp16", tiny_svd_path, 1, "--unet-dtype", "fp16")) == 2
    assert "--unet-tensors: cannot train its conv_in / conv_out / mix factors in place" in caplog.text
    assert "--no-unet-tensors" in caplog.text
    args = run_args(tmp_path / "fp16b", tiny_svd_path, 2, "--unet-dtype", "fp16", "--no-unet-tensors",
                    "--eval-every", "0")
    result = m.cli.train(m.cli.build_parser().parse_args(args))
    assert all(p.dtype == torch.float32 for p in result.module.parameters()) and result.module.unet_keys == ()
    assert all(np.isfinite(r["loss"]) for r in result.history)

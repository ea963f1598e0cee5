"""The ``trackdiffusion`` training task (box control from scratch) on a small real network
(tests/core/training_toy_box_backend.py): step 0 is the backbone exactly, it learns, what trains is what the authors
train, the frozen model never changes, the file reloads to the same outputs and carries the Instance Enhancer task,
resume is exact, and bad inputs fail clearly. tests/host trains it on the real tiny SVD through ComfyUI."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.trackdiffusion import load_weights
from trackdiff_core.training import Trainer
from trackdiff_core.training.cli import main
from trackdiff_core.training.instance_enhancer_task import InstanceEnhancerTask
from trackdiff_core.training.loop import step_generator
from trackdiff_core.training.toy_world import ToyWorldClips
from trackdiff_core.training.trackdiffusion_task import TrackDiffusionTask, retrained_unet_key

from training_toy_box_backend import ENHANCER_SITES, LAYOUT, SITES, ToyBoxBackend

TOY = "training_toy_box_backend:ToyBoxBackend"  # tests/core is on sys.path under pytest
RETRAINED = sorted(["input_blocks.0.0.weight", "input_blocks.0.0.bias", "out.2.weight", "out.2.bias"]
                   + [f"sites.{site}.time_mixer.mix_factor" for site in SITES])


def data():
    return ToyWorldClips(frames=6, width=32, height=32, seed=0, max_objects=3)


def task(**kwargs):
    options = dict(size=(32, 32), box_hidden=32, seed=3)
    options.update(kwargs)
    return TrackDiffusionTask(**options)


def trainer(out, steps, the_task=None, **kwargs):
    options = dict(lr=3e-3, save_every=4, seed=1)
    options.update(kwargs)
    return Trainer(the_task or task(), ToyBoxBackend(), data(), str(out), steps, **options)


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def denoise(backend, the_task, clip, sigma=2.0, seed=0):
    x0 = backend.encode_frames(clip.frames)
    noisy = x0 + sigma * torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    if backend.runtime is not None:
        backend.runtime.set_slots(the_task.clip_slots(clip))
    with torch.no_grad():
        return backend.denoise(noisy, torch.tensor([sigma]), backend.conditioning(clip))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("trackdiffusion")
    the_task = task()
    return out, the_task, trainer(out, 40, the_task, save_every=20, eval_every=20, eval_clips=8).run()


def test_step_zero_is_the_backbone_exactly():
    the_task, backend = task(), ToyBoxBackend()
    clip = data().clip(5)
    stock = denoise(backend, the_task, clip)
    module = the_task.build(backend)
    the_task.attach(backend, module)
    assert sorted(module.unet_keys) == RETRAINED and sorted(module.trackdiffusion.fusers) == sorted(SITES)
    assert module.trackdiffusion.layout.token_dim == LAYOUT.token_dim  # the model's context width
    assert torch.equal(denoise(backend, the_task, clip), stock)  # zero gates, the backbone's own UNet tensors


def test_a_few_dozen_steps_lower_the_held_out_loss(trained):
    out, _, result = trained
    losses = [e["eval_loss"] for e in result.evaluations]
    assert [e["step"] for e in result.evaluations] == [0, 20, 40]
    assert losses[2] < losses[1] < losses[0] and losses[2] < 0.9 * losses[0], losses
    steps = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if '"loss"' in line]
    assert [r["step"] for r in steps] == list(range(1, 41))
    assert {"edm", "sigma", "dropped", "objects", "gate_attn", "gate_dense", "grad_norm"} <= set(steps[0])
    assert steps[0]["gate_attn"] == 0.0 and steps[-1]["gate_attn"] > 0.01 and steps[-1]["gate_dense"] > 0.01
    assert 1 <= sum(r["dropped"] for r in steps) <= 12  # about 10 % unconditional steps
    assert all(r["objects"] >= 1 for r in steps)


def test_what_trains_is_what_the_authors_train_and_the_frozen_model_never_changes(trained):
    _, _, result = trained
    module, backend = result.module, result.backend
    stock = ToyBoxBackend().net.state_dict()
    assert all(torch.equal(v, stock[k]) for k, v in backend.net.state_dict().items())  # the frozen net, untouched
    assert not any(p.requires_grad for p in backend.net.parameters())
    trained_unet = module.unet_parameters()
    assert sorted(trained_unet) == RETRAINED and all(retrained_unet_key(k) for k in trained_unet)
    assert all(not torch.equal(v.detach(), stock[k]) for k, v in trained_unet.items())  # every one of them moved
    everything = list(module.parameters())
    assert all(p.requires_grad and p.dtype == torch.float32 and p.grad is not None for p in everything)
    assert len(module.trackdiffusion.instance_enhancer) == 0


def test_the_file_reloads_to_identical_outputs(trained):
    _, the_task, result = trained
    loaded = load_weights(str(result.output))  # what TrackDiffusionLoader reads
    assert loaded.stage == "trained" and sorted(loaded.fusers) == sorted(SITES) and sorted(loaded.unet) == RETRAINED
    assert loaded.layout == result.module.trackdiffusion.layout and loaded.slots == 20
    assert "40 steps of the trackdiffusion task" in loaded.source
    assert all(v.dtype == torch.float32 for v in loaded.tensors().values())
    backend, clip = result.backend, data().clip(77)
    as_trained = denoise(backend, the_task, clip)
    reloaded_task = task()
    module = reloaded_task.load(str(result.output), backend)
    reloaded_task.attach(backend, module)
    assert torch.equal(denoise(backend, reloaded_task, clip), as_trained)
    the_task.attach(backend, result.module)


def test_resume_continues_exactly_as_if_never_stopped(tmp_path):
    straight = trainer(tmp_path / "a", 6).run()
    trainer(tmp_path / "b", 4).run()
    resumed = trainer(tmp_path / "b", 6, resume=True).run()
    first, second = tensors(straight.output), tensors(resumed.output)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    opt_a = tensors(tmp_path / "a" / "checkpoints" / "step_0000006.optimizer.safetensors")
    opt_b = tensors(tmp_path / "b" / "checkpoints" / "step_0000006.optimizer.safetensors")
    assert opt_a.keys() == opt_b.keys() and all(torch.equal(opt_a[k], opt_b[k]) for k in opt_a)


def test_the_instance_enhancer_trains_on_the_file(trained, tmp_path):
    _, the_task, result = trained
    enhancer = InstanceEnhancerTask(str(result.output), sites=ENHANCER_SITES, size=(32, 32))
    run = Trainer(enhancer, ToyBoxBackend(), data(), str(tmp_path / "ie"), 3, lr=3e-3, seed=2).run()
    saved = load_weights(str(run.output))
    assert sorted(saved.instance_enhancer) == sorted(ENHANCER_SITES)
    first = tensors(result.output)
    after = tensors(run.output)
    assert all(torch.equal(after[k], v) for k, v in first.items())  # box encoder, fusers, UNet tensors: frozen
    # The enhancer's model is the trained one: with a closed enhancer, it denoises as the trackdiffusion run did.
    backend, clip = run.backend, data().clip(9)
    with torch.no_grad():
        for m in run.module.instance_enhancer.values():
            m.gate.zero_()
    reference = result.backend
    the_task.attach(reference, result.module)
    assert torch.allclose(denoise(backend, enhancer, clip), denoise(reference, the_task, clip), atol=1e-6)


def test_without_unet_tensors_only_the_box_encoder_and_fusers_train(tmp_path):
    result = trainer(tmp_path / "n", 2, task(unet_tensors=False)).run()
    assert result.module.unet_keys == () and load_weights(str(result.output)).unet == {}
    assert all(p.grad is not None for p in result.module.parameters())


def test_an_unconditional_step_drops_the_boxes_and_the_image():
    clip = data().clip(3)
    for dropout, dropped in ((0.0, False), (0.999, True)):
        the_task, backend = task(condition_dropout=dropout), ToyBoxBackend()
        module = the_task.build(backend)
        the_task.attach(backend, module)
        _, values = the_task.loss(module, clip, backend, step_generator(0, 0))
        present = the_task.runtime.slots.present
        assert values["dropped"] == int(dropped)
        assert (not present.any()) if dropped else bool(present.any())
        assert bool(backend.conditionings[-1].any()) != dropped


class _NoContext(ToyBoxBackend):
    context_dim = None


def test_bad_inputs_fail_clearly(tmp_path, caplog):
    with pytest.raises(TrackDiffError, match="--condition-dropout"):
        task(condition_dropout=1.0)
    with pytest.raises(TrackDiffError, match="--box-layout"):
        task(box_layout="fourier9")
    with pytest.raises(TrackDiffError, match="--box-hidden"):
        task(box_hidden=0)
    with pytest.raises(TrackDiffError, match="--token-dim: is needed"):
        task().build(_NoContext())
    assert task(token_dim=16).build(_NoContext()).trackdiffusion.layout.token_dim == 16
    half = ToyBoxBackend()
    half.net.out[2].half()
    with pytest.raises(TrackDiffError, match="--unet-tensors: cannot train .* in place .got 'a float16 UNet'"):
        task().build(half)
    wide = task(box_hidden=32)
    other = ToyBoxBackend()
    saved = tmp_path / "w.safetensors"
    module = wide.build(other)
    wide.save(module, str(saved), 1)
    from trackdiff_core.trackdiffusion import save_weights
    weights = load_weights(str(saved))
    weights.unet["input_blocks.0.0.weight"] = torch.zeros(16, 9, 3, 3)
    save_weights(str(saved), weights, dtype=None)
    with pytest.raises(TrackDiffError, match=r"unet.input_blocks.0.0.weight: does not match the model's \(16, 7, 3, 3\)"):
        task().load(str(saved), other)


def test_the_cli_subcommand_trains_and_the_instance_enhancer_trains_on_its_file(tmp_path, caplog):
    # --paper: the authors' design (the toy backend's blocks give a box-masked fuser no token grid)
    args = ["trackdiffusion", "--backend", TOY, "--paper", "--data", "toy", "--out", str(tmp_path / "run"), "--steps",
            "3", "--frames", "6", "--width", "32", "--height", "32", "--save-every", "2", "--lr", "1e-3", "--box-hidden",
            "32"]
    assert main(args) == 0
    output = tmp_path / "run" / TrackDiffusionTask.output_name
    saved = load_weights(str(output))
    assert sorted(saved.fusers) == sorted(SITES) and sorted(saved.unet) == RETRAINED
    assert saved.layout.hidden == 32 and saved.layout.token_dim == LAYOUT.token_dim
    assert main(args[:-6] + ["--steps", "4", "--resume", "--lr", "1e-3", "--box-hidden", "32"]) == 0
    assert main(["instance_enhancer", "--backend", TOY, "--data", "toy", "--weights", str(output), "--sites",
                 "output_3,output_6", "--out", str(tmp_path / "ie"), "--steps", "2", "--frames", "6", "--width", "32",
                 "--height", "32"]) == 0
    assert sorted(load_weights(str(tmp_path / "ie" / InstanceEnhancerTask.output_name)).instance_enhancer) == \
        ["output_3", "output_6"]


def test_box_loss_gap_of_the_toy_world_experiment(tmp_path):
    """The experiment's TrackDiffusion loss gap (experiments/toy_world/box_loss_gap.py) on a trained toy model: every
    variant's loss, and the boxes matter (moving them changes the loss, taking them away changes it)."""
    from experiments.toy_world.box_loss_gap import NO_BOXES, box_loss_gap, with_box_motion
    from experiments.toy_world.measure import drawn_motion
    from trackdiff_core.training.loop import EVAL_OFFSET

    the_task = task()
    backend = ToyBoxBackend()
    result = Trainer(the_task, backend, data(), str(tmp_path), 12, lr=3e-3, seed=1).run()
    assert result.steps == 12
    gap = box_loss_gap(the_task, backend, data(), [EVAL_OFFSET + i for i in range(2)])
    assert set(gap["summary"]) == {"true", "other", "reversed", "still", NO_BOXES} and len(gap["clips"]) == 2
    for clip in gap["clips"]:
        assert len({round(clip[name], 12) for name in gap["summary"]}) > 1
    clip = data().clip(EVAL_OFFSET)
    moved = with_box_motion(clip, drawn_motion(clip, "true"))
    first = moved.tracklets.visible[0] & clip.tracklets.visible[0]
    assert torch.allclose(torch.as_tensor(moved.tracklets.boxes[0][first]), torch.as_tensor(clip.tracklets.boxes[0][first]))

"""The ``instance_enhancer`` training task on a small real network (tests/core/training_toy_box_backend.py): it learns,
only the enhancer changes, the file it writes reloads to the same outputs, resume is exact, the unconditional steps
are what guidance's negative half sees, and bad inputs fail clearly. tests/host trains it on the real tiny SVD."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.tracklets import Tracklets
from trackdiff_core.trackdiffusion import InstanceEnhancer, TrackDiffusionModules, load_weights, save_weights
from trackdiff_core.trackdiffusion.object_slots import SlotBoxes
from trackdiff_core.training import Clip, SyntheticClips, Trainer
from trackdiff_core.training.cli import main
from trackdiff_core.training.instance_enhancer_task import InstanceEnhancerTask, center_crop_slots, clip_from_boxes
from trackdiff_core.training.loop import step_generator

from training_toy_box_backend import ENHANCER_SITES, SITES, ToyBoxBackend, toy_weights

TOY = "training_toy_box_backend:ToyBoxBackend"  # tests/core is on sys.path under pytest


def data():
    return SyntheticClips(frames=6, width=32, height=32, seed=0, max_objects=2, points_per_object=8)


def task(weights=None, **kwargs):
    options = dict(sites=ENHANCER_SITES, size=(32, 32))
    options.update(kwargs)
    return InstanceEnhancerTask(toy_weights() if weights is None else weights, **options)


def trainer(out, steps, the_task=None, **kwargs):
    options = dict(lr=3e-3, save_every=4, seed=1)
    options.update(kwargs)
    return Trainer(the_task or task(), ToyBoxBackend(), data(), str(out), steps, **options)


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def heads():
    return {k: (n, d) for k, (_, n, d, _) in SITES.items()}


def box_clip(boxes, visible, width=32, height=32) -> Clip:
    boxes = np.asarray(boxes, np.float32)
    return clip_from_boxes(np.zeros((boxes.shape[0], height, width, 3), np.uint8), Tracklets(boxes, visible))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("instance_enhancer")
    return out, trainer(out, 40, save_every=20, eval_every=20, eval_clips=8).run()


def test_a_few_dozen_steps_lower_the_held_out_loss(trained):
    out, result = trained
    losses = [e["eval_loss"] for e in result.evaluations]
    assert [e["step"] for e in result.evaluations] == [0, 20, 40]
    assert losses[2] < losses[1] < losses[0] and losses[2] < 0.9 * losses[0], losses
    steps = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if '"loss"' in line]
    assert [r["step"] for r in steps] == list(range(1, 41))
    assert {"edm", "sigma", "dropped", "objects", "gate", "grad_norm"} <= set(steps[0])
    assert steps[0]["gate"] == 0.0 and steps[-1]["gate"] > 0.01  # zero-initialised gates open as it learns
    assert 1 <= sum(r["dropped"] for r in steps) <= 12  # about 10 % unconditional steps
    assert all(r["objects"] >= 1 for r in steps)


def test_only_the_instance_enhancer_learns(trained):
    _, result = trained
    modules, weights = result.module, toy_weights()
    assert sorted(modules.instance_enhancer) == sorted(ENHANCER_SITES)
    for site, fuser in modules.fusers.items():
        assert all(not p.requires_grad and p.grad is None for p in fuser.parameters())
        assert all(torch.equal(v, weights.fusers[site][k].reshape(v.shape)) for k, v in fuser.state_dict().items())
    assert all(not p.requires_grad for p in modules.position_net.parameters())
    enhancer = list(modules.instance_enhancer.parameters())
    assert all(p.requires_grad and p.dtype == torch.float32 and p.grad is not None for p in enhancer)
    assert all(m.gate.abs() > 0 and m.cross.to_out[0].weight.abs().max() > 0 for m in modules.instance_enhancer.values())
    assert not any(p.requires_grad for p in result.backend.net.parameters())


def test_the_saved_file_reloads_to_identical_outputs(trained):
    _, result = trained
    loaded = load_weights(str(result.output))
    assert sorted(loaded.instance_enhancer) == sorted(ENHANCER_SITES)
    assert loaded.enhancer_config["training"]["steps"] == 40 and loaded.enhancer_config["bins"] == 2
    assert all(v.dtype == torch.float32 for s in loaded.instance_enhancer.values() for v in s.values())
    rebuilt = TrackDiffusionModules.from_weights(loaded, heads())
    backend, clip = result.backend, data().clip(123)
    the_task = task()
    slots = the_task.clip_slots(clip)
    x0 = backend.encode_frames(clip.frames)
    noisy = x0 + 2.0 * torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))

    def denoise(modules):
        backend.runtime.modules = modules
        backend.runtime.set_slots(slots)
        with torch.no_grad():
            return backend.denoise(noisy, torch.tensor([2.0]), backend.conditioning(clip))

    trained_out, reloaded_out = denoise(result.module), denoise(rebuilt)
    fresh = the_task.build(backend)
    assert torch.equal(trained_out, reloaded_out)
    assert not torch.allclose(trained_out, denoise(fresh))  # the enhancer changes the output; fresh ones do not
    backend.runtime.modules = result.module


def test_resume_continues_exactly_as_if_never_stopped(tmp_path):
    straight = trainer(tmp_path / "a", 8).run()
    trainer(tmp_path / "b", 4).run()
    resumed = trainer(tmp_path / "b", 8, resume=True).run()
    first, second = tensors(straight.output), tensors(resumed.output)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    opt_a = tensors(tmp_path / "a" / "checkpoints" / "step_0000008.optimizer.safetensors")
    opt_b = tensors(tmp_path / "b" / "checkpoints" / "step_0000008.optimizer.safetensors")
    assert opt_a.keys() == opt_b.keys() and all(torch.equal(opt_a[k], opt_b[k]) for k in opt_a)


def test_init_continues_from_a_trained_file_and_refuses_one_without_an_enhancer(tmp_path, trained):
    _, result = trained
    continued = trainer(tmp_path / "c", 1, init=str(result.output), lr=1e-12).run()
    saved = tensors(result.output)
    after = tensors(continued.output)
    assert all(torch.allclose(after[k], saved[k], atol=1e-6) for k in saved if k.startswith("instance_enhancer."))
    plain = save_weights(str(tmp_path / "plain.safetensors"), toy_weights(), dtype=None)
    with pytest.raises(TrackDiffError, match=r"--init \(or checkpoint\): carries no Instance Enhancer"):
        trainer(tmp_path / "d", 1, init=plain).run()
    other = load_weights(str(result.output))
    other.instance_enhancer["output_3"] = InstanceEnhancer(64, 2, 32).state_dict()  # made for a wider block
    other = save_weights(str(tmp_path / "other.safetensors"), other, dtype=None)
    with pytest.raises(TrackDiffError, match=r"instance_enhancer.output_3: does not fit the model's 32-channel block"):
        trainer(tmp_path / "e", 1, init=other).run()


def test_an_unconditional_step_drops_the_boxes_and_the_image(tmp_path):
    clip = data().clip(3)
    for dropout, dropped in ((0.0, False), (0.999, True)):
        the_task, backend = task(condition_dropout=dropout), ToyBoxBackend()
        modules = the_task.build(backend)
        the_task.attach(backend, modules)
        _, values = the_task.loss(modules, clip, backend, step_generator(0, 0))
        present = the_task.runtime.slots.present
        assert values["dropped"] == int(dropped) and values["objects"] == clip.tracklets.num_objects
        if dropped:
            assert not present.any() and not backend.conditionings[-1].any()
        else:
            assert torch.equal(present[:, :clip.tracklets.num_objects], torch.tensor(clip.tracklets.visible))
            assert backend.conditionings[-1].abs().sum() > 0


def test_a_box_only_clip_trains(tmp_path):
    """Clips made from box annotations alone (no point tracks, no masks), as from YouTube-VIS."""
    source = data().clip(7)
    clip = clip_from_boxes(source.frames, source.tracklets)
    assert clip.trajectories.num_points == 0 and not clip.masks.any()
    the_task, backend = task(condition_dropout=0.0), ToyBoxBackend()
    modules = the_task.build(backend)
    the_task.attach(backend, modules)
    loss, values = the_task.loss(modules, clip, backend, step_generator(0, 0))
    reference, _ = the_task.loss(modules, source, backend, step_generator(0, 0))
    assert torch.equal(loss, reference) and values["objects"] == source.tracklets.num_objects


def test_boxes_follow_the_backends_centre_crop():
    boxes = torch.zeros(1, 3, 4)
    boxes[0, 0] = torch.tensor([0.25, 0.0, 0.5, 1.0])  # pixels 16..32 of 64: the crop keeps 16..48
    boxes[0, 1] = torch.tensor([0.0, 0.25, 0.2, 0.5])  # wholly in the cut-off left strip
    boxes[0, 2] = torch.tensor([0.5, 0.5, 1.0, 1.0])  # runs past the crop's right edge
    slots = SlotBoxes(boxes, torch.zeros(1, 3, 3), torch.ones(1, 3, dtype=torch.bool))
    cropped = center_crop_slots(slots, (64, 32), (32, 32))
    assert torch.allclose(cropped.boxes[0, 0], torch.tensor([0.0, 0.0, 0.5, 1.0]))
    assert torch.allclose(cropped.boxes[0, 2], torch.tensor([0.5, 0.5, 1.0, 1.0]))
    assert cropped.present.tolist() == [[True, False, True]]
    assert center_crop_slots(slots, (64, 32), (128, 64)) is slots  # same aspect: nothing to crop


def test_bad_inputs_fail_clearly(tmp_path):
    with pytest.raises(TrackDiffError, match="--weights: .*is required"):
        InstanceEnhancerTask(None)
    with pytest.raises(TrackDiffError, match="--weights: .*does not exist"):
        InstanceEnhancerTask(str(tmp_path / "missing.safetensors"))
    not_weights = tmp_path / "other.safetensors"
    from safetensors.torch import save_file
    save_file({"x": torch.zeros(2)}, str(not_weights))
    with pytest.raises(TrackDiffError, match="--weights: .*is not a TrackDiffusion UNet"):
        InstanceEnhancerTask(str(not_weights))
    with pytest.raises(TrackDiffError, match="--condition-dropout"):
        task(condition_dropout=1.0)
    with pytest.raises(TrackDiffError, match="--bins"):
        task(bins=0)
    wide = task(toy_weights(channels={"output_3": 64}))
    with pytest.raises(TrackDiffError, match=r"--weights.fuser.output_3: does not fit the model's block "
                                             r"\(32 channels\) \(got '64 channels'\)"):
        wide.build(ToyBoxBackend())
    with pytest.raises(TrackDiffError, match="--sites: are not transformer sites of this model .got 'output_11'"):
        task(sites="output_3,output_11").build(ToyBoxBackend())
    the_task, backend = task(), ToyBoxBackend()
    modules = the_task.build(backend)
    the_task.attach(backend, modules)
    hidden = box_clip([[[0.1, 0.1, 0.5, 0.5]]] * 6, np.zeros((6, 1), bool))
    with pytest.raises(TrackDiffError, match="clip.boxes: has no box tracklet .* .got '1 objects, none visible'"):
        the_task.loss(modules, hidden, backend, step_generator(0, 0))
    with pytest.raises(TrackDiffError, match="clip.boxes: has no box tracklet .* .got 'no objects'"):
        the_task.loss(modules, box_clip(np.zeros((6, 0, 4)), np.zeros((6, 0), bool)), backend, step_generator(0, 0))
    crowd = box_clip(np.tile([0.1, 0.1, 0.5, 0.5], (6, 21, 1)), np.ones((6, 21), bool))
    with pytest.raises(TrackDiffError, match="more objects than the weights' 20 slots"):
        the_task.loss(modules, crowd, backend, step_generator(0, 0))


def test_the_cli_subcommand_trains_with_a_named_backend(tmp_path, caplog):
    weights = save_weights(str(tmp_path / "toy_trackdiffusion.safetensors"), toy_weights(), dtype=None)
    args = ["instance_enhancer", "--backend", TOY, "--weights", weights, "--sites", "output_3,output_6", "--out",
            str(tmp_path / "run"), "--steps", "3", "--frames", "6", "--width", "32", "--height", "32", "--save-every",
            "2", "--lr", "1e-3", "--condition-dropout", "0.2"]
    assert main(args) == 0
    saved = load_weights(str(tmp_path / "run" / "trackdiffusion_instance_enhancer.safetensors"))
    assert sorted(saved.instance_enhancer) == ["output_3", "output_6"]
    assert saved.enhancer_config["training"] == {"steps": 3, "condition_dropout": 0.2, "size": [32, 32]}
    assert sorted(saved.fusers) == sorted(SITES)
    assert main(args[:-2] + ["--steps", "4", "--resume"]) == 0
    assert main(["instance_enhancer", "--backend", TOY, "--out", str(tmp_path / "r2")]) == 2
    assert "--weights: is required" in caplog.text

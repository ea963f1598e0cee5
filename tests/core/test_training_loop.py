"""The training loop on a small real network (tests/core/training_toy_backend.py): loss, checkpoints, exact resume,
logging, and a second task trained by the same loop (the task interface the Instance Enhancer will use)."""

import json

import pytest
import torch
from safetensors import safe_open

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.trackgo import TrackGoConfig, load_adapter
from trackdiff_core.training import SyntheticClips, Trainer, TrainingTask
from trackdiff_core.training.trackgo_task import TrackGoTask, choose_points

from training_toy_backend import ToyBackend

CONFIG = TrackGoConfig(frames=6, width=32, height=32, encoder_channels=(8, 8), points_k=4, points_s=2)


def data():
    return SyntheticClips(frames=6, width=32, height=32, seed=0, max_objects=2, points_per_object=16)


def trainer(out, steps, **kwargs):
    options = dict(lr=3e-3, save_every=4, seed=1)
    options.update(kwargs)
    return Trainer(TrackGoTask(CONFIG), ToyBackend(), data(), str(out), steps, **options)


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def test_a_few_dozen_steps_lower_the_held_out_loss(tmp_path):
    result = trainer(tmp_path, 40, eval_every=40, eval_clips=8).run()
    before, after = result.evaluations[0]["eval_loss"], result.evaluations[-1]["eval_loss"]
    assert after < before
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    steps = [r for r in records if "loss" in r]
    assert [r["step"] for r in steps] == list(range(1, 41))
    assert {"edm", "attention", "sigma", "grad_norm", "lr", "seconds"} <= set(steps[0])
    assert steps[0]["layers"] == 2 and any(r["attention"] > 0 for r in steps)
    assert [r["step"] for r in records if "eval_loss" in r] == [0, 40]
    adapter = load_adapter(str(result.output))
    assert adapter.trained_steps == 40 and adapter.config == CONFIG
    assert any(b.to_out.weight.abs().max() > 0 for b in adapter.sites.values())  # it learned something


def test_resume_continues_exactly_as_if_never_stopped(tmp_path):
    straight = trainer(tmp_path / "a", 8).run()
    trainer(tmp_path / "b", 4).run()
    resumed = trainer(tmp_path / "b", 8, resume=True).run()
    first, second = tensors(straight.output), tensors(resumed.output)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    opt_a = tensors(tmp_path / "a" / "checkpoints" / "step_0000008.optimizer.safetensors")
    opt_b = tensors(tmp_path / "b" / "checkpoints" / "step_0000008.optimizer.safetensors")
    assert all(torch.equal(opt_a[k], opt_b[k]) for k in opt_a)
    lines = [json.loads(x) for x in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == list(range(1, 9))


def test_checkpoints_are_kept_to_the_limit_and_never_overwritten_silently(tmp_path):
    run = trainer(tmp_path, 12, save_every=2, keep=2)
    run.run()
    assert [step for step, _ in run.checkpoints()] == [10, 12]
    with pytest.raises(TrackDiffError, match="already holds checkpoints .up to step 12.*pass --resume"):
        trainer(tmp_path, 14).run()


def test_choose_points_takes_k_times_s_per_object_visible_first():
    clip = data().clip(0)
    chosen = choose_points(clip.trajectories, 5, torch.Generator().manual_seed(0))
    counts = [int((chosen.groups == g).sum()) for g in range(clip.trajectories.num_groups)]
    assert counts == [5] * clip.trajectories.num_groups and chosen.visible[0].all()


class BoxAreaTask(TrainingTask):
    """A second task through the same loop: a linear model that learns box areas from the clips' tracklets."""

    name = "box_area"
    output_name = "box_area.safetensors"

    def build(self, backend):
        return torch.nn.Linear(4, 1)

    def load(self, path, backend):
        module = torch.nn.Linear(4, 1)
        module.load_state_dict(tensors(path))
        return module

    def save(self, module, path, steps):
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in module.state_dict().items()}, path, metadata={"steps": str(steps)})

    def attach(self, backend, module):
        pass

    def loss(self, module, clip, backend, generator):
        boxes = torch.from_numpy(clip.tracklets.boxes.reshape(-1, 4).copy())
        area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))[:, None]
        loss = (module(boxes) - area).pow(2).mean()
        return loss, {"boxes": len(boxes)}


def test_the_loop_trains_any_task_unchanged(tmp_path):
    task = BoxAreaTask()
    result = Trainer(task, ToyBackend(), data(), str(tmp_path), 30, lr=3e-2, eval_every=30, eval_clips=4).run()
    assert result.evaluations[-1]["eval_loss"] < result.evaluations[0]["eval_loss"]
    assert (tmp_path / "box_area.safetensors").is_file()


def test_evaluations_log_the_placement_error_per_sigma_with_and_without_the_control(tmp_path):
    result = trainer(tmp_path, 4, eval_every=2, eval_clips=2).run()
    assert [e["step"] for e in result.evaluations] == [0, 2, 4]
    for record in result.evaluations:
        for sigma in ("1", "3", "10", "30"):
            with_, without = record[f"placement/{sigma}/with"], record[f"placement/{sigma}/without"]
            assert with_ > 0 and without > 0
            assert record[f"placement/{sigma}/ratio"] == pytest.approx(with_ / without)
    # the control (τ suppression and the trained branch) changes the prediction where the objects are
    last = result.evaluations[-1]
    assert all(last[f"placement/{s}/ratio"] != 1.0 for s in ("1", "3", "10", "30"))
    logged = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines() if "eval_loss" in line]
    assert [sorted(r) for r in logged] == [sorted(e) for e in result.evaluations]


def test_the_same_command_trains_the_same_adapter_from_its_first_weights(tmp_path):
    """The adapter's initial weights come from the seed (as every later draw does), so a run is reproducible as a
    whole; another seed starts elsewhere. The global RNG is left as it was."""
    torch.manual_seed(123)
    first = TrackGoTask(CONFIG, seed=5).build(ToyBackend())
    torch.manual_seed(999)
    again = TrackGoTask(CONFIG, seed=5).build(ToyBackend())
    other = TrackGoTask(CONFIG, seed=6).build(ToyBackend())
    a, b, c = first.state_dict(), again.state_dict(), other.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)
    backend = ToyBackend()  # (its own network draws from the global RNG)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    TrackGoTask(CONFIG, seed=5).build(backend)
    assert torch.equal(torch.rand(3), expected), "building the adapter leaves the global RNG untouched"


def test_a_run_that_starts_to_diverge_says_so_though_its_loss_stays_finite(tmp_path, caplog):
    # Clipping bounds each update, so a diverging run raises nothing; the log must say it. 60 calm steps, then the
    # same run resumed at a learning rate 100× too high: its gradient norms jump by orders of magnitude against the
    # calm steps' (which the resumed run reads back from log.jsonl).
    import logging

    trainer(tmp_path, 60).run()
    with caplog.at_level(logging.WARNING):
        result = trainer(tmp_path, 80, lr=0.3, resume=True).run()  # --lr is the resumed run's own
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in result.history)
    warnings = [r.getMessage() for r in caplog.records if "may be diverging" in r.getMessage()]
    assert len(warnings) == 1 and "Lower --lr" in warnings[0], [r["grad_norm"] for r in result.history]


def test_a_calm_run_gives_no_divergence_warning(tmp_path, caplog):
    import logging

    with caplog.at_level(logging.WARNING):
        trainer(tmp_path, 80).run()
    assert not [r for r in caplog.records if "may be diverging" in r.getMessage()]

"""Training on several processes (DDP under torchrun, gloo on the CPU), per-rank batches, gradient accumulation,
bf16 autocast and gradient checkpointing, on the small real network of tests/core/training_toy_backend.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from trackdiff_core.training import SyntheticClips, Trainer
from trackdiff_core.training.checkpointing import checkpoint_forwards, restore_forwards
from trackdiff_core.training.cli import main
from trackdiff_core.training.distributed import Ranks, rank_samples
from trackdiff_core.training.loop import step_generator
from trackdiff_core.trackgo import TrackGoConfig
from trackdiff_core.training.trackgo_task import TrackGoTask

from training_toy_backend import ToyBackend

ROOT = Path(__file__).resolve().parents[2]
CORE_TESTS = Path(__file__).resolve().parent
TOY = "training_toy_backend:ToyBackend"
CONFIG = TrackGoConfig(frames=6, width=32, height=32, encoder_channels=(8, 8), points_k=4, points_s=2)


def run_args(out, steps, batch, *extra):
    return ["trackgo", "--backend", TOY, "--paper", "--data", "synthetic", "--out", str(out), "--steps", str(steps),
            "--frames", "6", "--width", "32", "--height", "32", "--encoder-channels", "8,8", "--K", "4", "--points-s", "2",
            "--lr", "3e-3", "--seed", "3", "--save-every", "2", "--batch-size", str(batch), *extra]


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def assert_same_weights(a, b):
    first, second = tensors(a), tensors(b)
    assert sorted(first) == sorted(second)
    for key in first:
        torch.testing.assert_close(first[key], second[key], rtol=1e-5, atol=1e-6, msg=key)


def test_ranks_draw_distinct_samples_that_together_are_one_rank_with_the_whole_batch():
    one = rank_samples(5, Ranks(0, 1), batch_size=4, grad_accum=1)
    two = [rank_samples(5, Ranks(r, 2), batch_size=2, grad_accum=1) for r in range(2)]
    assert sorted(sum(two[0] + two[1], [])) == sorted(sum(one, [])) == list(range(20, 24))
    assert not set(sum(two[0], [])) & set(sum(two[1], []))
    four = [rank_samples(5, Ranks(r, 2), batch_size=1, grad_accum=2) for r in range(2)]  # accumulation: the same set
    assert sorted(sum(four[0] + four[1], [])) == list(range(20, 24))
    assert rank_samples(7, Ranks(), 1, 1) == [[7]]  # one process, batch 1: sample k is step k, as before


def test_two_gloo_processes_match_one_process_with_the_doubled_batch_and_resume_in_one(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(ROOT), str(CORE_TESTS)]))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "trackdiff_core.training", *run_args(tmp_path / "two", 2, 1)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=110)
    assert done.returncode == 0, done.stderr[-3000:]
    assert main(run_args(tmp_path / "one", 4, 2)) == 0  # the reference: one process, batch 2, 4 steps
    assert_same_weights(tmp_path / "two" / "trackgo_adapter.safetensors",
                        tmp_path / "one" / "checkpoints" / "step_0000002.safetensors")
    log = (tmp_path / "two" / "log.jsonl").read_text().splitlines()
    assert len(log) == 2  # rank 0 alone wrote the log
    # the two-process run continues in one process, to exactly where the one-process run got
    assert main(run_args(tmp_path / "two", 4, 2, "--resume")) == 0
    assert_same_weights(tmp_path / "two" / "trackgo_adapter.safetensors",
                        tmp_path / "one" / "trackgo_adapter.safetensors")


def data():
    return SyntheticClips(frames=6, width=32, height=32, seed=0, max_objects=2, points_per_object=16)


def gradients(backend, task, module):
    clip = data().clip(3)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.numel()) or t, lambda t: t):
        loss, _ = task.loss(module, clip, backend, step_generator(0, 3))
    module.zero_grad(set_to_none=True)
    loss.backward()
    return {n: p.grad.clone() for n, p in module.named_parameters()}, sum(saved)


def test_checkpointing_the_frozen_blocks_keeps_fewer_activations_and_gives_the_same_gradients():
    backend, task = ToyBackend(), TrackGoTask(CONFIG)
    torch.manual_seed(0)
    module = task.build(backend)
    for p in module.parameters():  # a trained-looking adapter, so every gradient is non-zero
        p.data.add_(0.05 * torch.randn_like(p))
    task.attach(backend, module)
    plain, kept_plain = gradients(backend, task, module)
    blocks = checkpoint_forwards(backend.frozen_blocks())
    checkpointed, kept = gradients(backend, task, module)
    restore_forwards(blocks)
    assert kept < 0.6 * kept_plain
    assert all(g.abs().sum() > 0 for g in plain.values())
    for name in plain:
        torch.testing.assert_close(checkpointed[name], plain[name], rtol=1e-5, atol=1e-7, msg=name)
    again, kept_again = gradients(backend, task, module)  # restored: as before
    assert kept_again == kept_plain


def test_batches_accumulation_bf16_and_checkpointing_train_through_the_loop(tmp_path):
    def run(name, **options):
        return Trainer(TrackGoTask(CONFIG), ToyBackend(), data(), str(tmp_path / name), 2, lr=3e-3, seed=1,
                       **options).run()

    batch = run("batch", batch_size=2)
    accumulated = run("accum", grad_accum=2, checkpointing=True)
    for a, b in zip(batch.module.parameters(), accumulated.module.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert [r["loss"] for r in batch.history] == pytest.approx([r["loss"] for r in accumulated.history], rel=1e-5)
    half = run("bf16", batch_size=2, precision="bf16")
    losses = [r["loss"] for r in half.history]
    assert losses != [r["loss"] for r in batch.history]  # autocast ran in bfloat16 ...
    assert losses == pytest.approx([r["loss"] for r in batch.history], rel=0.05)  # ... to bf16's precision
    assert half.module.encoder.parameters().__next__().dtype == torch.float32  # the trained weights stay float32


def test_a_kill_between_a_checkpoints_two_files_leaves_the_last_complete_one_to_resume_from(tmp_path):
    def run(out, steps, resume=False):
        return Trainer(TrackGoTask(CONFIG), ToyBackend(), data(), str(out), steps, lr=3e-3, seed=1, save_every=2,
                       resume=resume).run()

    whole = run(tmp_path / "whole", 4)
    run(tmp_path / "killed", 2)
    folder = tmp_path / "killed" / "checkpoints"
    # what a kill while step 4 was being saved leaves: its optimizer state written, its weights still a temporary file
    (folder / "step_0000004.optimizer.safetensors").write_bytes((folder / "step_0000002.optimizer.safetensors").read_bytes())
    (folder / "step_0000004.safetensors.tmp").write_bytes(b"half a file")
    resumed = run(tmp_path / "killed", 4, resume=True)
    assert resumed.history[0]["step"] == 3  # it went on from step 2, the last complete checkpoint
    for a, b in zip(whole.module.parameters(), resumed.module.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)

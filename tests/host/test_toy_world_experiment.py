"""The toy-world proof's commands end to end at CI size, as docs/toy-world.md runs them (each a fresh process, as a
person runs them): the starting checkpoint, the backbone through the pack's training CLI (resumed exactly), a TrackGo
adapter on the frozen backbone, the loss gap, and videos sampled through /prompt and measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors import safe_open

import comfy_host

SIZE, FRAMES = "32", "4"


def experiment(*args, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS="1", COMFYUI_PATH=str(comfy_host.comfy_path()))
    done = subprocess.run([sys.executable, "-m", "experiments.toy_world", *map(str, args)], cwd=comfy_host.REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def train(task, out, checkpoint, steps, *extra):
    return experiment("train", task, "--backend", "experiments.toy_world.backend:ToyWorldBackend", "--checkpoint",
                      checkpoint, "--device", "cpu", "--data", "toy", "--frames", FRAMES, "--width", SIZE, "--height",
                      SIZE, "--max-objects", "3", "--seed", "1", "--steps", steps, "--lr", "1e-3", "--save-every", "2",
                      "--out", out, *extra)


def unet(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys() if k.startswith("model.diffusion_model.")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("toy_world")
    experiment("init", "--out", base)
    train("backbone", base / "backbone", base / "toy_init.safetensors", 4, "--eval-every", "4", "--eval-clips", "2")
    return base


def test_the_backbone_trains_through_the_pack_cli_and_resumes_exactly(runs, tmp_path):
    log = [json.loads(x) for x in (runs / "backbone" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [1, 2, 3, 4]
    evaluations = [r["eval_loss"] for r in log if "eval_loss" in r]
    assert len(evaluations) == 2 and all(0 < e < 10 for e in evaluations)  # (loss falling: tests/core/test_toy_world.py)
    trained, start = unet(runs / "backbone" / "video_model.safetensors"), unet(runs / "toy_init.safetensors")
    assert any(not torch.equal(trained[k], start[k]) for k in trained)  # the whole UNet trains
    train("backbone", tmp_path / "b", runs / "toy_init.safetensors", 2)
    train("backbone", tmp_path / "b", runs / "toy_init.safetensors", 4, "--resume")
    resumed = unet(tmp_path / "b" / "video_model.safetensors")
    assert all(torch.equal(trained[k], resumed[k]) for k in trained)


def test_adapter_loss_gap_and_sampling_run_on_the_frozen_backbone(runs):
    backbone = runs / "backbone" / "video_model.safetensors"
    train("trackgo", runs / "adapter", backbone, 2, "--K", "2", "--s", "2", "--encoder-channels", "8,8,8,8")
    adapter = runs / "adapter" / "trackgo_adapter.safetensors"
    experiment("loss-gap", "--backbone", backbone, "--adapter", adapter, "--clips", "2", "--size", SIZE, "--frames",
               FRAMES, "--out", runs / "gap.json")
    gap = json.loads((runs / "gap.json").read_text())
    assert set(gap["summary"]) == {"true", "other", "reversed", "still", "stock"} and len(gap["clips"]) == 2
    experiment("sample", "--backbone", backbone, "--adapter", adapter, "--clips", "1", "--size", SIZE, "--frames",
               FRAMES, "--steps", "2", "--K", "2", "--s", "2", "--out", runs / "sample.json", timeout=900)
    sample = json.loads((runs / "sample.json").read_text())
    names = {r["condition"] for r in sample["records"]}
    assert {"none", "true", "other", "reversed", "zero_weight", "cut_and_drag"} <= names

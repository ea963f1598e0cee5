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
    train("trackgo", runs / "adapter", backbone, 2, "--K", "2", "--s", "2", "--encoder-channels", "8,8,8,8", "--paper")
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


def test_appearance_adapter_prediction_error_chosen_conditions_pictures_and_report(runs):
    """The rest of run_all.sh at CI size: an adapter with appearance channels (E reads the first frame's latent through
    the real patch), the one-step prediction error, a subset of conditions sampled at another strength, the pictures
    of chosen rows and the report, which has a table for each."""
    backbone = runs / "backbone" / "video_model.safetensors"
    out = runs / "trackgo_appearance"
    train("trackgo", out, backbone, 2, "--K", "2", "--s", "2", "--encoder-channels", "8,8,8,8",
          "--appearance-channels", "4")
    adapter = out / "trackgo_adapter.safetensors"
    with safe_open(str(adapter), framework="pt") as handle:
        assert json.loads(handle.metadata()["config"])["appearance_channels"] == 4
    clip = ("--clips", "1", "--size", SIZE, "--frames", FRAMES)
    experiment("prediction-error", "--backbone", backbone, "--adapter", adapter, *clip,
               "--out", runs / "trackgo_appearance_prediction_error.json")
    predicted = json.loads((runs / "trackgo_appearance_prediction_error.json").read_text())
    assert {key.split("/")[1] for key in predicted["summary"]} == {"true", "other", "none"}
    assert len(predicted["records"]) == 4 * 2 * 3  # σ × noise seeds × tracks, one clip
    experiment("sample", "--backbone", backbone, "--adapter", adapter, *clip, "--steps", "2", "--K", "2", "--s", "2",
               "--conditions", "none,true", "--strength", "1.5", "--keep-frames", runs / "frames_appearance",
               "--out", runs / "trackgo_appearance_sampling.json", timeout=900)
    sample = json.loads((runs / "trackgo_appearance_sampling.json").read_text())
    assert {r["condition"] for r in sample["records"]} == {"none", "true"}
    assert sample["settings"]["strength"] == 1.5 and sample["settings"]["sampler"] == "euler"
    experiment("pictures", "--frames-dir", runs / "frames_appearance", "--out", runs / "pictures", *clip,
               "--conditions", "none,true")
    assert (runs / "pictures" / "toy_world_clip0.png").is_file()
    report = experiment("report", "--runs", runs).stdout
    assert "TrackGo adapter with appearance channels" in report and "one-step prediction" in report
    assert "| backbone | 4 |" in report


def test_the_training_clis_evaluate_scores_the_toy_adapter_through_prompt(runs):
    """run_all.sh's `evaluate` step at CI size: the training CLI's evaluation path (its graph, ObjMC and the objects' error with intervals) on
    held-out toy clips, with the appearance adapter trained above; both measures, and the references."""
    backbone = runs / "backbone" / "video_model.safetensors"
    adapter = runs / "trackgo_appearance" / "trackgo_adapter.safetensors"
    experiment("evaluate", "--backbone", backbone, "--adapter", adapter, "--clips", "1", "--size", SIZE, "--frames",
               FRAMES, "--steps", "2", "--out", runs / "trackgo_appearance_objmc.json", timeout=900)
    result = json.loads((runs / "trackgo_appearance_objmc.json").read_text())
    assert set(result["summary"]) == {"none", "adapter", "cut_and_drag", "truth", "still"}
    assert all(s["clips"] == 1 and s["error"]["mean"] >= 0 and s["object_error"]["mean"] >= 0
               for s in result["summary"].values())
    report = experiment("report", "--runs", runs).stdout  # run_all.sh's report gives its table
    assert "the training CLI's `evaluate` through `/prompt` (KSampler, 2 steps" in report
    assert report.count("| adapter | ") == 1 and "| cut_and_drag | " in report and "| still | " in report
    assert "| condition | ObjMC | minus none | points lost | objects | minus none |" in report


def test_box_control_trains_with_box_masked_fusers_and_is_sampled_through_the_tracklet_editor(runs):
    """TrackDiffusion's part of run_all.sh at CI size: box-masked fusers from scratch, their loss gap, and videos
    sampled through TrackletEditor → InstanceEnhancer → KSampler, measured as box IoU per condition."""
    backbone = runs / "backbone" / "video_model.safetensors"
    out = runs / "trackdiffusion_box_mask"
    train("trackdiffusion", out, backbone, 2, "--no-unet-tensors", "--box-mask", "--box-hidden", "16")
    weights = out / "trackdiffusion.safetensors"
    with safe_open(str(weights), framework="pt") as handle:
        assert "fuser.input_1.box_mask" in handle.keys()
    clip = ("--clips", "2", "--size", SIZE, "--frames", FRAMES)
    experiment("box-loss-gap", "--backbone", backbone, "--weights", weights, *clip, "--out", runs / "box_gap.json")
    assert set(json.loads((runs / "box_gap.json").read_text())["summary"]) == {"true", "other", "reversed", "still",
                                                                              "no_boxes"}
    experiment("box-sample", "--backbone", backbone, "--weights", weights, *clip, "--steps", "2",
               "--out", runs / "box_sample.json", timeout=900)
    sample = json.loads((runs / "box_sample.json").read_text())
    assert set(sample["summary"]) == {"ceiling", "none", "true", "other"}
    assert all(0.0 <= r["iou"] <= 1.0 and len(r["per_frame"]) == int(FRAMES) for r in sample["records"])
    assert sample["summary"]["ceiling"]["iou"][0] > 0.2  # the ground truth itself fills its boxes

"""Training TrackGo on the real tiny SVD through ComfyUI (python -m trackdiff_core.training's code path), and the
trained adapter in a full workflow through /prompt."""

from __future__ import annotations

import importlib
import json
import shutil

import numpy as np
import pytest
import torch
from safetensors import safe_open

import comfy_host
import trackgo_helpers as th

STEPS, EVAL_EVERY = 24, 8
ADAPTER_NAME = "tiny_trackgo_trained.safetensors"


def run_args(out, clips, checkpoint, steps=STEPS, *extra):
    return ["trackgo", "--backend", "comfyui", "--checkpoint", str(checkpoint), "--device", "cpu", "--data", str(clips),
            "--out", str(out), "--steps", str(steps), "--lr", "3e-3", "--frames", "6", "--width", "64", "--height",
            "64", "--eval-every", str(EVAL_EVERY), "--eval-clips", "2", "--save-every", "8", "--seed", "5", *extra]


@pytest.fixture(scope="module")
def cli(pack):
    return importlib.import_module(pack.__name__ + ".trackdiff_core.training.cli")


@pytest.fixture(scope="module")
def trained(cli, tiny_svd_path, tmp_path_factory):
    base = tmp_path_factory.mktemp("trackgo_training")
    assert cli.main(["synth", "--out", str(base / "clips"), "--count", "2", "--frames", "6", "--width", "64",
                     "--height", "64", "--seed", "1"]) == 0
    result = cli.train(cli.build_parser().parse_args(run_args(base / "run", base / "clips", tiny_svd_path)))
    return base, result


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def test_a_few_dozen_steps_lower_the_loss(trained):
    base, result = trained
    evaluations = [r["eval_loss"] for r in result.evaluations]
    assert len(evaluations) == STEPS // EVAL_EVERY + 1
    assert all(b < a for a, b in zip(evaluations, evaluations[1:])), evaluations  # held-out loss falls at every check
    steps = [json.loads(x) for x in (base / "run" / "log.jsonl").read_text().splitlines() if '"loss"' in x]
    assert len(steps) == STEPS and all(r["layers"] == 16 for r in steps)  # all 16 temporal layers trained
    assert all(np.isfinite(r["loss"]) and r["grad_norm"] > 0 for r in steps[1:])


def test_the_unet_stays_frozen(trained, tiny_svd_path):
    _, result = trained
    unet = result.backend.model.model.diffusion_model
    assert all(not p.requires_grad and p.grad is None for p in unet.parameters())
    original = tensors(tiny_svd_path)
    prefix = "model.diffusion_model."
    assert all(torch.equal(v.cpu(), original[prefix + k]) for k, v in unet.state_dict().items())
    assert all(p.requires_grad and p.grad is not None for p in result.module.parameters())


def test_saved_adapter_reloads_to_identical_outputs(pack, trained, tiny_svd):
    m = th.modules(pack)
    _, result = trained
    loaded = m["trackgo"].load_adapter(str(result.output))
    tracks = th.square_objects(m).to_tracks()

    def sample(adapter):
        runtime = m["trackgo"].TrackGoRuntime(adapter, m["trackgo"].TrackGoGuide(tracks=tracks))
        return tiny_svd.run(m["patch"].apply_trackgo(tiny_svd.model, runtime), frames=6, steps=2)

    with torch.no_grad():
        assert torch.equal(sample(result.module), sample(loaded))
    assert loaded.config.tau == 0.5 and loaded.trained_steps == STEPS
    assert any(b.to_out.weight.abs().max() > 0 for b in loaded.sites.values())


def test_resume_from_a_checkpoint_is_exact(cli, trained, tiny_svd_path):
    base, result = trained
    resumed = base / "resumed"
    shutil.copytree(base / "run", resumed)
    for name in ("step_0000024.safetensors", "step_0000024.optimizer.safetensors"):
        (resumed / "checkpoints" / name).unlink()
    (resumed / "trackgo_adapter.safetensors").unlink()
    assert cli.main(run_args(resumed, base / "clips", tiny_svd_path, STEPS, "--resume", "--eval-every", "0")) == 0
    first, second = tensors(result.output), tensors(resumed / "trackgo_adapter.safetensors")
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def workflow(document: str, adapter: str | None, tau: float = -1.0) -> dict:
    prompt = {
        "1": {"class_type": "ImageOnlyCheckpointLoader", "inputs": {"ckpt_name": comfy_host.TINY_CHECKPOINT}},
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "3": {"class_type": "MaskArrowToTrajectories", "inputs": {
            "mask_arrows_json": document, "frame_count": 6, "K": 8, "s": 4, "point_seed": 0, "timing": "linear",
            "width": 64, "height": 64, "mask_layout": "one_per_object", "image": ["2", 0]}},
        "6": {"class_type": "SVD_img2vid_Conditioning", "inputs": {
            "clip_vision": ["1", 1], "init_image": ["2", 0], "vae": ["1", 2], "width": 64, "height": 64,
            "video_frames": 6, "motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}},
        "7": {"class_type": "KSampler", "inputs": {
            "model": ["5", 0], "seed": 0, "steps": 2, "cfg": 2.5, "sampler_name": "euler", "scheduler": "karras",
            "positive": ["6", 0], "negative": ["6", 1], "latent_image": ["6", 2], "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["7", 0], "vae": ["1", 2]}},
        "9": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["8", 0]}},
        "5": {"class_type": "ApplyTrackAdapter", "inputs": {
            "model": ["1", 0], "tracks": ["3", 0], "strength": 1.0, "tau": tau, "start_percent": 0.0,
            "end_percent": 1.0}},
    }
    if adapter is not None:
        prompt["4"] = {"class_type": "TrackAdapterLoader", "inputs": {"adapter_name": adapter}}
        prompt["5"]["inputs"]["adapter"] = ["4", 0]
    return prompt


def ball_document(pack) -> str:
    masks = importlib.import_module(pack.__name__ + ".trackdiff_core.masks")
    mask = np.zeros((64, 96), bool)
    mask[16:32, 24:48] = True  # the test image's red square
    return json.dumps({"version": 1, "kind": "mask_arrows", "frame_count": 6, "objects": [
        {"id": 0, "label": "square", "color": "#d62728", "mask": masks.rle_encode(mask),
         "path": [[0.375, 0.375], [0.75, 0.6]], "timing": "ease_in_out"}]})


def test_full_workflow_with_the_trained_adapter_runs_through_prompt(pack, trained, comfy_server):
    _, result = trained
    folder = comfy_server.base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(result.output, folder / ADAPTER_NAME)
    document = ball_document(pack)
    outputs = comfy_server.run(workflow(document, ADAPTER_NAME))
    stats = outputs["9"]["trackdiff_stats"][0]
    assert stats["shape"] == [6, 64, 64, 3] and stats["finite"]
    assert outputs["3"]["images"] and outputs["3"]["trackdiff_frame"]  # the editor's preview and background
    stock = workflow(document, None, tau=1.0)
    stock["7"]["inputs"]["model"] = ["1", 0]
    plain = comfy_server.run(stock)["9"]["trackdiff_stats"][0]
    assert abs(plain["mean"] - stats["mean"]) > 1e-6  # the adapter steered the video


def test_the_top_level_entry_point_runs_inside_the_pack(comfy_lib, tiny_svd_path, tmp_path):
    """``python -m trackdiff_core.training`` from the pack's folder: the top-level core re-runs itself from the
    repository imported as a package, so the ComfyUI glue and the core are one copy."""
    import sys

    from trackdiff_core.training.cli import main  # the top-level package, as `python -m` imports it

    args = ["trackgo", "--comfyui", str(comfy_lib), "--checkpoint", str(tiny_svd_path), "--device", "cpu",
            "--frames", "4", "--width", "32", "--height", "32", "--steps", "2", "--out", str(tmp_path / "run")]
    assert main(args) == 0
    assert "trackdiff_pack.nodes.training_backend" in sys.modules
    adapter = sys.modules["trackdiff_pack.trackdiff_core.trackgo.weights"].load_adapter(
        str(tmp_path / "run" / "trackgo_adapter.safetensors"))
    assert adapter.trained_steps == 2 and adapter.config.frames == 4

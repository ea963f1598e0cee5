"""TrackDiffusion through a live ComfyUI's /prompt: editor JSON -> loader -> Instance Enhancer -> KSampler -> VAEDecode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import comfy_host

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import trackdiffusion_checkpoint as ckpt  # noqa: E402

NODES = {"TrackDiffusionLoader", "TrackDiffusionConvert", "InstanceEnhancer"}
RELEASED = "trackdiffusion_tiny_svd_stage2.safetensors"


@pytest.fixture(scope="module")
def server(comfy_server):
    folder = comfy_server.base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / RELEASED).exists():
        ckpt.write_released(folder / RELEASED)
    return comfy_server


def document(frame_count=14, objects=2) -> str:
    objs = [{"id": n + 1, "color": ["#1f77b4", "#ff7f0e", "#2ca02c"][n % 3],
             "keyframes": [{"frame": 0, "box": [0.05 + 0.01 * n, 0.1, 0.4, 0.5]},
                           {"frame": frame_count - 1, "box": [0.5, 0.4, 0.9, 0.9]}]} for n in range(objects)]
    return json.dumps({"version": 1, "kind": "tracklets", "frame_count": frame_count, "objects": objs})


def workflow(frames=8, weights=RELEASED, strength=1.0, objects=2, guidance=True) -> dict:
    prompt = {
        "1": {"class_type": "ImageOnlyCheckpointLoader", "inputs": {"ckpt_name": comfy_host.TINY_CHECKPOINT}},
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "3": {"class_type": "SVD_img2vid_Conditioning",
              "inputs": {"clip_vision": ["1", 1], "init_image": ["2", 0], "vae": ["1", 2], "width": 64, "height": 64,
                         "video_frames": frames, "motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}},
        "10": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": document(objects=objects), "image": ["2", 0]}},
        "11": {"class_type": "TrackDiffusionLoader", "inputs": {"weights_name": weights}},
        "12": {"class_type": "InstanceEnhancer",
               "inputs": {"model": ["1", 0], "tracklets": ["10", 0], "weights": ["11", 0], "strength": strength,
                          "start_percent": 0.0, "end_percent": 1.0, "boxes_for_uncond": False, "consistency": 0.0,
                          "frame_mismatch": "resample"}},
        "4": {"class_type": "VideoLinearCFGGuidance", "inputs": {"model": ["12", 0], "min_cfg": 1.0}},
        "5": {"class_type": "KSampler",
              "inputs": {"model": ["4", 0] if guidance else ["12", 0], "positive": ["3", 0], "negative": ["3", 1],
                         "latent_image": ["3", 2], "seed": 7, "steps": 2, "cfg": 2.5, "sampler_name": "euler",
                         "scheduler": "karras", "denoise": 1.0}},
        "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
        "7": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["6", 0]}},
    }
    return prompt


def test_nodes_are_registered_with_tooltips(server):
    info = server.get("/object_info")
    assert NODES <= set(info)
    spec = info["TrackDiffusionLoader"]["input"]["required"]["weights_name"]
    assert RELEASED in (spec[1]["options"] if spec[0] == "COMBO" else spec[0])  # listed from models/trackdiff
    for node in NODES:
        for group in ("required", "optional"):
            for name, spec in info[node]["input"].get(group, {}).items():
                assert len(spec) > 1 and spec[1].get("tooltip"), f"{node}.{name} has no tooltip"


def test_workflow_produces_the_requested_frames(server):
    outputs = server.run(workflow(frames=8))
    stats = outputs["7"]["trackdiff_stats"][0]
    assert stats["shape"] == [8, 64, 64, 3] and stats["finite"]
    assert "resampled" in server.log_text()  # the editor's 14 frames were resampled to the video's 8


def test_boxes_change_the_video_and_strength_zero_does_not(server):
    stock = server.run({**workflow(strength=0.0)})["7"]["trackdiff_stats"][0]
    boxed = server.run(workflow(strength=1.0))["7"]["trackdiff_stats"][0]
    plain = {k: v for k, v in workflow().items() if k not in ("10", "11", "12")}
    plain["4"]["inputs"]["model"] = ["1", 0]
    base = server.run(plain)["7"]["trackdiff_stats"][0]
    assert stock == base and boxed != base


def test_convert_node_writes_a_compact_file_the_loader_reads(server):
    name = "tiny_compact.fp16.safetensors"
    prompt = {"1": {"class_type": "TrackDiffusionConvert",
                    "inputs": {"source_name": RELEASED, "output_name": name, "dtype": "float16", "overwrite": True}}}
    report = server.run(prompt)["1"]["text"][0]
    assert report.startswith(f"wrote {name}") and "found 16 fusers" in report
    path = server.base / "models" / "trackdiff" / name
    assert path.stat().st_size < (server.base / "models" / "trackdiff" / RELEASED).stat().st_size / 10
    from_compact = server.run(workflow(weights=name))["7"]["trackdiff_stats"][0]
    from_released = server.run(workflow())["7"]["trackdiff_stats"][0]
    assert from_compact == from_released


def test_too_many_objects_fail_with_a_clear_message(server):
    with pytest.raises(comfy_host.PromptFailed, match="more objects than the weights' 20 slots"):
        server.run(workflow(objects=21))


def _conv_in_lora(server) -> str:
    """A real LoRA file for the tiny SVD's conv_in in models/loras (as a user would put one there)."""
    import torch
    from safetensors.torch import save_file

    name = "trackdiff_tiny_conv_in_lora.safetensors"
    folder = server.base / "models" / "loras"
    folder.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(3)
    save_file({"lora_unet_input_blocks_0_0.lora_down.weight": 0.5 * torch.randn(2, 8, 3, 3, generator=gen),
               "lora_unet_input_blocks_0_0.lora_up.weight": 0.5 * torch.randn(32, 2, 1, 1, generator=gen),
               "lora_unet_input_blocks_0_0.alpha": torch.tensor(2.0)}, str(folder / name))
    return name


@pytest.mark.parametrize("strength, lora_strength", [(1.0, 1.0), (0.5, 0.7)])
def test_a_lora_before_or_after_the_node_gives_the_same_video(server, strength, lora_strength):
    lora = _conv_in_lora(server)
    loader = {"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": lora, "strength_model": lora_strength}}
    before = workflow(strength=strength)
    before["20"] = {**loader, "inputs": {**loader["inputs"], "model": ["1", 0]}}
    before["12"]["inputs"]["model"] = ["20", 0]
    after = workflow(strength=strength)
    after["20"] = {**loader, "inputs": {**loader["inputs"], "model": ["12", 0]}}
    after["4"]["inputs"]["model"] = ["20", 0]
    a, b = (server.run(p)["7"]["trackdiff_stats"][0] for p in (before, after))
    alone = server.run(workflow(strength=strength))["7"]["trackdiff_stats"][0]
    order = max(abs(a[k] - b[k]) for k in ("min", "max", "mean"))
    effect = max(abs(a[k] - alone[k]) for k in ("min", "max", "mean"))
    assert order < 0.05 * effect  # equal up to float rounding; the LoRA acts in both orders (the old blend erased it)


def test_objects_visible_only_on_frames_the_video_skips_give_the_stock_video(server):
    """Visible only on frame 3 of the editor's 14; a 3-frame video resamples to frames 0, 6.5 and 13: nothing to see."""
    doc = {"version": 1, "kind": "tracklets", "frame_count": 14,
           "objects": [{"id": 1, "color": "#1f77b4",
                        "visibility": [[3, 3]], "keyframes": [{"frame": 3, "box": [0.2, 0.2, 0.7, 0.7]}]}]}
    skipped = workflow(frames=3)
    skipped["10"]["inputs"]["tracklets_json"] = json.dumps(doc)
    plain = {k: v for k, v in workflow(frames=3).items() if k not in ("10", "11", "12")}
    plain["4"]["inputs"]["model"] = ["1", 0]
    assert server.run(skipped)["7"]["trackdiff_stats"][0] == server.run(plain)["7"]["trackdiff_stats"][0]
    seen = workflow(frames=14)
    seen["10"]["inputs"]["tracklets_json"] = json.dumps(doc)
    plain14 = {k: v for k, v in workflow(frames=14).items() if k not in ("10", "11", "12")}
    plain14["4"]["inputs"]["model"] = ["1", 0]
    assert server.run(seen)["7"]["trackdiff_stats"][0] != server.run(plain14)["7"]["trackdiff_stats"][0]


@pytest.mark.parametrize("kind, needle", [
    ("empty", "weights_name: is empty (0 bytes)"),
    ("half", "weights_name: is truncated: its tensors need"),
    ("pickle", "weights_name: is a PyTorch pickle or zip checkpoint"),
])
def test_the_loader_says_what_is_wrong_with_a_file(server, kind, needle):
    import pickle

    folder = server.base / "models" / "trackdiff"
    data = (folder / RELEASED).read_bytes()
    content = {"empty": b"", "half": data[: len(data) // 2], "pickle": pickle.dumps({"w": [0.0]})}[kind]
    name = f"broken_{kind}.safetensors"
    (folder / name).write_bytes(content)
    with pytest.raises(comfy_host.PromptFailed) as info:
        server.run(workflow(weights=name))
    message = info.value.error.get("exception_message", "")
    assert needle in message and str(folder) not in message
    assert kind == "pickle" or "pickle" not in message

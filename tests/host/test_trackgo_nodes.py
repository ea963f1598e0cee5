"""TrackGo's nodes inside a real ComfyUI, through /prompt: the zero-weight workflow, core TRACKS interop, previews,
synthesized adapter weights, and clear errors for bad input."""

from __future__ import annotations

import importlib
import json
import pickle

import numpy as np
import pytest

import comfy_host
import trackgo_helpers as th

W, H = 96, 64  # the test image's size
SYNTH_ADAPTER = "tiny_trackgo_synthesized.safetensors"


def square_document(pack, frame_count=6) -> str:
    masks = importlib.import_module(pack.__name__ + ".trackdiff_core.masks")
    mask = np.zeros((H, W), bool)
    mask[16:32, 24:48] = True  # the test image's red square
    return json.dumps({"version": 1, "kind": "mask_arrows", "frame_count": frame_count, "objects": [
        {"id": 0, "label": "square", "color": "#d62728", "mask": masks.rle_encode(mask),
         "path": [[0.375, 0.375], [0.7, 0.6]]}]})


def mask_arrows(document: str, **inputs) -> dict:
    return {"class_type": "MaskArrowToTrajectories", "inputs": {
        "mask_arrows_json": document, "frame_count": 6, "K": 4, "s": 4, "point_seed": 0, "timing": "linear", "width": W,
        "height": H, "mask_layout": "one_per_object", **inputs}}


def sampling(model, latent=("6", 2), denoise=1.0) -> dict:
    return {
        "1": {"class_type": "ImageOnlyCheckpointLoader", "inputs": {"ckpt_name": comfy_host.TINY_CHECKPOINT}},
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "6": {"class_type": "SVD_img2vid_Conditioning", "inputs": {
            "clip_vision": ["1", 1], "init_image": ["2", 0], "vae": ["1", 2], "width": W, "height": H,
            "video_frames": 6, "motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}},
        "7": {"class_type": "KSampler", "inputs": {
            "model": list(model), "seed": 0, "steps": 2, "cfg": 2.5, "sampler_name": "euler", "scheduler": "karras",
            "positive": ["6", 0], "negative": ["6", 1], "latent_image": list(latent), "denoise": denoise}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["7", 0], "vae": ["1", 2]}},
        "9": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["8", 0]}},
    }


def apply_node(tracks, adapter=None, tau=-1.0) -> dict:
    inputs = {"model": ["1", 0], "tracks": list(tracks), "strength": 1.0, "tau": tau, "start_percent": 0.0,
              "end_percent": 1.0}
    if adapter is not None:
        inputs["adapter"] = list(adapter)
    return {"class_type": "ApplyTrackAdapter", "inputs": inputs}


@pytest.fixture(scope="module")
def synthesized_adapter(pack, tiny_svd, comfy_server):
    """An adapter with random (non-zero) output layers, saved where TrackAdapterLoader looks."""
    m = th.modules(pack)
    folder = comfy_server.base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    m["trackgo"].save_adapter(th.random_adapter(m, tiny_svd.model), str(folder / SYNTH_ADAPTER))
    return SYNTH_ADAPTER


def test_zero_weight_workflow_runs_through_prompt(pack, comfy_server):
    prompt = sampling(("5", 0), latent=("11", 0), denoise=0.7)
    prompt.update({
        "3": mask_arrows(square_document(pack), image=["2", 0]),
        "5": apply_node(("3", 0), tau=0.5),
        "10": {"class_type": "TrackGoCutAndDrag", "inputs": {"image": ["2", 0], "tracks": ["3", 0],
                                                             "fill": "inpaint", "feather": 1.0}},
        "11": {"class_type": "VAEEncode", "inputs": {"pixels": ["10", 0], "vae": ["1", 2]}},
        "12": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["10", 0]}},
    })
    outputs = comfy_server.run(prompt)
    video, guide = outputs["9"]["trackdiff_stats"][0], outputs["12"]["trackdiff_stats"][0]
    assert video["shape"] == [6, H, W, 3] and video["finite"]
    assert guide["shape"] == [6, H, W, 3] and guide["finite"]


def test_mask_arrow_node_previews_and_sends_its_frame_back(pack, comfy_server):
    prompt = {"2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
              "3": mask_arrows(square_document(pack), image=["2", 0], seed=1),  # not the cached run above
              "4": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["3", 1]}}}
    outputs = comfy_server.run(prompt)
    assert outputs["4"]["trackdiff_stats"][0]["shape"] == [6, H, W, 3]
    preview = comfy_server.view_image(outputs["3"]["images"][0])
    frame = comfy_server.view_image(outputs["3"]["trackdiff_frame"][0])
    assert preview.shape == frame.shape == (H, W, 3)
    assert np.abs(preview - frame).max() > 0.2  # masks, arrow and points are drawn on the preview only


def test_camera_motion_from_core_tracks_with_a_synthesized_adapter(comfy_server, synthesized_adapter):
    prompt = sampling(("5", 0))
    prompt.update({
        "20": {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": W, "height": H}},
        "21": {"class_type": "GenerateTracks", "inputs": {
            "width": W, "height": H, "start_x": 0.3, "start_y": 0.5, "end_x": 0.7, "end_y": 0.5, "num_frames": 6,
            "num_tracks": 3, "track_spread": 0.05, "bezier": False, "mid_x": 0.5, "mid_y": 0.5,
            "interpolation": "linear"}},
        "3": mask_arrows(json.dumps({"version": 1, "kind": "mask_arrows", "frame_count": 6, "objects": []}),
                         masks=["20", 0], tracks=["21", 0]),
        "4": {"class_type": "TrackAdapterLoader", "inputs": {"adapter_name": synthesized_adapter}},
        "5": apply_node(("3", 0), adapter=("4", 0)),
    })
    steered = comfy_server.run(prompt)["9"]["trackdiff_stats"][0]
    assert steered["shape"] == [6, H, W, 3] and steered["finite"]
    prompt["5"] = apply_node(("21", 0), adapter=("4", 0))  # core TRACKS straight into the adapter (pixels at W × H)
    direct = comfy_server.run(prompt)["9"]["trackdiff_stats"][0]
    assert direct["finite"] and direct["mean"] != steered["mean"]


def test_bad_document_is_refused_when_queued(comfy_server):
    prompt = {"3": mask_arrows("{broken"), "4": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["3", 1]}}}
    with pytest.raises(comfy_host.PromptRejected) as info:
        comfy_server.queue_prompt(prompt)
    assert "mask_arrows_json: is not valid JSON" in info.value.body


@pytest.mark.parametrize("arrows, needle", [
    ('[[{"x": 40, "y": 20}, {"x": 80, "y": 40}]]', "masks[0]: has no pixel set"),  # LoadImage's mask of an opaque PNG
    ('[[{"x": 40, "y": 20}, {"x": 400, "y": 40}]]', "arrows[0][1]: lies outside the 96×64 frame"),
    ('[[{"x": 40, "y": 20}], [{"x": 10, "y": 10}]]', "there are more arrows than masks"),
])
def test_bad_masks_and_arrows_fail_with_clear_messages(comfy_server, arrows, needle):
    prompt = {
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "30": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": arrows}},
        "3": mask_arrows(json.dumps({"version": 1, "kind": "mask_arrows", "frame_count": 6, "objects": []}),
                         masks=["2", 1], arrows=["30", 0]),
        "4": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["3", 1]}},
    }
    if "outside" in needle or "more arrows" in needle:  # a painted square instead of the empty mask
        prompt["31"] = {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": W, "height": H}}
        prompt["3"]["inputs"]["masks"] = ["31", 0]
    with pytest.raises(comfy_host.PromptFailed) as info:
        comfy_server.run(prompt)
    assert needle in info.value.error.get("exception_message", "")


@pytest.mark.parametrize("content, needle", [
    (pickle.dumps({"weight": [0.0]}), "is a PyTorch pickle or zip checkpoint (.ckpt / .pt / .bin); TrackDiff never unpickles"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":", "is truncated: its header alone needs 24 bytes but the file has 13"),
    (b"", "is empty (0 bytes)"),
])
def test_wrong_adapter_files_fail_with_clear_messages(pack, comfy_server, content, needle):
    folder = comfy_server.base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"bad_{abs(hash(content)) % 10_000}.safetensors"
    (folder / name).write_bytes(content)
    prompt = sampling(("5", 0))
    prompt.update({"3": mask_arrows(square_document(pack)),
                   "4": {"class_type": "TrackAdapterLoader", "inputs": {"adapter_name": name}},
                   "5": apply_node(("3", 0), adapter=("4", 0))})
    with pytest.raises(comfy_host.PromptFailed) as info:
        comfy_server.run(prompt)
    assert needle in info.value.error.get("exception_message", "")


def test_re_running_with_new_point_seeds_neither_leaks_nor_grows_the_loaded_models(comfy_server, synthesized_adapter,
                                                                                     pack):
    prompt = sampling(("5", 0))
    prompt.update({
        "3": mask_arrows(square_document(pack)),
        "4": {"class_type": "TrackAdapterLoader", "inputs": {"adapter_name": synthesized_adapter}},
        "5": apply_node(("3", 0), adapter=("4", 0)),
        "30": {"class_type": "TrackDiffTestLoadedModels", "inputs": {"images": ["8", 0]}},
    })
    before = comfy_server.log_text().count("memory leak")
    loaded = []
    for seed in range(5):
        prompt["3"]["inputs"]["point_seed"] = 100 + seed
        loaded.append(comfy_server.run(prompt)["30"]["trackdiff_loaded"])
    assert comfy_server.log_text().count("memory leak") == before
    assert "TrackAdapter" in loaded[0] and all(sorted(names) == sorted(loaded[0]) for names in loaded), loaded

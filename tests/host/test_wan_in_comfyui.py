"""Wan-Move and ATI driven by TrackDiff's editors, on a real ComfyUI with a tiny random-weight Wan 2.1 image-to-video
model (``support/trackdiff_test_support/tiny_wan.py``): the shipped Wan workflows load in the real frontend and run
through /prompt; the tracks reach Wan-Move's image condition where they were drawn, in its pixel frame; ATI's JSON keeps
its motion through core's own 121-sample resampling, where a short track would be a no-op."""

from __future__ import annotations

import json

import numpy as np
import pytest

import comfy_host
from workflow_setup import for_the_tiny_wan
from trackdiff_core.tracklet_document import BoxKeyframe, BoxObject, TrackletDocument

WAN_WORKFLOWS = sorted((comfy_host.REPO_ROOT / "workflows").glob("wan_*.json"))
W, H, LENGTH = 96, 64, 9  # the test image's size (multiples of 16, as Wan's nodes step); 9 frames = 3 latent frames

# One box drawn on a 3-frame timeline, from (0.2, 0.3)-(0.3, 0.5) to (0.7, 0.5)-(0.8, 0.7), linear.
BOX_DOCUMENT = TrackletDocument(3, (BoxObject(0, "ball", "#e6194b", (
    BoxKeyframe(0, (0.2, 0.3, 0.3, 0.5)), BoxKeyframe(2, (0.7, 0.5, 0.8, 0.7)))),)).dumps()


@pytest.fixture(scope="module")
def wan_files(comfy_server):
    from trackdiff_test_support.tiny_wan import write_tiny_wan

    return write_tiny_wan(comfy_server.base)


@pytest.mark.parametrize("path", WAN_WORKFLOWS, ids=lambda p: p.stem)
def test_wan_workflow_runs_in_comfyui(path, canvas_page, comfy_server, wan_files):
    from trackdiff_core.batch.workflow import ui_to_api

    workflow = json.loads(path.read_text())
    canvas_page.load_workflow(workflow)
    assert canvas_page.errors == []
    exported = canvas_page.js("async () => (await window.app.graphToPrompt()).output")
    frontend = {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in exported.items()}
    assert ui_to_api(workflow, comfy_server.get("/object_info")) == frontend

    outputs = comfy_server.run(for_the_tiny_wan(frontend, wan_files), timeout=600)
    saves = [k for k, v in frontend.items() if v["class_type"] == "SaveImage"]
    assert len(saves) == 1 and len(outputs[saves[0]]["images"]) == 5
    frame = comfy_server.view_image(outputs[saves[0]]["images"][0])
    assert frame.shape == (H, W, 3) and np.isfinite(frame).all()
    animations = [k for k, v in frontend.items() if v["class_type"] == "SaveAnimatedWEBP"]
    assert animations and all(outputs[k]["images"] for k in animations)


def _conditioning_prompt(files: dict, tracks_node: dict, track_input: str) -> dict:
    """Start image + prompts + VAE, a Wan track node and WanImageToVideo (no tracks) side by side, and the probe."""
    prompt = {
        "image": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "te": {"class_type": "TrackDiffTestTinyUMT5Loader", "inputs": {"clip_name": files["text_encoders"], "type": "wan"}},
        "vae": {"class_type": "VAELoader", "inputs": {"vae_name": files["vae"]}},
        "pos": {"class_type": "CLIPTextEncode", "inputs": {"text": "a ball rolls", "clip": ["te", 0]}},
        "neg": {"class_type": "CLIPTextEncode", "inputs": {"text": "static", "clip": ["te", 0]}},
        "plain": {"class_type": "WanImageToVideo", "inputs": {
            "positive": ["pos", 0], "negative": ["neg", 0], "vae": ["vae", 0], "start_image": ["image", 0],
            "width": W, "height": H, "length": LENGTH, "batch_size": 1}},
        "probe": {"class_type": "TrackDiffTestConcatLatents", "inputs": {"tracked": ["wan", 0], "plain": ["plain", 0]}},
    }
    prompt["wan"] = {"class_type": tracks_node["class_type"], "inputs": {
        **tracks_node["inputs"], "positive": ["pos", 0], "negative": ["neg", 0], "vae": ["vae", 0],
        "start_image": ["image", 0], track_input: ["tracks", 0], "width": ["tracks", 1], "height": ["tracks", 2],
        "length": ["tracks", 3], "batch_size": 1}}
    return prompt


def _editor_and_converter(converter: str) -> dict:
    return {
        "editor": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": BOX_DOCUMENT}},
        "tracks": {"class_type": converter, "inputs": {"width": W, "height": H, "length": LENGTH, "points_per_box": 1,
                                                       "tracklets": ["editor", 0]}},
    }


def _box_centre(frame: int) -> tuple[float, float]:
    """The drawn box's centre in pixels at video frame ``frame`` of LENGTH (the editor's 3 frames resampled)."""
    u = frame / (LENGTH - 1)
    return (0.25 + 0.5 * u) * W, (0.4 + 0.2 * u) * H


def test_tracks_reach_wan_move_where_they_were_drawn(comfy_server, wan_files):
    prompt = _conditioning_prompt(wan_files, {"class_type": "WanMoveTrackToVideo", "inputs": {"strength": 1.0}}, "tracks")
    prompt.update(_editor_and_converter("TracksForWanMove"))
    report = comfy_server.run(prompt)["probe"]["trackdiff_concat"][0]
    tracked, plain = np.array(report["tracked"]), np.array(report["plain"])  # [16, 3, 8, 12]
    assert tracked.shape == (16, 3, H // 8, W // 8)
    changed = sorted(map(tuple, np.argwhere(np.abs(tracked - plain).sum(axis=0) > 0).tolist()))
    x0, y0 = _box_centre(0)
    source = (int(y0 // 8), int(x0 // 8))
    expected = []
    for latent in (1, 2):  # Wan-Move reads video frames 0, 4, 8: one per latent frame
        x, y = _box_centre(4 * latent)
        expected.append((latent, int(y // 8), int(x // 8)))
        # the cell under the drawn point now holds the first frame's features from under the point's start
        assert np.allclose(tracked[:, latent, int(y // 8), int(x // 8)], plain[:, 0, source[0], source[1]])
    assert changed == expected


def test_no_tracks_or_strength_zero_leave_wan_move_stock(comfy_server, wan_files):
    prompt = _conditioning_prompt(wan_files, {"class_type": "WanMoveTrackToVideo", "inputs": {"strength": 0.0}}, "tracks")
    prompt.update(_editor_and_converter("TracksForWanMove"))
    report = comfy_server.run(prompt)["probe"]["trackdiff_concat"][0]
    assert report["tracked"] == report["plain"]


def test_ati_tracks_change_its_conditioning_where_a_short_track_does_not(comfy_server, wan_files):
    # ATI splats each point with exp(-d² · temperature), d in half short edges. At Wan's 832×480 a latent cell is 1/30
    # of that, so 220 covers a few cells; on this 8×12 latent grid one cell is 1/4, so a lower temperature keeps the
    # splat about one cell wide.
    ati = {"class_type": "WanTrackToVideo", "inputs": {"temperature": 20.0, "topk": 2}}
    prompt = _conditioning_prompt(wan_files, ati, "tracks")
    prompt.update(_editor_and_converter("TracksForATI"))
    report = comfy_server.run(prompt)["probe"]["trackdiff_concat"][0]
    tracked, plain = np.array(report["tracked"]), np.array(report["plain"])
    moved = np.abs(tracked - plain).sum(axis=0)
    assert moved[0].max() < 1e-4  # the first frame is the start image itself (core scales the latent in and out)
    weight = 1.0 - np.array(report["mask"])  # ATI's splat weight per latent cell (core inverts it into the mask)
    rows, cols = weight.shape[1:]
    for latent in (1, 2):  # ATI averages the 4 frames a latent frame holds: 4k-3 .. 4k
        assert moved[latent].max() > 1e-2
        x, y = _box_centre(4 * latent - 1.5)
        peak = np.unravel_index(np.argmax(weight[latent]), weight[latent].shape)
        # core's splat grid puts latent cell i at i / (cells - 1) of the frame
        assert abs(peak[0] - y / H * (rows - 1)) <= 1 and abs(peak[1] - x / W * (cols - 1)) <= 1

    # The trap: the same motion as a 2-sample track (e.g. a spline's end points) is padded to 121 samples with
    # invisible points by core, and does (almost) nothing.
    short = [[{"x": _box_centre(0)[0], "y": _box_centre(0)[1]}, {"x": x, "y": y}]]
    prompt = _conditioning_prompt(wan_files, ati, "tracks")
    prompt["tracks"] = {"class_type": "PrimitiveString", "inputs": {"value": json.dumps(short)}}
    wan = prompt["wan"]["inputs"]
    wan.update({"width": W, "height": H, "length": LENGTH})
    report = comfy_server.run(prompt)["probe"]["trackdiff_concat"][0]
    assert np.allclose(report["tracked"], report["plain"], atol=1e-4)


def test_ati_json_keeps_its_motion_through_cores_resampling(comfy_lib):
    from comfy_extras.nodes_wan import pad_pts, parse_json_tracks, process_tracks

    from trackdiff_core.wan_tracks import ati_tracks_json, gather_trajectories, wan_move_tracks

    tracklets = TrackletDocument.parse(BOX_DOCUMENT).to_tracklets()
    length, w, h = 81, 832, 480
    trajectories = gather_trajectories(tracklets=tracklets, points_per_box=4, frames=length)
    tracks = parse_json_tracks(ati_tracks_json(trajectories, w, h))
    processed = process_tracks(np.stack([pad_pts(t) for t in tracks]), (w, h), length - 1)  # [81, N, 4]
    assert processed.shape == (length, 4, 4)
    assert (processed[..., 3] == 1).all()  # every sample visible: none of core's padding is left
    short = min(w, h)
    pixels = processed[..., 1:3].numpy() * short / 2 + np.array([w / 2, h / 2])
    wan_move = wan_move_tracks(trajectories, w, h, length)["track_path"].numpy()
    step = np.abs(np.diff(wan_move, axis=0)).max()  # one frame's motion: core picks the nearest of ATI's 121 samples
    assert np.abs(pixels - wan_move).max() <= step + 1e-3


@pytest.mark.parametrize("converter", ["TracksForWanMove", "TracksForATI"])
def test_a_frame_count_wan_cannot_make_is_refused_when_queued(comfy_server, converter):
    from comfy_host import PromptRejected

    prompt = _editor_and_converter(converter)
    prompt["tracks"]["inputs"]["length"] = 80
    prompt["show"] = {"class_type": "PreviewAny", "inputs": {"source": ["tracks", 3]}}
    with pytest.raises(PromptRejected) as err:
        comfy_server.queue_prompt(prompt)
    assert "not a Wan frame count" in err.value.body and "use 77 or 81" in err.value.body


def test_nothing_connected_says_what_to_connect(comfy_server):
    from comfy_host import PromptFailed

    prompt = {"tracks": {"class_type": "TracksForWanMove", "inputs": {"width": W, "height": H, "length": LENGTH,
                                                                      "points_per_box": 1}},
              "show": {"class_type": "PreviewAny", "inputs": {"source": ["tracks", 3]}}}
    with pytest.raises(PromptFailed) as err:
        comfy_server.run(prompt)
    assert "connect boxes (a Tracklet Editor) or point tracks" in err.value.error.get("exception_message", "")


def test_ati_hidden_samples_get_no_weight_in_cores_splat(comfy_lib):
    import torch
    from comfy_extras.nodes_wan import pad_pts, parse_json_tracks, patch_motion, process_tracks

    from trackdiff_core.tracklets import Tracklets
    from trackdiff_core.wan_tracks import ati_tracks_json, gather_trajectories

    # A box that is there for the first half of the clip and gone for the second.
    boxes = np.array([[[0.4, 0.4, 0.6, 0.6]]] * 2, dtype=np.float32)
    gone = Tracklets(boxes, np.array([[True], [False]]))
    length, w, h = 81, 832, 480
    tracks = parse_json_tracks(ati_tracks_json(gather_trajectories(tracklets=gone, points_per_box=1, frames=length),
                                               w, h))
    processed = process_tracks(np.stack([pad_pts(t) for t in tracks]), (w, h), length - 1)
    latent = torch.randn(1, 16, (length - 1) // 4 + 1, h // 8, w // 8)
    mask, _ = patch_motion([processed.unsqueeze(0)], latent, temperature=220.0, topk=2, vae_divide=(4, 16))
    weight = mask[0, 0]  # [T, H, W]: ATI's splat weight (before core inverts it into the mask)
    assert weight[1:8].amax(dim=(1, 2)).min() > 0.5  # visible: the point splats where it is
    assert weight[12:].max() < 1e-6  # hidden, written off the image: no weight at all

"""Motion from a reference video on the real ComfyUI: core Load Video -> Get Video Components -> Tracks From Video ->
each target's input node, with a generated clip whose motion is exact (tests/core/moving_square_clips.py, written as
an mp4 into the server's input folder by comfy_host); Motion Fidelity on the toy world's ground-truth videos and on
still ones; and bad input through /prompt. (The camera modes and documents are also checked without ComfyUI in
tests/core/test_motion_from_video.py; InstanceEnhancer and Apply TrackGo Adapter run on these tracks in the shipped
from-video workflows, tests/host/test_workflows_in_comfyui.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest

from comfy_host import PromptFailed
from reference_video import TEST_VIDEO, TEST_VIDEO_MASK, VIDEO_FRAMES, VIDEO_H, VIDEO_W, reference_clip, write_video

OUT_W, OUT_H = 320, 192  # twice the clip's size: the tracks must come out scaled
LENGTH = 13  # a Wan length (4n + 1), another frame count than the clip's 12


def _video(prompt: dict, file: str = TEST_VIDEO) -> dict:
    prompt["video"] = {"class_type": "LoadVideo", "inputs": {"file": file}}
    prompt["frames"] = {"class_type": "GetVideoComponents", "inputs": {"video": ["video", 0]}}
    return prompt


def _tracks_from_video(**changes) -> dict:
    inputs = {"frames": ["frames", 0], "points_per_object": 16, "frame_count": VIDEO_FRAMES, "width": OUT_W,
              "height": OUT_H, "camera_mode": "object_and_camera", "grid_size": 8, "background_grid": 0,
              "mask_layout": "one_per_object", "masks": ["mask", 0]}
    inputs.update(changes)
    return {"class_type": "TracksFromVideo", "inputs": inputs}


def _mask() -> dict:
    return {"class_type": "LoadImageMask", "inputs": {"image": TEST_VIDEO_MASK, "channel": "red"}}


def _report(kind: str, source: list) -> dict:
    key = {"TrackDiffTestTracks": "tracks", "TrackDiffTestText": "text"}[kind]
    return {"class_type": kind, "inputs": {key: source}}


def _scaled_truth() -> np.ndarray:
    return reference_clip().boxes * np.array([OUT_W / VIDEO_W, OUT_H / VIDEO_H] * 2)


def test_a_reference_video_drives_each_target(comfy_server):
    prompt = _video({
        "mask": _mask(),
        "tfv": _tracks_from_video(),
        "points": _report("TrackDiffTestTracks", ["tfv", 0]),
        "corners": {"class_type": "TrackletsToTracks", "inputs": {"tracklets": ["tfv", 1], "width": OUT_W,
                    "height": OUT_H, "layout": "corners", "points_per_box": 1}},
        "boxes": _report("TrackDiffTestTracks", ["corners", 0]),
        "wan": {"class_type": "TracksForWanMove", "inputs": {"tracks": ["tfv", 0], "width": OUT_W, "height": OUT_H,
                "length": LENGTH, "points_per_box": 16}},
        "wan_report": _report("TrackDiffTestTracks", ["wan", 0]),
        "ati": {"class_type": "TracksForATI", "inputs": {"tracks": ["tfv", 0], "width": OUT_W, "height": OUT_H,
                "length": LENGTH, "points_per_box": 4}},
        "ati_report": _report("TrackDiffTestText", ["ati", 0]),
        "box_document": _report("TrackDiffTestText", ["tfv", 2]),
        "arrow_document": _report("TrackDiffTestText", ["tfv", 3]),
        "camera": _report("TrackDiffTestText", ["tfv", 4]),
    })
    outputs = comfy_server.run(prompt, timeout=300)
    truth = _scaled_truth()

    # The boxes (TrackDiffusion's input) land on the square on every frame, in the output's pixels.
    corners = np.array(outputs["boxes"]["trackdiff_tracks"][0]["path"])  # [T, 2 corners, 2]
    boxes = corners.reshape(VIDEO_FRAMES, 4)
    assert np.abs(boxes - truth).max() < 8.0  # 4 px of the clip, scaled ×2
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    assert np.abs(centres - (truth[:, :2] + truth[:, 2:]) / 2).max() < 4.0

    # The points (TrackGo's, and Wan-Move's / ATI's source) start inside the square and move with it.
    path = np.array(outputs["points"]["trackdiff_tracks"][0]["path"])
    visible = np.array(outputs["points"]["trackdiff_tracks"][0]["visible"])
    assert path.shape == (VIDEO_FRAMES, 16, 2) and visible[0].all() and visible[-1].sum() >= 4
    first, last = truth[0], truth[-1]
    assert ((path[0] >= first[:2]) & (path[0] <= first[2:])).all()
    moved = np.median(path[-1][visible[-1]] - path[0][visible[-1]], axis=0)
    assert moved == pytest.approx(last[:2] - first[:2], abs=3.0)

    # Wan-Move: the same motion at Wan's length; ATI: the JSON core's Wan Track To Video reads.
    wan = np.array(outputs["wan_report"]["trackdiff_tracks"][0]["path"])
    assert wan.shape[0] == LENGTH
    assert np.median(wan[-1] - wan[0], axis=0) == pytest.approx(last[:2] - first[:2], abs=3.0)
    ati = json.loads(outputs["ati_report"]["trackdiff_text"][0])
    ati = np.array([[[p["x"], p["y"]] for p in track] for track in ati])
    assert ati.shape[1] == 121
    assert np.median(ati[:, -1] - ati[:, 0], axis=0) == pytest.approx(last[:2] - first[:2], abs=3.0)

    # The documents open in the editors' parsers; the camera holds still (the clip's camera does not move).
    from trackdiff_core.mask_arrow_document import MaskArrowDocument
    from trackdiff_core.tracklet_document import TrackletDocument

    document = TrackletDocument.parse(outputs["box_document"]["trackdiff_text"][0])
    assert len(document.objects) == 1 and len(document.objects[0].keyframes) <= 4  # a straight move: few keys
    replay = document.to_tracklets().to_pixels(OUT_W, OUT_H)[:, 0]
    assert np.abs(replay - truth).max() < 8.0
    arrows = MaskArrowDocument.parse(outputs["arrow_document"]["trackdiff_text"][0])
    assert arrows.objects[0].decoded_mask().shape == (VIDEO_H, VIDEO_W)
    camera = json.loads(outputs["camera"]["trackdiff_text"][0])
    assert all(abs(k["pan"][0]) < 0.01 and abs(k["zoom"] - 1) < 0.01 for k in camera["keyframes"])


def test_the_camera_modes_through_comfyui(comfy_server):
    """A clip panned by the camera: object_only removes the pan from the boxes, camera_only keeps only it."""
    from moving_square_clips import moving_square

    clip = moving_square(frames=VIDEO_FRAMES, width=VIDEO_W, height=VIDEO_H, camera_step=3.0)
    write_video(comfy_server.base / "input" / "trackdiff_panned.mp4", clip.frames)
    prompt = _video({"mask": _mask()}, "trackdiff_panned.mp4")
    for mode in ("object_and_camera", "object_only", "camera_only"):
        prompt[mode] = _tracks_from_video(camera_mode=mode, width=VIDEO_W, height=VIDEO_H, background_grid=4)
        prompt[f"{mode}_points"] = _report("TrackDiffTestTracks", [mode, 0])
    prompt["camera"] = _report("TrackDiffTestText", ["object_and_camera", 4])
    outputs = comfy_server.run(prompt, timeout=300)
    pan = -3.0 * (VIDEO_FRAMES - 1)

    def moved(mode, points=slice(0, 16)):  # the square's 16 points; the background grid's come after them
        data = outputs[f"{mode}_points"]["trackdiff_tracks"][0]
        path, visible = np.array(data["path"])[:, points], np.array(data["visible"])[:, points]
        return np.median((path[-1] - path[0])[visible[-1]], axis=0)

    own = clip.boxes[-1, :2] - clip.boxes[0, :2]
    assert moved("object_and_camera") == pytest.approx(own, abs=3.0)
    assert moved("object_only") == pytest.approx(own - [pan, 0], abs=3.0)
    assert moved("camera_only") == pytest.approx([pan, 0], abs=2.0)
    background = slice(16, None)  # moved by the camera alone, or held still without it
    assert moved("object_and_camera", background) == pytest.approx([pan, 0], abs=1.0)
    assert moved("camera_only", background) == pytest.approx([pan, 0], abs=1.0)
    assert moved("object_only", background) == pytest.approx([0, 0], abs=1e-3)
    camera = json.loads(outputs["camera"]["trackdiff_text"][0])
    assert camera["keyframes"][-1]["pan"][0] * VIDEO_W == pytest.approx(pan, abs=2.0)


def test_motion_fidelity_is_near_the_floor_on_ground_truth_and_high_on_a_still_video(pack):
    """The toy world's clips (flat-coloured shapes with exact point tracks, occlusions, shapes leaving the frame):
    scored against their own exact tracks, Motion Fidelity stays near the tracker's floor; against the first frame held
    still, it is several times higher. Through the node itself, with the tracks as a TRACKS dict."""
    import importlib

    import torch

    node = importlib.import_module(pack.__name__ + ".nodes.motion_fidelity_node").MotionFidelity
    tracks_dict = importlib.import_module(pack.__name__ + ".trackdiff_core.formats.tracks_dict")
    toy = importlib.import_module(pack.__name__ + ".trackdiff_core.training.toy_world")
    world = toy.ToyWorldClips(frames=12, width=128, height=128, seed=0)
    truth, still = [], []
    for index in range(6):
        clip = world.clip(index)
        tracks = tracks_dict.trajectories_to_tracks(clip.trajectories, 128, 128)
        for scores, frames in ((truth, clip.frames), (still, np.repeat(clip.frames[:1], len(clip.frames), 0))):
            video = torch.from_numpy(frames.astype(np.float32) / 255.0)
            result = node.execute(video, 0, 0, tracks=tracks)
            report = json.loads(result.result[2])
            assert report["frames"] == 12 and result.result[0] == pytest.approx(report["mean_px"], abs=1e-3)
            scores.append(report["mean_px"])
    assert np.mean(truth) < 3.0, truth  # the tracker's floor on flat-coloured shapes with occlusions
    assert np.mean(still) > 3 * np.mean(truth), (truth, still)
    assert all(s > t for s, t in zip(still, truth)), (truth, still)


@pytest.mark.parametrize("change, message", [
    ({"points_per_object": 0}, "points_per_object"),
    ({"masks": ["wrong_mask", 0]}, "masks: is not the video's size 160×96"),
    ({"masks": ["empty_mask", 0]}, "masks: has no labelled region"),
])
def test_bad_input_gives_one_clear_message(comfy_server, change, message):
    prompt = _video({
        "mask": _mask(),
        "wrong_mask": {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": 64, "height": 64}},
        "empty_mask": {"class_type": "SolidMask", "inputs": {"value": 0.0, "width": VIDEO_W, "height": VIDEO_H}},
        "tfv": _tracks_from_video(**change, **({"mask_layout": "label_map"} if "empty_mask" in str(change) else {})),
        "out": _report("TrackDiffTestTracks", ["tfv", 0]),
    })
    if change.get("points_per_object") == 0:  # below the widget's minimum: ComfyUI refuses it before running
        from comfy_host import PromptRejected

        with pytest.raises(PromptRejected) as rejected:
            comfy_server.queue_prompt(prompt)
        assert message in rejected.value.body
        return
    with pytest.raises(PromptFailed) as failed:
        comfy_server.run(prompt, timeout=120)
    assert failed.value.error["node_type"] == "TracksFromVideo"
    assert failed.value.error["exception_message"].startswith(message)


def test_a_single_frame_video_is_refused_with_its_input_named(comfy_server):
    clip = reference_clip()
    write_video(comfy_server.base / "input" / "trackdiff_one_frame.mp4", clip.frames[:1])
    prompt = _video({"mask": _mask(), "tfv": _tracks_from_video(),
                     "out": _report("TrackDiffTestTracks", ["tfv", 0])}, "trackdiff_one_frame.mp4")
    with pytest.raises(PromptFailed) as failed:
        comfy_server.run(prompt, timeout=120)
    assert failed.value.error["exception_message"].startswith("frames: has one frame")


def test_motion_fidelity_scores_a_video_against_tracks_read_from_it_and_refuses_mismatches(comfy_server):
    """The reference clip scored against its own tracks is near zero; its first frame held still is far off; tracks
    made for another aspect ratio, or no tracks at all, are refused naming the input."""
    clip = reference_clip()
    write_video(comfy_server.base / "input" / "trackdiff_still.mp4", np.repeat(clip.frames[:1], VIDEO_FRAMES, 0))
    prompt = _video({"mask": _mask(), "tfv": _tracks_from_video(width=OUT_W, height=OUT_H)})
    prompt["still"] = {"class_type": "LoadVideo", "inputs": {"file": "trackdiff_still.mp4"}}
    prompt["still_frames"] = {"class_type": "GetVideoComponents", "inputs": {"video": ["still", 0]}}
    for name, video in (("follows", "frames"), ("stays", "still_frames")):
        prompt[name] = {"class_type": "MotionFidelity", "inputs": {"video": [video, 0], "tracks": ["tfv", 0],
                                                                    "width": 0, "height": 0}}
    outputs = comfy_server.run(prompt, timeout=300)
    follows, stays = (outputs[k]["trackdiff_fidelity"][0] for k in ("follows", "stays"))
    assert (follows["width"], follows["height"], follows["frames"]) == (VIDEO_W, VIDEO_H, VIDEO_FRAMES)
    assert follows["mean_px"] < 1.5 and stays["mean_px"] > 15  # video pixels: the square moves 55 px
    assert outputs["follows"]["images"]

    square = _video({"mask": _mask(), "tfv": _tracks_from_video(width=96, height=96)})
    square["fidelity"] = {"class_type": "MotionFidelity", "inputs": {"video": ["frames", 0], "tracks": ["tfv", 0],
                                                                      "width": 0, "height": 0}}
    with pytest.raises(PromptFailed) as failed:
        comfy_server.run(square, timeout=120)
    assert failed.value.error["exception_message"].startswith("video: has another aspect ratio than the tracks")
    nothing = _video({"fidelity": {"class_type": "MotionFidelity", "inputs": {"video": ["frames", 0], "width": 0,
                                                                             "height": 0}}})
    with pytest.raises(PromptFailed) as failed:
        comfy_server.run(nothing, timeout=120)
    assert failed.value.error["exception_message"].startswith("tracks: needs exactly one of tracks and tracklets")

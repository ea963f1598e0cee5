"""ComfyUI's own input checks stay on for the editor nodes, a bad document is one error naming only the document, and
every input inside the declared ranges runs with a bounded preview (through /prompt on the real host)."""

from __future__ import annotations

import json

import pytest

import comfy_host

TRACKLETS = {"version": 1, "kind": "tracklets", "frame_count": 8,
             "objects": [{"id": 1, "color": "#ff0000", "keyframes": [{"frame": 0, "box": [0.1, 0.1, 0.4, 0.4]}]}]}
MASK_ARROWS = {"version": 1, "kind": "mask_arrows", "frame_count": 8, "objects": [
    {"id": 0, "color": "#d62728", "mask": {"size": [4, 4], "counts": [5, 2, 2, 2, 5]}, "path": [[0.4, 0.4], [0.6, 0.5]]}]}


def mask_arrows(document=MASK_ARROWS, **inputs) -> dict:
    return {"class_type": "MaskArrowToTrajectories", "inputs": {
        "mask_arrows_json": json.dumps(document) if not isinstance(document, str) else document, "frame_count": 8,
        "K": 4, "s": 2, "point_seed": 0, "timing": "linear", "width": 96, "height": 64,
        "mask_layout": "one_per_object", **inputs}}


def editor(document=TRACKLETS) -> dict:
    return {"class_type": "TrackletEditor",
            "inputs": {"tracklets_json": json.dumps(document) if not isinstance(document, str) else document}}


def stats(node: str) -> dict:
    return {"class_type": "TrackDiffTestImageStats", "inputs": {"images": [node, 1]}}


def rejected(server, prompt) -> list[dict]:
    with pytest.raises(comfy_host.PromptRejected) as info:
        server.queue_prompt(prompt)
    return info.value.data["node_errors"]["1"]["errors"]


@pytest.mark.parametrize("inputs, kind, name", [
    ({"height": 16385}, "value_bigger_than_max", "height"),
    ({"width": 8}, "value_smaller_than_min", "width"),
    ({"frame_count": 0}, "value_smaller_than_min", "frame_count"),
    ({"timing": "bouncy"}, "value_not_in_list", "timing"),
    ({"mask_layout": "sideways"}, "value_not_in_list", "mask_layout"),
])
def test_comfyui_checks_the_mask_arrow_nodes_ranges_and_lists(comfy_server, inputs, kind, name):
    errors = rejected(comfy_server, {"1": mask_arrows(**inputs), "2": stats("1")})
    assert [(e["type"], e["extra_info"]["input_name"]) for e in errors] == [(kind, name)]


@pytest.mark.parametrize("node", ["mask_arrows", "editor"])
def test_a_bad_document_is_one_error_naming_only_the_document(comfy_server, node):
    prompt = {"1": mask_arrows("{broken") if node == "mask_arrows" else editor("{broken"), "2": stats("1")}
    errors = rejected(comfy_server, prompt)
    field = "mask_arrows_json" if node == "mask_arrows" else "tracklets_json"
    assert len(errors) == 1 and errors[0]["extra_info"]["input_name"] == field
    assert f"{field}: is not valid JSON" in errors[0]["details"]


def test_the_largest_allowed_frames_give_a_bounded_preview(comfy_server):
    """A 16 × 8192 frame over 4096 frames (all inside the declared ranges) previews small, and quickly."""
    outputs = comfy_server.run({"1": mask_arrows(width=16, height=8192, frame_count=4096, K=64, s=64),
                                "2": stats("1")})
    frames, height, width, _ = outputs["2"]["trackdiff_stats"][0]["shape"]
    assert frames == 4096 and max(height, width) <= 512 and frames * height * width <= 1 << 23


def test_too_many_mask_pixels_is_a_clear_error(comfy_server):
    document = {**MASK_ARROWS, "objects": [{**MASK_ARROWS["objects"][0], "id": n} for n in range(3)]}
    with pytest.raises(comfy_host.PromptFailed, match=r"width × height: would keep 201 M mask pixels .*8192×8192 for 3 masks.* fewer objects"):
        comfy_server.run({"1": mask_arrows(document, width=8192, height=8192), "2": stats("1")})


def test_many_objects_on_a_long_timeline_give_a_bounded_preview(comfy_server):
    objects = [{"id": n, "color": "#ff0000", "keyframes": [{"frame": 0, "box": [0.1, 0.1, 0.4, 0.4]}]} for n in range(256)]
    outputs = comfy_server.run({"1": editor({**TRACKLETS, "frame_count": 4096, "objects": objects}), "2": stats("1")})
    frames, height, width, _ = outputs["2"]["trackdiff_stats"][0]["shape"]
    assert frames == 128 and frames * height * width <= 1 << 23  # 2^15 boxes drawn: 128 frames of 256 objects


@pytest.mark.parametrize("node_type, output", [("TracksForWanMove", "TrackDiffTestTracks"), ("TracksForATI", "PreviewAny")])
def test_comfyui_checks_the_wan_track_nodes_ranges(comfy_server, node_type, output):
    """The Wan converters check only their frame count themselves, so ComfyUI's own range checks stay on for the rest:
    a width above the declared maximum is refused by ComfyUI, once, naming the width."""
    wan = {"class_type": node_type, "inputs": {"width": 1 << 20, "height": 480, "length": 81, "points_per_box": 4}}
    sink = {"class_type": output, "inputs": {"tracks" if output == "TrackDiffTestTracks" else "source": ["1", 0]}}
    errors = rejected(comfy_server, {"1": wan, "2": sink})
    assert [(e["type"], e["extra_info"]["input_name"]) for e in errors] == [("value_bigger_than_max", "width")]

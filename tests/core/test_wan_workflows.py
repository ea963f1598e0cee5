"""The Wan example workflows, checked without ComfyUI: the track converter feeds the Wan conditioning node its tracks,
width, height and length (so they cannot disagree), Wan's defaults, and notes that say where each public file goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trackdiff_core.batch.workflow import ui_to_api
from trackdiff_core.wan_tracks import check_length

from test_workflows import OBJECT_INFO

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {  # workflow -> (converter, conditioning node)
    "wan_move_boxes": ("TracksForWanMove", "WanMoveTrackToVideo"),
    "wan_move_mask_arrows": ("TracksForWanMove", "WanMoveTrackToVideo"),
    "wan_ati_mask_arrows": ("TracksForATI", "WanTrackToVideo"),
    "wan_move_from_video": ("TracksForWanMove", "WanMoveTrackToVideo"),
    "wan_ati_from_video": ("TracksForATI", "WanTrackToVideo"),
}


@pytest.fixture(params=sorted(EXPECTED), ids=str)
def wan(request):
    data = json.loads((ROOT / "workflows" / f"{request.param}.json").read_text())
    return request.param, data, ui_to_api(data, OBJECT_INFO)


def _one(prompt, kind):
    found = [(k, v) for k, v in prompt.items() if v["class_type"] == kind]
    assert len(found) == 1, kind
    return found[0]


def test_converter_feeds_tracks_and_size_to_the_wan_node(wan):
    name, _, prompt = wan
    converter, conditioning = EXPECTED[name]
    source, node = _one(prompt, converter)
    _, target = _one(prompt, conditioning)
    assert target["inputs"]["tracks"] == [source, 0]
    assert [target["inputs"][k] for k in ("width", "height", "length")] == [[source, 1], [source, 2], [source, 3]]
    assert (node["inputs"]["width"], node["inputs"]["height"], node["inputs"]["length"]) == (832, 480, 81)
    assert check_length(node["inputs"]["length"]) == 81


def test_the_start_image_and_the_editor_see_the_same_crop(wan):
    _, _, prompt = wan
    scale, node = _one(prompt, "ImageScale")
    assert (node["inputs"]["width"], node["inputs"]["height"], node["inputs"]["crop"]) == (832, 480, "center")
    editors = [v for v in prompt.values() if v["class_type"] in ("TrackletEditor", "MaskArrowToTrajectories")]
    from_video = [v for v in prompt.values() if v["class_type"] == "TracksFromVideo"]
    assert editors or from_video
    assert all(e["inputs"]["image"] == [scale, 0] for e in editors)
    for v in from_video:  # motion read from a reference video comes out at Wan's size and length
        assert (v["inputs"]["width"], v["inputs"]["height"], v["inputs"]["frame_count"]) == (832, 480, 81)
    for v in prompt.values():
        if v["class_type"] in ("WanMoveTrackToVideo", "WanTrackToVideo"):
            assert v["inputs"]["start_image"] == [scale, 0]
        if v["class_type"] == "MaskArrowToTrajectories":
            assert (v["inputs"]["width"], v["inputs"]["height"], v["inputs"]["frame_count"]) == (832, 480, 81)


def test_point_density_defaults_per_target(wan):
    name, _, prompt = wan
    for v in prompt.values():
        if v["class_type"] == "MaskArrowToTrajectories":
            assert v["inputs"]["K"] * v["inputs"]["s"] == (4 if "ati" in name else 32)
        if v["class_type"] == "TracksForWanMove":
            assert v["inputs"]["points_per_box"] == 16


def test_notes_say_where_each_public_file_goes(wan):
    _, data, _ = wan
    note = next(n["widgets_values"][0] for n in data["nodes"] if n["type"] == "MarkdownNote")
    for folder in ("diffusion_models", "text_encoders", "vae", "clip_vision"):
        assert f"ComfyUI/models/{folder}/" in note
    assert "umt5_xxl" in note and "wan_2.1_vae" in note and "clip_vision_h" in note and "81 frames" in note

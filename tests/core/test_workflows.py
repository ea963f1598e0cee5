"""The shipped example workflows, checked without ComfyUI: valid UI-format JSON, only our nodes (with the inputs our
schemas declare) or core nodes from a checked list, consistent links, readable editor documents, notes and thumbnails.

The node schemas come from ``tests/core/data/workflow_node_schemas.json``, written by ``tools/make_workflows.py`` from a
live ComfyUI; ``tests/host/test_workflows_in_comfyui.py`` checks that it still matches what the server reports.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trackdiff_core.batch.workflow import PromptTemplate, ui_to_api
from trackdiff_core.mask_arrow_document import MaskArrowDocument
from trackdiff_core.tracklet_document import TrackletDocument

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "workflows").glob("*.json"))
SCHEMAS = json.loads((Path(__file__).parent / "data" / "workflow_node_schemas.json").read_text())
# For the converter: a combo of files is a combo (its options depend on the machine, so the snapshot drops them).
OBJECT_INFO = {t: {**s, "input": {g: {n: ([] if v[0] == "FILES" else v[0], v[1]) for n, v in inputs.items()}
                                  for g, inputs in s["input"].items()}} for t, s in SCHEMAS.items()}

OUR_NODES = {
    "TrackletEditor", "LoadTracklets", "SaveTrackletLabels", "TrackletsToTracks", "TracksToTracklets",
    "VisualizeTracklets", "VisualizeTrackPoints", "TrackDiffusionLoader", "TrackDiffusionConvert", "InstanceEnhancer",
    "MaskArrowToTrajectories", "TrackAdapterLoader", "ApplyTrackAdapter", "TrackGoCutAndDrag",
    "TracksForWanMove", "TracksForATI", "TracksFromVideo", "MotionFidelity",
}
CORE_NODES = {  # ComfyUI core nodes the workflows may use (all present in ComfyUI 0.8.0)
    "LoadImage", "ImageScale", "ImageOnlyCheckpointLoader", "SVD_img2vid_Conditioning", "VideoLinearCFGGuidance",
    "KSampler", "VAEDecode", "VAEEncode", "SaveImage", "SaveAnimatedWEBP", "PreviewImage",
    # Wan 2.1 (tests/core/test_wan_workflows.py checks these workflows' Wan defaults)
    "UNETLoader", "CLIPLoader", "VAELoader", "CLIPVisionLoader", "CLIPTextEncode", "CLIPVisionEncode",
    "WanMoveTrackToVideo", "WanTrackToVideo", "WanMoveVisualizeTracks",
    # motion from a reference video
    "LoadVideo", "GetVideoComponents", "LoadImageMask",
}
FRONTEND_ONLY = {"MarkdownNote", "Note"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "FILES"}


def test_there_are_the_four_workflows_the_issue_asks_for():
    names = {p.stem for p in WORKFLOWS}
    assert {"trackdiffusion_boxes", "trackgo_mask_arrows", "trackgo_zero_weight_cut_and_drag",
            "trackdiffusion_tracks_from_file"} <= names


@pytest.fixture(params=WORKFLOWS, ids=lambda p: p.stem)
def workflow(request):
    return request.param, json.loads(request.param.read_text())


def widget_inputs(schema: dict) -> list[tuple[str, list]]:
    out = []
    for group in ("required", "optional"):
        for name in schema["input_order"].get(group, []):
            spec = schema["input"][group][name]
            if (isinstance(spec[0], list) or spec[0] in WIDGET_TYPES) and not spec[1].get("forceInput"):
                out.append((name, spec))
    return out


def test_ui_format_with_known_nodes_and_widgets(workflow):
    path, data = workflow
    assert data.get("version") == 0.4 and isinstance(data["nodes"], list) and isinstance(data["links"], list)
    for node in data["nodes"]:
        kind = node["type"]
        assert kind in OUR_NODES | CORE_NODES | FRONTEND_ONLY, f"{path.name}: unexpected node {kind}"
        if kind in FRONTEND_ONLY:
            continue
        schema = SCHEMAS[kind]
        declared = {n for g in schema["input"].values() for n in g}
        for socket in node.get("inputs", []):
            if socket["type"] == "IMAGEUPLOAD":  # the frontend's upload button, not an input
                continue
            assert socket["name"] in declared, f"{path.name}: {kind} has no input {socket['name']}"
        values = node.get("widgets_values") or []
        named, position, uploads = {}, 0, 0
        for name, spec in widget_inputs(schema):
            named[name] = values[position] if position < len(values) else None
            control = spec[1].get("control_after_generate") or (spec[0] == "INT" and name in ("seed", "noise_seed"))
            position += 1 + int(bool(control))  # a seed's control value follows it
            uploads += any(spec[1].get(k) for k in ("image_upload", "video_upload", "audio_upload"))
        position += uploads  # upload buttons store their values after all the widgets
        assert len(values) == position, f"{path.name}: {kind} stores {len(values)} widget values, schema has {position}"
        for (name, spec), value in zip(widget_inputs(schema), named.values()):
            if isinstance(spec[0], list):
                assert value in spec[0], f"{path.name}: {kind}.{name} = {value!r} is not an option"
            elif spec[0] in ("INT", "FLOAT") and isinstance(value, (int, float)):
                assert spec[1].get("min", value) <= value <= spec[1].get("max", value), f"{kind}.{name} out of range"


def test_links_are_consistent(workflow):
    path, data = workflow
    nodes = {n["id"]: n for n in data["nodes"]}
    for link_id, origin, origin_slot, target, target_slot, kind in data["links"]:
        source, sink = nodes[origin], nodes[target]
        assert source["outputs"][origin_slot]["type"] == kind, f"{path.name}: link {link_id} type"
        assert sink["inputs"][target_slot]["link"] == link_id, f"{path.name}: link {link_id} target"
        assert link_id in source["outputs"][origin_slot]["links"]
        if source["type"] in SCHEMAS:
            assert SCHEMAS[source["type"]]["output"][origin_slot] == kind


def test_converts_to_a_prompt_the_batch_cli_can_fill(workflow):
    path, data = workflow
    prompt = ui_to_api(data, OBJECT_INFO)
    assert {v["class_type"] for v in prompt.values()} == {n["type"] for n in data["nodes"]} - FRONTEND_ONLY
    editors = {v["class_type"] for v in prompt.values()} & {"TrackletEditor", "MaskArrowToTrajectories"}
    if not editors:  # tracks from a file: not an editor workflow, so not a batch template
        return
    template = PromptTemplate(prompt)
    kind = "tracklets" if "TrackletEditor" in editors else "mask_arrows"
    filled = template.instantiate("x.png", kind, "{}", 5, "p")
    assert filled[template.image_node]["inputs"]["image"] == "x.png"
    assert all(filled[n]["inputs"]["seed"] == 5 for n in template.seed_nodes)


def test_documents_in_editors_parse_and_defaults_are_svd(workflow):
    path, data = workflow
    prompt = ui_to_api(data, OBJECT_INFO)
    for node in prompt.values():
        inputs = node["inputs"]
        if node["class_type"] == "TrackletEditor":  # boxes drawn, or an empty editor seeded from a connected document
            assert TrackletDocument.parse(inputs["tracklets_json"]).objects or isinstance(inputs.get("seed_document"),
                                                                                           list)
        if node["class_type"] == "MaskArrowToTrajectories":
            assert MaskArrowDocument.parse(inputs["mask_arrows_json"]).objects
            assert (inputs["width"], inputs["height"], inputs["frame_count"]) in {(1024, 576, 14), (832, 480, 81)}
        if node["class_type"] == "SVD_img2vid_Conditioning":
            assert (inputs["width"], inputs["height"], inputs["video_frames"]) in {(1024, 576, 14), (1024, 576, 25)}
        if node["class_type"] == "ImageOnlyCheckpointLoader":
            assert inputs["ckpt_name"] in ("svd.safetensors", "svd_xt.safetensors")


def test_notes_say_which_weights_go_where_and_thumbnails_exist(workflow):
    path, data = workflow
    notes = [n["widgets_values"][0] for n in data["nodes"] if n["type"] in FRONTEND_ONLY]
    assert notes and "Weights" in notes[0]
    assert "models/checkpoints" in notes[0] or "models/diffusion_models" in notes[0]
    assert path.with_suffix(".jpg").exists(), f"{path.name} has no thumbnail"

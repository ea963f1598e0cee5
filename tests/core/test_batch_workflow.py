"""UI -> API conversion and the batch prompt template (no server needed: object_info is given)."""

import json

import pytest

from trackdiff_core import TrackDiffError
from trackdiff_core.batch.workflow import PromptTemplate, ui_to_api

OBJECT_INFO = {
    "LoadImage": {"input": {"required": {"image": [["a.png"], {"image_upload": True}]}},
                  "input_order": {"required": ["image"]}},
    "KSampler": {"input": {"required": {
        "model": ["MODEL"], "seed": ["INT", {"control_after_generate": True}], "steps": ["INT", {}],
        "positive": ["CONDITIONING"]}}, "input_order": {"required": ["model", "seed", "steps", "positive"]}},
    "TrackletEditor": {"input": {"required": {"tracklets_json": ["STRING", {"multiline": True}]},
                                 "optional": {"image": ["IMAGE"]}},
                       "input_order": {"required": ["tracklets_json"], "optional": ["image"]}},
    "SaveImage": {"input": {"required": {"images": ["IMAGE"], "filename_prefix": ["STRING", {}]}},
                  "input_order": {"required": ["images", "filename_prefix"]}},
    "Loader": {"input": {"required": {"name": [["m.safetensors"], {}]}}, "input_order": {"required": ["name"]}},
}


def ui_workflow(node_changes=None):
    node_changes = node_changes or {}
    nodes = [
        {"id": 1, "type": "LoadImage", "mode": 0, "inputs": [], "widgets_values": ["first.png", "image"]},
        {"id": 2, "type": "TrackletEditor", "mode": 0, "inputs": [{"name": "image", "type": "IMAGE", "link": 1}],
         "widgets_values": ['{"doc": 1}']},
        {"id": 3, "type": "Loader", "mode": 0, "inputs": [], "widgets_values": ["m.safetensors"]},
        {"id": 4, "type": "KSampler", "mode": 0,
         "inputs": [{"name": "model", "type": "MODEL", "link": 2}, {"name": "positive", "type": "CONDITIONING", "link": None},
                    {"name": "steps", "type": "INT", "link": 3, "widget": {"name": "steps"}}],
         "widgets_values": [42, "randomize", 20]},
        {"id": 5, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 4}]},
        {"id": 6, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 5}],
         "widgets_values": ["out"]},
        {"id": 7, "type": "PrimitiveNode", "mode": 0, "widgets_values": [7]},
        {"id": 8, "type": "MarkdownNote", "mode": 0, "widgets_values": ["# weights go in models/trackdiff"]},
    ]
    for node in nodes:
        node.update(node_changes.get(node["id"], {}))
    links = [[1, 1, 0, 2, 0, "IMAGE"], [2, 3, 0, 4, 0, "MODEL"], [3, 7, 0, 4, 2, "INT"], [4, 2, 1, 5, 0, "IMAGE"],
             [5, 5, 0, 6, 0, "IMAGE"]]
    return {"nodes": nodes, "links": links}


def test_ui_to_api():
    prompt = ui_to_api(ui_workflow(), OBJECT_INFO)
    assert set(prompt) == {"1", "2", "3", "4", "6"}  # reroute, primitive and note are frontend-only
    assert prompt["1"] == {"class_type": "LoadImage", "inputs": {"image": "first.png"}}
    assert prompt["2"]["inputs"] == {"tracklets_json": '{"doc": 1}', "image": ["1", 0]}
    # seed's control_after_generate value is skipped; steps comes from the primitive; model from the loader
    assert prompt["4"]["inputs"] == {"model": ["3", 0], "seed": 42, "steps": 7}
    assert prompt["6"]["inputs"] == {"images": ["2", 1], "filename_prefix": "out"}  # through the reroute


def test_muted_and_bypassed_nodes():
    assert "3" not in ui_to_api(ui_workflow({3: {"mode": 2}}), OBJECT_INFO)
    with pytest.raises(TrackDiffError, match="is bypassed.*API format"):
        ui_to_api(ui_workflow({3: {"mode": 4}}), OBJECT_INFO)


def test_unknown_node_type():
    with pytest.raises(TrackDiffError, match="not a node this server knows"):
        ui_to_api(ui_workflow({3: {"type": "SomethingElse"}}), OBJECT_INFO)


def test_template_fills_image_document_seed_and_prefix():
    template = PromptTemplate(ui_to_api(ui_workflow(), OBJECT_INFO))
    prompt = template.instantiate("batch/x.png", "tracklets", '{"new": 1}', 123, "trackdiff_batch/x")
    assert prompt["1"]["inputs"]["image"] == "batch/x.png"
    assert prompt["2"]["inputs"]["tracklets_json"] == '{"new": 1}'
    assert prompt["4"]["inputs"]["seed"] == 123
    assert prompt["6"]["inputs"]["filename_prefix"] == "trackdiff_batch/x"
    assert template.prompt["4"]["inputs"]["seed"] == 42  # the template itself is unchanged
    with pytest.raises(TrackDiffError, match="no editor node of the workflow takes this kind"):
        template.instantiate("x.png", "mask_arrows", "{}", 1, "p")


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda p: p.pop("1"), "needs exactly one LoadImage"),
        (lambda p: p.pop("2"), "no TrackletEditor or MaskArrowToTrajectories"),
        (lambda p: p.update({"9": json.loads(json.dumps(p["6"]))}), "needs one SaveImage"),
    ],
)
def test_template_errors(mutate, match):
    prompt = ui_to_api(ui_workflow(), OBJECT_INFO)
    mutate(prompt)
    with pytest.raises(TrackDiffError, match=match):
        PromptTemplate(prompt)


def test_an_upload_buttons_value_after_the_widgets_shifts_none_of_them():
    """Load Image (as Mask) stores ``[image, channel, upload]``: the frontend puts the upload button's value after all
    the node's widgets, so ``channel`` is the second value, not the third."""
    info = {"LoadImageMask": {"input": {"required": {"image": [["m.png"], {"image_upload": True}],
                                                     "channel": [["alpha", "red", "green", "blue"], {}]}},
                              "input_order": {"required": ["image", "channel"]}, "output": ["MASK"]}}
    workflow = {"nodes": [{"id": 1, "type": "LoadImageMask", "inputs": [], "outputs": [],
                           "widgets_values": ["m.png", "red", "image"]}], "links": []}
    assert ui_to_api(workflow, info) == {"1": {"class_type": "LoadImageMask",
                                               "inputs": {"image": "m.png", "channel": "red"}}}

"""The camera layer, numeric entry, static anchors and seeds in the real ComfyUI frontend, in both modes (classic
canvas and Vue nodes), then queued on the real ComfyUI: a person draws an arrow, pans and zooms the camera (the zoom
typed), undoes and redoes, saves and reloads; the tracks that reach Wan-Move (tiny Wan) are the composition of the
arrow and the camera within half a pixel, and the background points move with the camera alone. A point anchor placed
and typed in the widget reaches ATI as a track that stays. A seed document the node used opens in each editor as one
undoable edit and survives save and reload."""

from __future__ import annotations

import json

import numpy as np
import pytest

from test_camera_in_comfyui import mask_arrows, reported, wan_move
from test_wan_in_comfyui import H, LENGTH, W, _conditioning_prompt, wan_files  # noqa: F401 (a fixture)

ZOOM = "1.25"


def type_into(ui, node: int, field: str, text: str) -> None:
    """Type into a field of the node's editor panel, press Enter, and give the keyboard back to the editor."""
    box = ui.page.locator(f'.td-editor [data-field="{field}"]')
    box.fill(text)
    box.press("Enter")
    box.press("Escape")
    ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.focus()", node)
    ui.next_frame(2)


def prompt_document(ui, node: int, name: str) -> str:
    """What the node receives when the workflow is queued: the API prompt the frontend builds."""
    prompt = ui.js("async () => (await window.app.graphToPrompt()).output")
    return prompt[str(node)]["inputs"][name]


def save_and_reload(ui, node_type: str) -> int:
    workflow = json.loads(ui.js("() => JSON.stringify(window.app.graph.serialize())"))
    ui.open()
    ui.clear()
    ui.load_workflow(workflow)
    (node,) = ui.node_ids(node_type)
    ui.wait_for_editor(node)
    return node


def exact(points, frame, pan, zoom):
    """The contract's screen-from-scene transform (centre (W/2, H/2), linear keys on the first and last frame)."""
    u = frame / (LENGTH - 1)
    centre = np.array([W / 2, H / 2])
    return centre + np.array(pan) * u * (W, H) + (1 + (zoom - 1) * u) * (np.asarray(points, float) - centre)


def test_arrow_and_typed_camera_zoom_reach_wan_move_composed(ui, comfy_server, wan_files):
    node = ui.add_node("MaskArrowToTrajectories")
    ui.drag(node, (0.25, 0.35), (0.35, 0.45))  # a brush stroke: an object with a mask
    ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.setTool('arrow')", node)
    ui.drag(node, (0.3, 0.4), (0.55, 0.5 if ui.vue else 0.55))  # per mode, so ComfyUI never reuses the other's run
    ui.press("c")  # the camera layer
    ui.press("End")
    ui.drag(node, (0.5, 0.5), (0.58, 0.46))  # pan the scene right and up on the last frame
    panned = ui.widget_value(node, "mask_arrows_json")
    type_into(ui, node, "camera-zoom", ZOOM)
    typed = ui.widget_value(node, "mask_arrows_json")
    camera = json.loads(typed)["camera"]
    assert [k["frame"] for k in camera["keyframes"]] == [0, 13]
    assert camera["keyframes"][1]["zoom"] == float(ZOOM), "the typed zoom is stored as typed"
    pan = camera["keyframes"][1]["pan"]
    assert pan == pytest.approx([0.08, -0.04], abs=0.01)

    ui.press("Mod+z")
    assert ui.widget_value(node, "mask_arrows_json") == panned, "undo in the widget: the typed zoom goes"
    ui.press("Mod+z")
    assert "camera" not in json.loads(ui.widget_value(node, "mask_arrows_json")), "undo again: the camera pan goes"
    ui.press("Mod+Shift+z")
    ui.press("Mod+Shift+z")
    assert ui.widget_value(node, "mask_arrows_json") == typed, "redo brings back the pan and the typed zoom"

    node = save_and_reload(ui, "MaskArrowToTrajectories")
    assert ui.widget_value(node, "mask_arrows_json") == typed
    document = prompt_document(ui, node, "mask_arrows_json")
    assert document == typed, "the node receives exactly what the widget holds"

    # Queued: the scene motion alone (the same drawing without its camera), then the drawing with it into Wan-Move.
    still = json.loads(document)
    del still["camera"]
    scene, _ = reported(comfy_server.run({"n": mask_arrows(json.dumps(still)), "tracks": wan_move("n"),
                                          "r": {"class_type": "TrackDiffTestTracks", "inputs": {"tracks": ["tracks", 0]}}}))
    objects = scene.shape[1]
    prompt = _conditioning_prompt(wan_files, {"class_type": "WanMoveTrackToVideo", "inputs": {"strength": 1.0}}, "tracks")
    prompt.update({"n": mask_arrows(document), "tracks": wan_move("n"),
                   "r": {"class_type": "TrackDiffTestTracks", "inputs": {"tracks": ["tracks", 0]}}})
    outputs = comfy_server.run(prompt)
    path, visible = reported(outputs)
    assert path.shape[1] > objects, "background points came with the camera"
    for frame in range(LENGTH):
        assert np.abs(path[frame, :objects] - exact(scene[frame], frame, pan, float(ZOOM))).max() <= 0.5
        want = exact(path[0, objects:], frame, pan, float(ZOOM))
        assert np.abs(path[frame, objects:] - want).max() <= 0.5, "background points move with the camera alone"
    report = outputs["probe"]["trackdiff_concat"][0]
    assert not np.allclose(report["tracked"], report["plain"]), "Wan-Move took the tracks"


def test_a_typed_point_anchor_reaches_ati_as_a_track_that_stays(ui, comfy_server, wan_files):
    node = ui.add_node("MaskArrowToTrajectories")
    ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.setTool('anchor')", node)
    ui.drag(node, (0.4, 0.5), (0.4, 0.5), steps=1)  # a click with nothing selected: a point that stays
    ui.drag(node, (0.4, 0.5), (0.4, 0.5), steps=1)  # a click on it: its numbers show
    x, y_px = (0.25, 0.6) if ui.vue else (0.3, 0.55)
    type_into(ui, node, "point-x", str(x))
    type_into(ui, node, "point-y-px", str(y_px * 576))  # pixels of the editor's first frame (1024 × 576 with no picture)
    document = prompt_document(ui, node, "mask_arrows_json")
    (point,) = json.loads(document)["objects"]
    assert point["shape"] == "point" and point["path"] == [[x, y_px]], "typed values are exactly what the node receives"
    ui.press("Mod+z")
    assert json.loads(ui.widget_value(node, "mask_arrows_json"))["objects"][0]["path"][0][1] != y_px, "undo: the typed y"
    ui.press("Mod+Shift+z")
    assert ui.widget_value(node, "mask_arrows_json") == document

    ati = {"class_type": "WanTrackToVideo", "inputs": {"temperature": 20.0, "topk": 2}}
    prompt = _conditioning_prompt(wan_files, ati, "tracks")
    prompt.update({"n": mask_arrows(document),
                   "tracks": {"class_type": "TracksForATI", "inputs": {"width": W, "height": H, "length": LENGTH,
                                                                       "points_per_box": 4, "tracks": ["n", 0]}},
                   "text": {"class_type": "PreviewAny", "inputs": {"source": ["tracks", 0]}}})
    outputs = comfy_server.run(prompt)
    (track,) = json.loads(outputs["text"]["text"][0])
    xy = np.array([[p["x"], p["y"]] for p in track])
    assert np.abs(xy - [x * W, y_px * H]).max() <= 0.5, "the anchor stays where it was typed"


SEEDS = {
    "TrackletEditor": ("tracklets_json", {
        "version": 1, "kind": "tracklets", "frame_count": 25, "objects": [
            {"id": 0, "label": "car", "color": "#d62728", "interpolation": "ease_in_out",
             "keyframes": [{"frame": 0, "box": [0.1, 0.2, 0.3, 0.4]}, {"frame": 24, "box": [0.5, 0.25, 0.7, 0.45]}]}],
        "camera": {"version": 1, "keyframes": [{"frame": 0}, {"frame": 24, "pan": [-0.1, 0.0], "zoom": 1.1}]}}),
    "MaskArrowToTrajectories": ("mask_arrows_json", {
        "version": 1, "kind": "mask_arrows", "frame_count": 25, "objects": [
            {"id": 0, "label": "ball", "color": "#2ca02c", "mask": {"size": [4, 4], "counts": [5, 2, 2, 2, 5]},
             "path": [[0.3, 0.4], [0.5, 0.45], [0.7, 0.4]], "timing": "linear"}],
        "camera": {"version": 1, "keyframes": [{"frame": 0}, {"frame": 24, "pan": [0.05, 0.0]}]}}),
}


@pytest.mark.parametrize("node_type", list(SEEDS))
def test_a_seed_document_opens_in_the_editor_and_survives_save_and_reload(ui, node_type, pack):
    import importlib

    name, seed = SEEDS[node_type]
    module = "tracklet_document" if node_type == "TrackletEditor" else "mask_arrow_document"
    parser = getattr(importlib.import_module(f"{pack.__name__}.trackdiff_core.{module}"),
                     "TrackletDocument" if node_type == "TrackletEditor" else "MaskArrowDocument")
    seed = {**seed, "objects": [{**seed["objects"][0], "label": "vue" if ui.vue else "canvas"}]}  # per mode: ComfyUI caches runs
    text = json.dumps(seed)
    node = ui.add_node(node_type, pos=(420, 80))
    empty = ui.widget_value(node, name)
    ui.js(
        """([id, text]) => {
            const g = window.app.graph;
            const editor = g.getNodeById(id);
            const source = window.LiteGraph.createNode('PrimitiveString');
            source.pos = [20, 80];
            g.add(source);
            source.widgets.find((w) => w.name === 'value').value = text;
            source.connect(0, editor, editor.inputs.findIndex((i) => i.name === 'seed_document'));
            const preview = window.LiteGraph.createNode('PreviewImage');
            preview.pos = [1100, 80];
            g.add(preview);
            editor.connect(1, preview, 0);
        }""",
        [node, text],
    )
    ui.js("async () => { await window.app.queuePrompt(0); }")
    ui.page.wait_for_function(
        "([id, name, empty]) => window.app.graph.getNodeById(id).widgets.find((w) => w.name === name).value !== empty",
        arg=[node, name, empty], timeout=120_000,
    )
    adopted = ui.widget_value(node, name)
    assert parser.parse(adopted) == parser.parse(text), "the editor now holds the seed the node used"
    ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.focus()", node)
    ui.press("Mod+z")
    assert ui.widget_value(node, name) == empty, "adopting the seed is one undo step"
    ui.press("Mod+Shift+z")
    assert ui.widget_value(node, name) == adopted

    # It stays editable: a new keyframe (boxes) or a moved path point (masks), then save and reload.
    ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.setFrame(12)", node)
    if node_type == "TrackletEditor":
        ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.select(0)", node)
        ui.press("k")
        frames = [k.frame for k in parser.parse(ui.widget_value(node, name)).objects[0].keyframes]
        assert frames == [0, 12, 24]
    else:
        ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.select(0)", node)
        ui.drag(node, (0.7, 0.4), (0.7, 0.6))
        assert parser.parse(ui.widget_value(node, name)).objects[0].path[-1][1] == pytest.approx(0.6, abs=0.01)
    edited = ui.widget_value(node, name)
    assert parser.parse(edited).camera == parser.parse(text).camera, "the seed's camera layer is kept"
    node = save_and_reload(ui, node_type)
    assert ui.widget_value(node, name) == edited
    assert ui.editor_state(node)["error"] is None

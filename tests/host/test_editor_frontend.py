"""The drawing widgets inside the real ComfyUI frontend (ComfyUI's server + its frontend package), in Chromium.

For both the classic canvas and Vue-nodes ("Nodes 2.0") mode: add the node, draw, save the workflow, load it in a fresh
page, and the widget value is unchanged; resize the node and the coordinates are unchanged; undo inside the widget
leaves ComfyUI's own undo alone; a malformed stored value shows an error on the node and the graph keeps working.
Skipped without COMFYUI_PATH (like every host test) and without Chromium + Playwright.
"""

from __future__ import annotations

import importlib
import json

import pytest

import comfy_host



@pytest.fixture(scope="module")
def documents(pack):
    return (
        importlib.import_module(pack.__name__ + ".trackdiff_core.tracklet_document").TrackletDocument,
        importlib.import_module(pack.__name__ + ".trackdiff_core.mask_arrow_document").MaskArrowDocument,
    )


def boxes(document_cls, text):
    doc = document_cls.parse(text)
    return [[(k.frame, k.box) for k in o.keyframes] for o in doc.objects]


def test_box_editor_draw_save_reload_resize(ui, documents, comfy_server):
    TrackletDocument, _ = documents
    node = ui.add_node("TrackletEditor")
    ui.drag(node, (0.2, 0.3), (0.5, 0.7))
    drawn = ui.widget_value(node, "tracklets_json")
    (keys,) = boxes(TrackletDocument, drawn)
    assert keys[0][0] == 0
    assert keys[0][1] == pytest.approx((0.2, 0.3, 0.5, 0.7), abs=0.01), "the box lands where it was drawn"

    # Scrub to frame 7 and move the box: a keyframe appears there; Python reads what the widget wrote.
    ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.setFrame(7)", node)
    ui.drag(node, (0.35, 0.5), (0.55, 0.6))
    value = ui.widget_value(node, "tracklets_json")
    (keys,) = boxes(TrackletDocument, value)
    assert [f for f, _ in keys] == [0, 7]
    assert keys[1][1] == pytest.approx((0.4, 0.4, 0.7, 0.8), abs=0.01)

    # Resizing the node changes the drawing size, never the document.
    width = ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.canvas.getBoundingClientRect().width", node)
    ui.resize_node(node, 260, 200)
    ui.page.wait_for_function(
        "([id, w]) => window.app.graph.getNodeById(id).trackdiffEditor.canvas.getBoundingClientRect().width > w + 100",
        arg=[node, width],
    )
    ui.next_frame(3)
    assert ui.widget_value(node, "tracklets_json") == value
    assert ui.editor_state(node)["value"] == value

    # The API prompt carries exactly the widget's document, and the Python node accepts it.
    prompt = ui.js("async () => (await window.app.graphToPrompt()).output")
    assert prompt[str(node)]["inputs"]["tracklets_json"] == value
    assert "trackdiff_editor" not in prompt[str(node)]["inputs"]
    outputs = comfy_server.run({"1": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": value}},
                                "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 1]}}})
    assert outputs["2"]["images"]

    # Save, then load the saved workflow into a freshly opened app: the value is unchanged.
    workflow = ui.serialize_workflow()
    ui.open()
    ui.clear()
    ui.load_workflow(workflow)
    (reloaded,) = ui.node_ids("TrackletEditor")
    ui.wait_for_editor(reloaded)
    assert ui.widget_value(reloaded, "tracklets_json") == value
    state = ui.editor_state(reloaded)
    assert state["value"] == value and state["error"] is None
    saved = [n for n in workflow["nodes"] if n["type"] == "TrackletEditor"][0]
    assert saved["widgets_values"] == [value], "only the document is saved, not the canvas widget"


def test_undo_inside_the_widget_leaves_comfyui_undo_alone(ui):
    node = ui.add_node("TrackletEditor")
    ui.add_node("TrackletEditor", pos=(700, 80))
    ui.drag(node, (0.1, 0.1), (0.3, 0.3))
    first = ui.widget_value(node, "tracklets_json")
    ui.drag(node, (0.6, 0.6), (0.9, 0.9))
    second = ui.widget_value(node, "tracklets_json")
    assert second != first
    ui.page.wait_for_timeout(300)  # let ComfyUI's change tracker record the edits
    tracker = ui.change_tracker()
    modifier = "Meta" if ui.js("() => /Mac/.test(navigator.platform)") else "Control"
    ui.page.keyboard.press(f"{modifier}+z")
    ui.page.wait_for_timeout(300)
    assert ui.widget_value(node, "tracklets_json") == first
    assert len(ui.node_ids("TrackletEditor")) == 2, "ComfyUI's undo did not remove the second node"
    assert ui.change_tracker()["redo"] == tracker["redo"], "ComfyUI's own undo did not run"
    ui.page.keyboard.press(f"{modifier}+Shift+z")
    ui.page.wait_for_timeout(300)
    assert ui.widget_value(node, "tracklets_json") == second
    # Delete in the widget deletes the selected box, not the node.
    ui.page.mouse.click(*ui.client_point(node, 0.75, 0.75))
    ui.page.keyboard.press("Delete")
    ui.page.wait_for_timeout(200)
    assert len(json.loads(ui.widget_value(node, "tracklets_json"))["objects"]) == 1
    assert len(ui.node_ids("TrackletEditor")) == 2


def test_malformed_value_shows_an_error_on_the_node(ui, browser):
    node = ui.add_node("TrackletEditor")
    ui.drag(node, (0.2, 0.2), (0.4, 0.4))
    workflow = ui.serialize_workflow()
    bad = '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "red", "keyframes": []}]'
    for saved in workflow["nodes"]:
        if saved["type"] == "TrackletEditor":
            saved["widgets_values"] = [bad]
    ui.clear()
    ui.load_workflow(workflow)
    (loaded,) = ui.node_ids("TrackletEditor")
    ui.wait_for_editor(loaded)
    state = ui.editor_state(loaded)
    assert state["errorShown"] and "not valid JSON" in state["error"]
    assert ui.widget_value(loaded, "tracklets_json") == bad, "the stored text is kept, never overwritten"
    assert ui.page.locator(".td-error.td-show").first.is_visible()
    # The graph keeps working: other nodes can be added and the workflow still serialises.
    ui.add_node("TrackletEditor", pos=(700, 80))
    assert len(ui.serialize_workflow()["nodes"]) == 2
    # A value that parses as JSON but breaks the schema names the field, like Python does.
    ui.set_widget_value(loaded, "tracklets_json", bad + "}")
    ui.page.wait_for_function(
        "(id) => (window.app.graph.getNodeById(id).trackdiffEditor.error?.message || '').includes('objects[0].color')", arg=loaded
    )
    # Reset gives an empty, valid document.
    ui.page.locator(".td-error.td-show button", has_text="Reset editor").first.click()
    assert json.loads(ui.widget_value(loaded, "tracklets_json"))["objects"] == []


def test_middle_drag_over_the_widget_pans_the_graph(ui):
    node = ui.add_node("TrackletEditor")
    before = ui.js("() => [...window.app.canvas.ds.offset]")
    ui.drag(node, (0.5, 0.5), (0.8, 0.7), button="middle")
    after = ui.js("() => [...window.app.canvas.ds.offset]")
    assert after != before
    assert json.loads(ui.widget_value(node, "tracklets_json"))["objects"] == [], "middle-drag draws nothing"


def test_background_from_linked_image_and_last_run(ui, tmp_path_factory):
    shots = tmp_path_factory.getbasetemp()
    node = ui.add_node("TrackletEditor", pos=(420, 80))
    loader = ui.js(
        """() => {
            const n = window.LiteGraph.createNode('LoadImage');
            n.pos = [20, 80];
            window.app.graph.add(n);
            n.widgets.find((w) => w.name === 'image').value = 'trackdiff_test_image.png';
            return n.id;
        }"""
    )
    ui.js(
        """([a, b]) => {
            const target = window.app.graph.getNodeById(b);
            window.app.graph.getNodeById(a).connect(0, target, target.inputs.findIndex((i) => i.name === 'image'));
        }""",
        [loader, node],
    )
    ui.page.wait_for_function("(id) => window.app.graph.getNodeById(id).trackdiffEditor.background?.label === 'linked image'", arg=node)
    aspect = ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.aspect", node)
    assert aspect == pytest.approx(96 / 64), "the picture's own aspect ratio frames the drawing"
    ui.drag(node, (0.25, 0.25), (0.5, 0.55 if ui.vue else 0.5))  # differs per mode: ComfyUI would reuse a cached run
    ui.page.screenshot(path=str(shots / f"host_{'vue' if ui.vue else 'canvas'}.png"))

    # After a run the node sends back its first input frame, and the editor shows it.
    preview = ui.js(
        """(id) => {
            const p = window.LiteGraph.createNode('PreviewImage');
            p.pos = [1100, 80];
            window.app.graph.add(p);
            window.app.graph.getNodeById(id).connect(1, p, 0);
            return p.id;
        }""",
        node,
    )
    assert preview
    drawing = stage_height(ui, node)
    ui.js("async () => { await window.app.queuePrompt(0); }")
    ui.page.wait_for_function(
        "(id) => window.app.graph.getNodeById(id).trackdiffEditor.background?.label === 'last run'", arg=node, timeout=60_000
    )
    ui.page.wait_for_timeout(500)  # let the frontend lay out what the run sent back
    ui.next_frame(3)
    assert stage_height(ui, node) == pytest.approx(drawing, abs=6), "the node's output preview takes no drawing space"
    ui.page.screenshot(path=str(shots / f"after_run_{'vue' if ui.vue else 'canvas'}.png"))
    assert ui.js("(id) => window.app.graph.getNodeById(id).properties.trackdiff_background.type", node) == "temp"


def test_mask_arrow_editor_stroke_arrow_save_reload(ui, documents, comfy_server):
    _, MaskArrowDocument = documents
    node = ui.add_node("MaskArrowToTrajectories")
    ui.drag(node, (0.3, 0.4), (0.4, 0.5))  # brush stroke: a new object with a mask
    ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.setTool('arrow')", node)
    ui.drag(node, (0.35, 0.45), (0.8, 0.3))
    value = ui.widget_value(node, "mask_arrows_json")
    doc = MaskArrowDocument.parse(value)
    (obj,) = doc.objects
    mask = obj.decoded_mask()
    assert mask.any()
    h, w = mask.shape
    assert mask[int(0.45 * h), int(0.35 * w)], "the stroke is painted where it was drawn"
    assert not mask[int(0.9 * h), int(0.9 * w)]
    assert obj.path[0] == pytest.approx((0.35, 0.45), abs=0.01)
    assert obj.path[-1] == pytest.approx((0.8, 0.3), abs=0.01)

    # The preview shows K·s points per object, as the node samples them.
    ui.set_widget_value(node, "K", 2)
    ui.set_widget_value(node, "s", 3)
    ui.page.wait_for_function("(id) => window.app.graph.getNodeById(id).trackdiffEditor.pointCount === 6", arg=node)

    prompt = {"1": {"class_type": "MaskArrowToTrajectories", "inputs": {
        "mask_arrows_json": value, "frame_count": 6, "K": 2, "s": 3, "point_seed": 0, "timing": "linear", "width": 96,
        "height": 64, "mask_layout": "one_per_object"}},
        "2": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["1", 1]}}}
    outputs = comfy_server.run(prompt)
    assert outputs["2"]["trackdiff_stats"][0]["shape"] == [6, 341, 512, 3]  # the preview: a frame per output frame, 96:64

    workflow = ui.serialize_workflow()
    ui.open()
    ui.clear()
    ui.load_workflow(workflow)
    (reloaded,) = ui.node_ids("MaskArrowToTrajectories")
    ui.wait_for_editor(reloaded)
    assert ui.widget_value(reloaded, "mask_arrows_json") == value
    assert ui.editor_state(reloaded)["error"] is None


# -- nothing a person draws is lost (issue 11) --------------------------------------------------------------------------

def saved_workflow(comfy_server, name: str) -> dict:
    import urllib.parse
    import urllib.request

    url = f"{comfy_server.url}/api/userdata/{urllib.parse.quote('workflows/' + name + '.json', safe='')}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def node_value(workflow: dict, node_type: str) -> str:
    (saved,) = [n for n in workflow["nodes"] if n["type"] == node_type]
    return saved["widgets_values"][0]


def test_draw_then_at_once_ctrl_s_and_reload_keep_the_drawing(ui, comfy_server, documents):
    TrackletDocument, _ = documents
    node = ui.add_node("TrackletEditor")
    ui.press("Escape")
    ui.click_empty_canvas()
    before = ui.workflow_state()

    # Draw, and nothing else: the tab is marked modified and ComfyUI took an undo checkpoint at once.
    ui.drag(node, (0.2, 0.3), (0.5, 0.7))
    drawn = ui.widget_value(node, "tracklets_json")
    after = ui.workflow_state()
    assert after["modified"], "the workflow is marked modified right after drawing"
    assert after["undo"] == before["undo"] + 1, "one ComfyUI undo checkpoint per edit"

    # Ctrl+S right away (the keyboard is still in the editor): the saved file has the box.
    name = f"drawn_{'vue' if ui.vue else 'canvas'}"
    ui.press("Mod+s")
    prompt = ui.page.get_by_role("dialog").locator("input")
    prompt.wait_for()
    prompt.fill(name)
    prompt.press("Enter")
    ui.page.wait_for_function("() => !window.app.extensionManager.workflow.activeWorkflow.isModified")
    assert node_value(saved_workflow(comfy_server, name), "TrackletEditor") == drawn

    # Move it, scrub, keyframe, make it appear there (pointer, keyboard and panel), and reload the tab at once.
    ui.drag(node, (0.35, 0.5), (0.45, 0.55))
    ui.press("ArrowRight")
    ui.press("ArrowRight")
    ui.drag(node, (0.45, 0.55), (0.55, 0.6))
    ui.press("k")
    ui.editor_button(node, "[ Appears").click()
    edited = ui.widget_value(node, "tracklets_json")
    (obj,) = TrackletDocument.parse(edited).objects
    assert [k.frame for k in obj.keyframes] == [0, 2] and obj.visibility is not None
    assert ui.workflow_state()["modified"]
    ui.reload()
    (reloaded,) = ui.node_ids("TrackletEditor")
    ui.wait_for_editor(reloaded)
    assert ui.widget_value(reloaded, "tracklets_json") == edited, "a reload right after editing keeps every edit"
    assert ui.editor_state(reloaded)["value"] == edited


def test_mask_arrow_edits_reach_comfyui_at_once(ui):
    node = ui.add_node("MaskArrowToTrajectories")
    ui.click_empty_canvas()
    before = ui.workflow_state()["undo"]
    ui.drag(node, (0.3, 0.4), (0.4, 0.5))  # a brush stroke
    ui.press("a")
    ui.drag(node, (0.35, 0.45), (0.8, 0.3))  # its arrow
    assert ui.workflow_state()["undo"] == before + 2
    value = ui.widget_value(node, "mask_arrows_json")
    ui.reload()
    (reloaded,) = ui.node_ids("MaskArrowToTrajectories")
    ui.wait_for_editor(reloaded)
    assert ui.widget_value(reloaded, "mask_arrows_json") == value


def count_boxes(ui, node) -> int:
    return len(json.loads(ui.widget_value(node, "tracklets_json"))["objects"])


def test_undo_button_then_ctrl_z_stays_in_the_editor(ui):
    node = ui.add_node("TrackletEditor")
    values = []
    for x in (0.05, 0.35, 0.65):
        ui.drag(node, (x, 0.2), (x + 0.2, 0.5))
        values.append(ui.widget_value(node, "tracklets_json"))
    tracker = ui.change_tracker()

    ui.editor_button(node, "↶").click()
    assert count_boxes(ui, node) == 2
    ui.press("Mod+z")  # right after the button: the editor's undo, not ComfyUI's
    assert count_boxes(ui, node) == 1
    assert ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.history.canRedo", node)
    assert ui.change_tracker()["redo"] == tracker["redo"], "ComfyUI's own undo did not run"
    ui.press("Mod+Shift+z")
    ui.editor_button(node, "↷").click()
    assert ui.widget_value(node, "tracklets_json") == values[2]

    # Outside the editor, ComfyUI's undo goes back one edit (the last redo), never to an older value.
    ui.click_empty_canvas()
    ui.press("Mod+z")
    ui.page.wait_for_function("() => window.app.extensionManager.workflow.activeWorkflow.changeTracker.redoQueue.length === 1", polling=100)
    (node,) = ui.node_ids("TrackletEditor")
    ui.wait_for_editor(node)
    assert ui.widget_value(node, "tracklets_json") == values[1]


def test_clicking_a_chip_shows_its_properties_and_all_of_them_fit(ui):
    node = ui.add_node("TrackletEditor")
    ui.drag(node, (0.1, 0.1), (0.3, 0.3))
    ui.drag(node, (0.5, 0.5), (0.8, 0.8))
    ui.press("Escape")
    ui.editor_button(node, "#0").click()
    panel = ui.js(
        """(id) => {
            const e = window.app.graph.getNodeById(id).trackdiffEditor;
            const box = e.panel.getBoundingClientRect();
            const inside = (b) => { const r = b.getBoundingClientRect(); return r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5; };
            const buttons = [...e.panel.querySelectorAll('button')];
            return {text: e.panel.textContent, selected: e.selectedId, on: buttons.filter((b) => b.classList.contains('td-on')).map((b) => b.textContent),
                    hidden: buttons.filter((b) => !inside(b)).map((b) => b.textContent)};
        }""",
        node,
    )
    assert panel["selected"] == 0 and panel["on"] == ["#0"]
    assert "Click a box or a chip" not in panel["text"] and "label" in panel["text"]
    assert panel["hidden"] == [], "every control of the properties panel is visible at the default node size"


def stage_height(ui, node) -> float:
    return ui.js("(id) => window.app.graph.getNodeById(id).trackdiffEditor.stage.getBoundingClientRect().height", node)


def test_resizing_the_node_resizes_the_drawing_area(ui):
    node = ui.add_node("TrackletEditor")
    before = stage_height(ui, node)
    ui.resize_node(node, 0, 180)
    ui.page.wait_for_function(
        "([id, h]) => window.app.graph.getNodeById(id).trackdiffEditor.stage.getBoundingClientRect().height > h + 150",
        arg=[node, before],
    )
    scale = ui.js("() => window.app.canvas.ds.scale")
    grown = stage_height(ui, node)
    assert grown == pytest.approx(before + 180 * scale, abs=12 * scale)
    # And back: a smaller node, a smaller drawing area (never an editor taller than its node).
    ui.resize_node(node, 0, -120)
    ui.page.wait_for_function(
        "([id, h]) => window.app.graph.getNodeById(id).trackdiffEditor.stage.getBoundingClientRect().height < h - 90",
        arg=[node, grown],
    )
    assert stage_height(ui, node) == pytest.approx(grown - 120 * scale, abs=12 * scale)


def test_a_workflow_saved_in_the_canvas_fills_the_vue_node(ui):
    node = ui.add_node("TrackletEditor", size=(560, 870))
    ui.next_frame(4)
    gap = ui.js(
        """(id) => {
            const n = window.app.graph.getNodeById(id);
            const root = n.trackdiffEditor.root.getBoundingClientRect();
            const el = document.querySelector(`[data-node-id="${id}"]`);
            if (el) return el.getBoundingClientRect().bottom - root.bottom;
            const c = window.app.canvas;
            const r = c.canvas.getBoundingClientRect();
            return r.top + (n.pos[1] + n.size[1] + c.ds.offset[1]) * c.ds.scale - root.bottom;
        }""",
        node,
    )
    assert 0 <= gap < 30, f"{gap:.0f} px of empty node under the editor"


# -- the shipped templates, before any run -------------------------------------------------------------------------------

SHIPPED = sorted(p.stem for p in (comfy_host.REPO_ROOT / "workflows").glob("*.json"))
TEMPLATE_INDEX = json.loads((comfy_host.REPO_ROOT / "workflows" / "templates" / "index.json").read_text())


def test_template_browser_shows_titles_and_descriptions(ui):
    cards = ui.template_cards()
    assert sorted(cards) == SHIPPED
    entries = {t["name"]: t for category in TEMPLATE_INDEX for t in category["templates"]}
    assert sorted(entries) == SHIPPED, "every shipped workflow has its title and description in the index"
    for name, text in cards.items():
        assert entries[name]["title"] in text and entries[name]["description"] in text
        assert name not in text, "no raw file name on the card"


def _template_nodes(name: str) -> list[dict]:
    return json.loads((comfy_host.REPO_ROOT / "workflows" / f"{name}.json").read_text())["nodes"]


def has_editor(name: str) -> bool:
    return any(n["type"] in ("TrackletEditor", "MaskArrowToTrajectories") for n in _template_nodes(name))


def scaled_aspect(name: str) -> float:
    """The aspect of the Image Scale the template's picture goes through (1024×576 for SVD, 832×480 for Wan)."""
    (scale,) = [n for n in _template_nodes(name) if n["type"] == "ImageScale"]
    _, width, height, _ = scale["widgets_values"]
    return width / height


def test_every_template_shows_its_picture_before_any_run(ui, comfy_server, tmp_path_factory):
    shots = tmp_path_factory.getbasetemp()
    picture = comfy_server.base / "input" / "example.png"
    picture.unlink(missing_ok=True)

    def editors():
        return ui.js("() => window.app.graph.nodes.filter((n) => n.trackdiffEditor).map((n) => n.id)")

    # The Load Image of every template names example.png; without it, each editor says exactly that.
    with_editor = []
    for name in SHIPPED:
        ui.open_template(name)
        for node in editors():
            ui.show_node(node)  # a large workflow (the Wan ones) opens with the editor outside the view
            ui.wait_for_editor(node)
            ui.page.wait_for_function(
                "(id) => window.app.graph.getNodeById(id).trackdiffEditor.hint?.includes('“example.png” (Load Image)')", arg=node
            )
            with_editor.append(name)
        assert not ui.workflow_state()["modified"], "opening a template changes nothing"
    assert len(with_editor) == sum(1 for name in SHIPPED if has_editor(name))

    # With the picture in ComfyUI's input folder, every editor shows it as Image Scale delivers it (the template's size,
    # a centre crop of the 96×64 picture), so the coordinates drawn are those of the video.
    comfy_host.write_test_image(picture)
    for name in with_editor:
        ui.open_template(name)
        (node,) = editors()
        ui.show_node(node)
        ui.wait_for_editor(node)
        ui.page.wait_for_function("(id) => window.app.graph.getNodeById(id).trackdiffEditor.background", arg=node)
        state = ui.js(
            """(id) => { const e = window.app.graph.getNodeById(id).trackdiffEditor;
                         return {label: e.background.label, aspect: e.aspect}; }""",
            node,
        )
        assert state == {"label": "linked image, as resized", "aspect": pytest.approx(scaled_aspect(name))}
        ui.page.screenshot(path=str(shots / f"template_{name}_{'vue' if ui.vue else 'canvas'}.png"))


# -- a malformed document, queued --------------------------------------------------------------------------------------

MALFORMED = {
    "MaskArrowToTrajectories": ("mask_arrows_json", '{"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [{"id": 0}]}'),
    "TrackletEditor": ("tracklets_json", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0}]}'),
}


@pytest.mark.parametrize("node_type", sorted(MALFORMED))
def test_queueing_a_malformed_document_gives_one_error_on_its_input(ui, node_type):
    field, bad = MALFORMED[node_type]
    node = ui.add_node(node_type, pos=(420, 80))
    ui.js(
        """(id) => {
            const n = window.app.graph.getNodeById(id);
            const load = window.LiteGraph.createNode('LoadImage');
            load.pos = [20, 80];
            window.app.graph.add(load);
            load.widgets.find((w) => w.name === 'image').value = 'trackdiff_test_image.png';
            load.connect(0, n, n.inputs.findIndex((i) => i.name === 'image'));
            const preview = window.LiteGraph.createNode('PreviewImage');
            preview.pos = [1100, 80];
            window.app.graph.add(preview);
            n.connect(n.outputs.findIndex((o) => o.name === 'preview'), preview, 0);
        }""",
        node,
    )
    ui.set_widget_value(node, field, bad)
    ui.page.get_by_role("button", name="Run").first.click()
    dialog = ui.page.get_by_role("dialog").filter(has_text="failed validation")
    dialog.wait_for()
    text = dialog.inner_text()
    assert text.count("objects[0].color") == 1, f"one error, shown once:\n{text}"
    assert f"{field}.objects[0].color" in text
    rings = ui.js("(id) => window.app.graph.getNodeById(id).inputs.filter((i) => i.hasErrors).map((i) => i.name)", node)
    assert rings == [field], "only the document's input is marked, not the image slot"


def test_node_search_preview_shows_no_raw_document(ui):
    ui.page.mouse.dblclick(640, 460)  # the graph's empty background: ComfyUI's node search
    ui.page.keyboard.type("Tracklet Editor")
    preview = ui.page.locator("._sb_node_preview, [data-node-id^='preview-']").first
    preview.wait_for()
    text = preview.inner_text()
    assert "tracklets_json" in text and '"version"' not in text and "{" not in text, text
    # The node it adds starts with an empty, valid document.
    ui.page.keyboard.press("Enter")
    ui.page.wait_for_function("() => window.app.graph.nodes.some((n) => n.trackdiffEditor)")
    (node,) = ui.node_ids("TrackletEditor")
    ui.wait_for_editor(node)
    assert json.loads(ui.widget_value(node, "tracklets_json"))["objects"] == []
    assert ui.editor_state(node)["error"] is None

"""The camera layer, numeric entry, static anchors and seeds in the editor component, in a real headless Chromium on
the static test page (no ComfyUI): what a person does, then what Python reads from the document they made."""

from __future__ import annotations

import json

import numpy as np
import pytest

from test_editor_page import BLUE, colour_near, only, screenshot
from trackdiff_core.mask_arrow_document import MaskArrowDocument
from trackdiff_core.tracklet_document import TrackletDocument

PICTURE = (320, 240)  # the test page's picture: the editor's pixels of the first frame


def type_into(editor, field: str, text: str) -> None:
    box = editor.page.locator(f"[data-field={field}]")
    box.fill(text)
    box.press("Enter")
    box.press("Escape")  # leaves the field: the editor's keys work again
    editor.js("() => window.editor.focus()")
    editor.settle()


def camera_of(editor) -> dict:
    return json.loads(editor.value()).get("camera")


def test_camera_pan_and_zoom_compose_with_the_boxes_exactly_as_python(open_editor):
    editor = open_editor("tracklets")
    editor.drag((0.3, 0.3), (0.5, 0.5))
    drawn = editor.value()
    assert "camera" not in json.loads(drawn), "no camera layer until one is made"

    timeline = editor.page.locator("[data-role=timeline]").bounding_box()
    editor.page.mouse.click(timeline["x"] + timeline["width"] - 10, timeline["y"] + 22)  # the camera's row, last frame
    editor.settle()
    assert editor.js("() => [window.editor.cameraActive, window.editor.frame]") == [True, 13]
    editor.drag((0.5, 0.5), (0.4, 0.5))  # pan the scene left on the last frame
    camera = camera_of(editor)
    assert [k["frame"] for k in camera["keyframes"]] == [0, 13], "a still key on frame 0, the pan on frame 13"
    assert camera["keyframes"][1]["pan"] == pytest.approx([-0.1, 0.0], abs=0.004)
    panned = editor.value()
    type_into(editor, "camera-zoom", "1.2")
    assert camera_of(editor)["keyframes"][1]["zoom"] == 1.2, "the typed zoom is stored as typed"
    zoomed = editor.value()
    assert only(TrackletDocument.parse(zoomed).objects).keyframes[0].box == only(TrackletDocument.parse(drawn).objects).keyframes[0].box, \
        "the object stays drawn in scene coordinates"

    # What the model gets: Python and the editor agree on every frame, boxes in screen coordinates.
    doc = TrackletDocument.parse(zoomed)
    python = doc.to_tracklets(14, *PICTURE)
    js = editor.js(f"async () => {{ const m = await import('/js/editor/tracklet_document.js');"
                   f" return m.toTracklets(window.editor.doc, 14, {PICTURE[0]}, {PICTURE[1]}); }}")
    assert np.allclose(np.array(js["boxes"], np.float32), python.boxes, atol=1e-6)
    assert js["visible"] == python.visible.tolist()
    centre = python.boxes[13, 0, [0, 2]].mean()
    assert centre < 0.38, "on screen the box has moved left with the scene"

    editor.press("Control+z")
    assert editor.value() == panned, "undo: the typed zoom goes"
    editor.press("Control+z")
    assert editor.value() == drawn, "undo: the camera pan goes (and its layer with it)"
    editor.press("Control+Shift+z", 2)
    assert editor.value() == zoomed, "redo brings both back"

    editor.press("c")  # leave the camera layer: the panel shows the box again
    editor.press("v")  # preview: what the model gets
    editor.press("ArrowLeft", 3)
    pixels = screenshot(editor, "camera_layer_preview")
    x1, y1, x2, y2 = (float(v) for v in python.boxes[10, 0])
    quarter = y1 + (y2 - y1) / 4  # between the handles
    assert colour_near(pixels, *editor.point(x1, quarter), BLUE), "the box is drawn where the model gets it"
    assert colour_near(pixels, *editor.point(x2, quarter), BLUE)


def test_typed_numbers_are_stored_exactly_and_go_through_undo(open_editor):
    editor = open_editor("tracklets")
    editor.drag((0.3, 0.3), (0.5, 0.5))
    drawn = editor.value()
    type_into(editor, "box-x-px", "64")
    type_into(editor, "box-w-px", "96")
    box = only(TrackletDocument.parse(editor.value()).objects).keyframes[0].box
    assert box[0] == 64 / 320 and box[2] == (64 + 96) / 320, "pixels of the first frame, exactly"
    typed = editor.value()
    type_into(editor, "key-frame", "4")
    obj = only(TrackletDocument.parse(editor.value()).objects)
    assert [k.frame for k in obj.keyframes] == [4] and editor.js("() => window.editor.frame") == 4
    editor.press("k")  # nothing new: frame 4 has its key
    editor.press("End")
    editor.drag((0.35, 0.4), (0.6, 0.4))
    editor.press("Home")
    editor.press("Shift+ArrowRight")  # to the key on frame 4
    editor.page.locator("[data-field=key-interpolation]").select_option("hold")
    editor.js("() => window.editor.focus()")
    obj = only(TrackletDocument.parse(editor.value()).objects)
    assert obj.keyframes[0].interpolation == "hold"
    held = obj.boxes_at(np.array([4.0, 8.0, 12.9]))
    assert np.array_equal(held[0], held[1]) and np.array_equal(held[0], held[2]), "a hold key keeps its box until the next"
    type_into(editor, "x1", "1.5")
    assert "Clamped" in editor.js("() => window.editor.notice.textContent"), "typed values get the drag's checks"
    editor.press("Control+z", 4)  # the typed x1, the key curve, the drag on frame 13, the key's move
    assert editor.value() == typed, "each typed edit is one undo step"
    editor.press("Control+z", 2)
    assert editor.value() == drawn


def test_mask_editor_camera_static_anchors_and_a_moving_object(open_editor):
    editor = open_editor("mask_arrows")
    editor.drag((0.3, 0.4), (0.45, 0.5), steps=12)
    editor.press("a")
    editor.drag((0.36, 0.45), (0.8, 0.3))
    editor.press("Escape")  # nothing selected: the anchor tool adds a point that stays
    editor.press("n")
    editor.click((0.7, 0.8))
    editor.page.locator("[data-field=anchor]").select_option("screen")
    editor.js("() => window.editor.focus()")
    editor.js("() => window.editor.select(0)")
    editor.click((0.8, 0.3))  # the arrow's head: its numbers show
    type_into(editor, "point-x-px", "224")
    editor.press("c")
    editor.press("End")
    editor.drag((0.5, 0.5), (0.5, 0.45))
    type_into(editor, "camera-rotation", "-5")
    typed = editor.value()
    editor.press("Home")  # the still key on frame 0: hold it until the next key
    editor.page.locator("[data-field=camera-key-interpolation]").select_option("hold")
    editor.js("() => window.editor.focus()")
    pan, zoom, rotation = MaskArrowDocument.parse(editor.value()).camera.parameters([12.9])
    assert pan[0].tolist() == [0, 0] and zoom[0] == 1 and rotation[0] == 0, "a held camera key holds until the next"
    editor.press("Control+z")
    assert editor.value() == typed
    doc = MaskArrowDocument.parse(editor.value())
    moving, point = doc.objects
    assert moving.path[-1][0] == 224 / 320 and not moving.is_static
    assert point.shape == "point" and point.anchor == "screen" and point.mask is None
    assert doc.camera.keyframes[-1].rotation == -5.0 and doc.camera.keyframes[-1].pan[1] == pytest.approx(-0.05, abs=0.004)
    # The editor's preview of the point object is where Python says it stays: the screen anchor skips the camera.
    js = editor.js("""async () => { const m = await import('/js/editor/mask_arrow_document.js'); const e = window.editor;
        return [0, 7, 13].map((t) => m.screenPointAt(e.doc, e.doc.objects[1], e.doc.objects[1].path[0], t, 320, 240)); }""")
    assert np.allclose(js, [point.path[0]] * 3)
    editor.press("Control+z")
    assert MaskArrowDocument.parse(editor.value()).camera.keyframes[-1].rotation == 0.0, "undo covers typed camera keys"


def test_a_seed_is_adopted_into_an_empty_editor_and_offered_to_a_drawn_one(open_editor):
    seed = {"version": 1, "kind": "tracklets", "frame_count": 25, "objects": [
        {"id": 0, "label": "car", "color": "#d62728", "interpolation": "linear",
         "keyframes": [{"frame": 0, "box": [0.1, 0.2, 0.3, 0.4]}, {"frame": 24, "box": [0.5, 0.2, 0.7, 0.4]}]}],
        "camera": {"version": 1, "keyframes": [{"frame": 0}, {"frame": 24, "pan": [-0.2, 0.0]}]}}
    text = TrackletDocument.parse(seed).dumps()
    editor = open_editor("tracklets")
    empty = editor.value()
    assert editor.js("(t) => window.editor.offerSeed(t)", text) is True
    assert TrackletDocument.parse(editor.value()) == TrackletDocument.parse(text)
    editor.js("() => window.editor.focus()")
    editor.press("End")
    editor.drag((0.6, 0.3), (0.6, 0.5))  # the seed stays editable: a keyframe moves
    edited = TrackletDocument.parse(editor.value())
    assert edited.objects[0].keyframes[1].box[1] == pytest.approx(0.4, abs=0.004)
    editor.press("Control+z")
    editor.press("Control+z")
    assert editor.value() == empty, "adopting the seed was one undo step"

    editor.drag((0.2, 0.2), (0.3, 0.3))
    mine = editor.value()
    editor.js("(t) => window.editor.offerSeed(t)", text)
    assert editor.value() == mine, "a drawing is never replaced without asking"
    editor.page.locator("[data-role=use-seed]").click()
    assert TrackletDocument.parse(editor.value()) == TrackletDocument.parse(text)
    assert not editor.page.locator("[data-role=use-seed]").is_visible()


def test_a_document_file_loads_through_the_json_view_as_one_edit(open_editor, tmp_path):
    doc = {"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [
        {"id": 2, "label": "pin", "color": "#2ca02c", "path": [[0.25, 0.5]], "shape": "point", "anchor": "scene"}],
        "camera": {"version": 1, "center": [0.4, 0.5], "keyframes": [{"frame": 0}, {"frame": 13, "zoom": 1.5}]}}
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(doc))
    editor = open_editor("mask_arrows")
    empty = editor.value()
    editor.page.get_by_role("button", name="{ }").click()
    editor.page.locator(".td-json input[type=file]").set_input_files(str(path))
    editor.page.wait_for_function("() => window.editor.doc.objects.length === 1")
    assert MaskArrowDocument.parse(editor.value()) == MaskArrowDocument.parse(doc)
    editor.js("() => window.editor.focus()")
    editor.press("Control+z")
    assert editor.value() == empty


def test_a_document_pasted_into_the_editor_replaces_it_as_one_edit(open_editor):
    doc = {"version": 1, "kind": "tracklets", "frame_count": 9, "objects": [
        {"id": 0, "color": "#1f77b4", "keyframes": [{"frame": 0, "box": [0.1, 0.1, 0.4, 0.5]}]}],
        "camera": {"version": 1, "keyframes": [{"frame": 8, "rotation": 12.5}]}}
    editor = open_editor("tracklets")
    empty = editor.value()
    paste = """(text) => { const data = new DataTransfer(); data.setData('text/plain', text);
        window.editor.keys.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})); }"""
    editor.js(paste, json.dumps(doc))
    editor.settle()
    assert TrackletDocument.parse(editor.value()) == TrackletDocument.parse(doc)
    editor.js(paste, '{"version": 1, "kind": "mask_arrows", "frame_count": 9, "objects": []}')
    assert TrackletDocument.parse(editor.value()) == TrackletDocument.parse(doc), "a document of the other kind is refused"
    assert "kind" in editor.js("() => window.editor.notice.textContent")
    editor.js("() => window.editor.focus()")
    editor.press("Control+z")
    assert editor.value() == empty


def test_a_camera_estimated_from_a_video_opens_in_the_camera_layer_and_can_be_edited(open_editor):
    """Tracks From Video's box document (a square moving over a panning background) seeds the editor: the estimated
    camera is the editor's camera layer, gives the boxes the video shows, and a key typed on it is kept."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
    from moving_square_clips import moving_square

    from trackdiff_core.motion.seed_documents import seed_documents
    from trackdiff_core.motion.video_motion import motion_from_video

    clip = moving_square(frames=12, width=160, height=96, camera_step=3.0)
    motion = motion_from_video(clip.frames, clip.mask[None], points_per_object=16, frame_count=12, width=160,
                               height=96)
    boxes_text, _ = seed_documents(motion)
    seeded = TrackletDocument.parse(boxes_text)
    assert seeded.camera is not None, "the estimated camera travels in the document"
    editor = open_editor("tracklets")
    assert editor.js("(t) => window.editor.offerSeed(t)", boxes_text) is True
    opened = TrackletDocument.parse(editor.value())
    assert opened == seeded, "the editor opens exactly the estimated document"
    last = opened.camera.keyframes[-1]
    assert last.pan[0] * 160 == pytest.approx(-3.0 * 11, abs=1.5), "the camera pans as the video does"
    # What the editor shows on the last frame is where the square is in the video (boxes in screen pixels).
    shown = editor.js("async () => { const m = await import('/js/editor/tracklet_document.js');"
                      " return m.toTracklets(window.editor.doc, 12, 160, 96); }")
    x1, y1, x2, y2 = np.array(shown["boxes"], np.float64)[-1, 0] * [160, 96, 160, 96]
    tx1, ty1, tx2, ty2 = clip.boxes[-1]
    assert ((x1 + x2) / 2, (y1 + y2) / 2) == pytest.approx(((tx1 + tx2) / 2, (ty1 + ty2) / 2), abs=3.0)

    # Edit the estimated camera: select its last key on the timeline's camera row and type a zoom.
    timeline = editor.page.locator("[data-role=timeline]").bounding_box()
    editor.page.mouse.click(timeline["x"] + timeline["width"] - 10, timeline["y"] + 22)
    editor.settle()
    assert editor.js("() => window.editor.cameraActive") is True
    type_into(editor, "camera-zoom", "1.25")
    edited = TrackletDocument.parse(editor.value())
    assert edited.camera.keyframes[-1].zoom == 1.25 and edited.camera.keyframes[-1].pan == last.pan
    assert edited.objects == opened.objects, "editing the camera leaves the tracked boxes as they were"
    editor.press("Control+z")
    assert TrackletDocument.parse(editor.value()) == seeded, "undo gives the estimated camera back"

"""The editor component in a real headless Chromium, mounted on a static page (no ComfyUI): runs in CI.

What a person does: draw, drag a handle, key frame 7, undo and redo, resize the window; the JSON is what Python reads
and the pixels on screen are where Python says the boxes are.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np
import pytest

from trackdiff_core.mask_arrow_document import MaskArrowDocument
from trackdiff_core.tracklet_document import TrackletDocument

BLUE = (31, 119, 180)  # palette colour of object 0, "#1f77b4"
SHOTS = Path(__file__).resolve().parent / "screenshots"


def screenshot(editor, name: str) -> np.ndarray:
    """The page as RGB pixels; also written to tests/browser/screenshots/ (ignored by git) to look at."""
    data = editor.page.screenshot()
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(data)
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return bgr[:, :, ::-1].astype(int)


def colour_near(pixels: np.ndarray, x: float, y: float, colour, radius: int = 2, tolerance: int = 45) -> bool:
    xi, yi = int(round(x)), int(round(y))
    patch = pixels[max(0, yi - radius): yi + radius + 1, max(0, xi - radius): xi + radius + 1]
    return bool((np.abs(patch - np.array(colour)).sum(axis=-1) <= tolerance).any())


def box_edges_drawn(editor, pixels, box) -> None:
    """The outline of `box` (normalised) is drawn in the object's colour: check the middle of each edge."""
    x1, y1, x2, y2 = (float(v) for v in box)
    for nx, ny in [(x1, (y1 + y2) / 2 + 0.03), (x2, (y1 + y2) / 2 + 0.03), ((x1 + x2) / 2 + 0.03, y2)]:
        assert colour_near(pixels, *editor.point(nx, ny), BLUE), f"no box edge on screen at {nx:.3f}, {ny:.3f}"


def only(objects):
    assert len(objects) == 1
    return objects[0]


def test_box_editor_draw_drag_keyframe_undo_redo_resize(open_editor):
    editor = open_editor("tracklets")
    editor.drag((0.2, 0.3), (0.5, 0.6))
    obj = only(TrackletDocument.parse(editor.value()).objects)
    assert [k.frame for k in obj.keyframes] == [0]
    assert obj.keyframes[0].box == pytest.approx((0.2, 0.3, 0.5, 0.6), abs=0.004)
    drawn = editor.value()

    editor.drag((0.5, 0.6), (0.6, 0.7))  # the bottom-right handle of the selected box
    obj = only(TrackletDocument.parse(editor.value()).objects)
    assert obj.keyframes[0].box == pytest.approx((0.2, 0.3, 0.6, 0.7), abs=0.004)
    resized = editor.value()

    editor.press("ArrowRight", 7)
    assert editor.js("() => window.editor.frame") == 7
    editor.drag((0.4, 0.5), (0.5, 0.55))  # move the box on frame 7: a keyframe appears there
    doc = TrackletDocument.parse(editor.value())
    obj = only(doc.objects)
    assert [k.frame for k in obj.keyframes] == [0, 7]
    assert obj.keyframes[1].box == pytest.approx((0.3, 0.35, 0.7, 0.75), abs=0.004)
    keyed = editor.value()

    # In between, the editor draws exactly what Python computes.
    python = doc.to_tracklets().boxes[:, 0]
    js_boxes = np.array(editor.js(
        "async () => { const m = await import('/js/editor/tracklet_document.js');"
        " return m.toTracklets(window.editor.doc).boxes.map((f) => f[0]); }"))
    assert np.array_equal(js_boxes.astype(np.float32), python)

    editor.press("Control+z")
    assert editor.value() == resized, "undo removes the keyframe move"
    editor.press("Control+z")
    assert editor.value() == drawn, "undo again: the handle drag is undone"
    editor.press("Control+Shift+z")
    editor.press("Control+y")
    assert editor.value() == keyed, "redo (Ctrl+Shift+Z, Ctrl+Y) brings both back"
    changes = editor.js("() => window.changes.length")

    pixels = screenshot(editor, "boxes_frame7")
    box_edges_drawn(editor, pixels, python[7])
    before = editor.point(0.5, 0.5)
    editor.page.set_viewport_size({"width": 560, "height": 820})
    editor.page.wait_for_function("([x]) => { const e = window.editor; return e.canvas.getBoundingClientRect().width < 560; }", arg=[0])
    editor.settle()
    assert editor.point(0.5, 0.5) != before
    assert editor.value() == keyed and editor.js("() => window.changes.length") == changes, "resizing edits nothing"
    editor.press("Home")
    editor.press("ArrowRight", 3)
    pixels = screenshot(editor, "boxes_frame3_resized")
    box_edges_drawn(editor, pixels, python[3])


def test_box_editor_clamps_and_says_so(open_editor):
    editor = open_editor("tracklets")
    editor.drag((0.7, 0.7), (0.9, 0.9))
    editor.drag((0.8, 0.8), (1.2, 0.85))  # drag the box past the right edge
    obj = only(TrackletDocument.parse(editor.value()).objects)
    x1, _, x2, _ = obj.keyframes[0].box
    assert x2 == 1.0 and x2 - x1 == pytest.approx(0.2, abs=0.004), "moved to the edge, size kept"
    assert "Clamped" in editor.js("() => window.editor.notice.textContent")
    assert editor.js("() => window.editor.notice.classList.contains('td-show')")


def test_box_editor_typed_numbers_and_shift_click(open_editor):
    editor = open_editor("tracklets", "&bg=0")
    editor.click((0.5, 0.5), modifiers=["Shift"])
    field = editor.page.locator("[data-field=x1]")
    field.fill("0.125")
    field.press("Enter")
    editor.settle()
    obj = only(TrackletDocument.parse(editor.value()).objects)
    assert obj.keyframes[0].box[0] == 0.125, "typed numbers are stored as typed"
    assert obj.keyframes[0].box == pytest.approx((0.125, 0.4, 0.6, 0.6), abs=0.004)
    label = editor.page.locator("[data-field=label]")
    label.fill("car")
    label.press("Enter")
    assert only(TrackletDocument.parse(editor.value()).objects).label == "car"


def test_mask_editor_stroke_arrow_path_undo_redo_resize(open_editor):
    editor = open_editor("mask_arrows")
    editor.drag((0.3, 0.4), (0.45, 0.5), steps=12)  # a brush stroke makes an object with a mask
    obj = only(MaskArrowDocument.parse(editor.value()).objects)
    mask = obj.decoded_mask()
    h, w = mask.shape
    assert mask[int(0.45 * h), int(0.375 * w)] and not mask[int(0.8 * h), int(0.8 * w)]
    painted = editor.value()

    editor.press("a")  # arrow tool
    editor.drag((0.36, 0.45), (0.8, 0.3))
    obj = only(MaskArrowDocument.parse(editor.value()).objects)
    assert np.allclose(obj.path, [(0.36, 0.45), (0.8, 0.3)], atol=0.004)
    arrow = editor.value()
    editor.click((0.8, 0.7), modifiers=["Shift"])  # Shift+click: one more path point
    obj = only(MaskArrowDocument.parse(editor.value()).objects)
    assert len(obj.path) == 3 and obj.path[2] == pytest.approx((0.8, 0.7), abs=0.004)
    pathed = editor.value()

    editor.press("ArrowRight", 7)
    editor.press("Control+z")
    assert editor.value() == arrow
    editor.press("Control+z")
    assert editor.value() == painted
    editor.press("Control+Shift+z", 2)
    assert editor.value() == pathed

    pixels = screenshot(editor, "mask_arrow_frame7")
    mid = editor.point(0.58, 0.375)  # on the first segment of the arrow
    assert colour_near(pixels, *mid, BLUE), "the arrow is drawn"
    editor.page.set_viewport_size({"width": 600, "height": 760})
    editor.page.wait_for_function("() => window.editor.canvas.getBoundingClientRect().width < 600")
    editor.settle()
    assert editor.value() == pathed
    pixels = screenshot(editor, "mask_arrow_resized")
    assert colour_near(pixels, *editor.point(0.58, 0.375), BLUE), "still on the arrow after the resize"
    # The sampled points have moved along the path on frame 7: white-cored dots exist away from the mask.
    assert editor.js("() => window.editor.frame") == 7


def test_malformed_document_shows_an_error_and_reset_recovers(open_editor):
    bad = '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", "keyframes": []}]}'
    editor = open_editor("tracklets", "&value=" + quote(bad))
    assert editor.page.locator(".td-error.td-show").is_visible()
    message = editor.page.locator("[data-role=error-message]").inner_text()
    assert "objects[0].keyframes" in message and "at least one keyframe" in message
    assert editor.value() == bad, "the stored text is kept until the person decides"
    editor.page.get_by_role("button", name="Reset editor").click()
    assert json.loads(editor.value())["objects"] == []
    assert not editor.page.locator(".td-error.td-show").is_visible()


def test_shortcuts_stay_inside_the_editor(open_editor):
    editor = open_editor("tracklets")
    editor.js("() => { window.seen = []; window.addEventListener('keydown', (e) => "
              "{ if (!['Control', 'Shift', 'Meta'].includes(e.key)) window.seen.push(e.key); }); }")
    editor.drag((0.2, 0.2), (0.4, 0.4))
    editor.press("Control+z")
    editor.press("Delete")  # nothing selected now: still the editor's key, never the host's (ComfyUI: delete node)
    editor.press("Control+s")  # not the editor's: the host still gets it
    assert editor.js("() => window.seen") == ["s"]
    assert editor.js("() => document.activeElement.tagName") == "INPUT", "focus sits in a text field, which hosts respect"

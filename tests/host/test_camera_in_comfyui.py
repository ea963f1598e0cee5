"""The camera layer on a real ComfyUI: a document with an object arrow and a camera pan + zoom, queued through Mask
Arrow To Trajectories → Tracks For Wan-Move → Wan-Move on the tiny Wan 2.1; a static anchor through Tracks For ATI;
and the editors' seed documents (a seed with a camera gives what the same document in the widget gives)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from test_wan_in_comfyui import H, LENGTH, W, _conditioning_prompt, wan_files  # noqa: F401 (a fixture)
from trackdiff_core.masks import rle_encode

PAN, ZOOM = (0.1, -0.05), 1.25
CAMERA = {"version": 1, "center": [0.5, 0.5], "interpolation": "linear", "keyframes": [
    {"frame": 0, "pan": [0.0, 0.0], "zoom": 1.0, "rotation": 0.0},
    {"frame": LENGTH - 1, "pan": list(PAN), "zoom": ZOOM, "rotation": 0.0}]}
BALL = (20, 20, 36, 36)  # x0, y0, x1, y1 pixels of the painted mask at W × H


def ball_mask() -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[BALL[1]:BALL[3], BALL[0]:BALL[2]] = True
    return mask


def mask_document(camera=CAMERA, objects=None) -> str:
    if objects is None:
        objects = [{"id": 0, "label": "ball", "color": "#e6194b", "mask": rle_encode(ball_mask()),
                    "path": [[0.3, 0.45], [0.5, 0.55]], "timing": "linear"}]
    doc = {"version": 1, "kind": "mask_arrows", "frame_count": LENGTH, "objects": objects}
    if camera is not None:
        doc["camera"] = camera
    return json.dumps(doc)


def box_document(camera=CAMERA) -> str:
    doc = {"version": 1, "kind": "tracklets", "frame_count": LENGTH, "objects": [
        {"id": 0, "label": "car", "color": "#1f77b4",
         "keyframes": [{"frame": 0, "box": [0.2, 0.3, 0.35, 0.5]},
                       {"frame": LENGTH - 1, "box": [0.5, 0.4, 0.65, 0.6]}]}]}
    if camera is not None:
        doc["camera"] = camera
    return json.dumps(doc)


EMPTY_MASKS = json.dumps({"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": []})
EMPTY_BOXES = json.dumps({"version": 1, "kind": "tracklets", "frame_count": 14, "objects": []})


def exact(points, frame):
    """The camera's screen-from-scene transform of pixel ``points`` at ``frame``, written out from the contract."""
    u = frame / (LENGTH - 1)
    centre = np.array([W / 2, H / 2])
    return centre + np.array(PAN) * u * (W, H) + (1 + (ZOOM - 1) * u) * (np.asarray(points, float) - centre)


def mask_arrows(document: str, seed: str | None = None, **inputs) -> dict:
    node = {"class_type": "MaskArrowToTrajectories", "inputs": {
        "mask_arrows_json": document, "frame_count": LENGTH, "K": 2, "s": 2, "point_seed": 0, "timing": "linear",
        "width": W, "height": H, "mask_layout": "one_per_object", **inputs}}
    if seed is not None:
        node["inputs"]["seed_document"] = ["seed", 0]
    return node


def seed_node(text: str) -> dict:
    return {"class_type": "PrimitiveString", "inputs": {"value": text}}


def reported(outputs: dict, node: str = "r") -> tuple[np.ndarray, np.ndarray]:
    report = outputs[node]["trackdiff_tracks"][0]
    return np.asarray(report["path"]), np.asarray(report["visible"])


def wan_move(source: str) -> dict:
    return {"class_type": "TracksForWanMove", "inputs": {"width": W, "height": H, "length": LENGTH,
                                                         "points_per_box": 4, "tracklets" if source == "editor"
                                                         else "tracks": [source, 0]}}


def test_an_arrow_under_a_camera_reaches_wan_move_as_the_exact_composition(comfy_server, wan_files):
    # The scene motion alone: the same drawing without the camera layer.
    report = {"class_type": "TrackDiffTestTracks", "inputs": {"tracks": ["tracks", 0]}}
    scene, _ = reported(comfy_server.run({"n": mask_arrows(mask_document(camera=None)), "tracks": wan_move("n"),
                                          "r": report}))
    assert scene.shape == (LENGTH, 4, 2)
    assert np.linalg.norm(scene[-1] - scene[0], axis=-1).min() > 10  # the arrow moves the ball on its own

    wan = {"class_type": "WanMoveTrackToVideo", "inputs": {"strength": 1.0}}
    prompt = _conditioning_prompt(wan_files, wan, "tracks")
    prompt.update({"n": mask_arrows(mask_document()), "tracks": wan_move("n"), "r": report})
    outputs = comfy_server.run(prompt)
    path, visible = reported(outputs)
    objects, background = path[:, :4], path[:, 4:]
    for frame in range(LENGTH):  # object points: the arrow, then the camera, within half a pixel
        assert np.abs(objects[frame] - exact(scene[frame], frame)).max() <= 0.5
    # the background: the default grid (8 cells along the 64 px side: 12 × 8 points, 8 px apart) outside the ball,
    # each point moved by the camera alone, hidden once the camera has taken it out of the frame
    grid = np.stack(np.meshgrid(np.arange(12) * 8 + 4.0, np.arange(8) * 8 + 4.0), axis=-1).reshape(-1, 2)
    in_ball = (grid[:, 0] >= BALL[0]) & (grid[:, 0] < BALL[2]) & (grid[:, 1] >= BALL[1]) & (grid[:, 1] < BALL[3])
    np.testing.assert_allclose(background[0], grid[~in_ball], atol=1e-3)
    for frame in range(LENGTH):
        want = exact(background[0], frame)
        assert np.abs(background[frame] - want).max() <= 0.5
        inside = ((want >= 0) & (want <= (W, H))).all(axis=1)
        np.testing.assert_array_equal(visible[frame, 4:], inside)
    report = outputs["probe"]["trackdiff_concat"][0]  # and Wan-Move took them: its image condition changed
    assert not np.allclose(report["tracked"], report["plain"])


def test_background_points_can_be_left_out(comfy_server):
    prompt = {"n": mask_arrows(mask_document(), background_grid=0), "tracks": wan_move("n"),
              "r": {"class_type": "TrackDiffTestTracks", "inputs": {"tracks": ["tracks", 0]}}}
    path, _ = reported(comfy_server.run(prompt))
    assert path.shape == (LENGTH, 4, 2)


def test_a_static_point_anchor_reaches_ati_as_a_track_that_stays(comfy_server, wan_files):
    anchor = [{"id": 0, "label": "pin", "color": "#4363d8", "shape": "point", "path": [[0.3, 0.6]]},
              {"id": 1, "label": "ball", "color": "#e6194b", "mask": rle_encode(ball_mask()),
               "path": [[0.3, 0.45]], "anchor": "scene"}]
    ati = {"class_type": "WanTrackToVideo", "inputs": {"temperature": 20.0, "topk": 2}}
    prompt = _conditioning_prompt(wan_files, ati, "tracks")
    prompt.update({"n": mask_arrows(mask_document(camera=None, objects=anchor)),
                   "tracks": {"class_type": "TracksForATI", "inputs": {"width": W, "height": H, "length": LENGTH,
                                                                       "points_per_box": 4, "tracks": ["n", 0]}},
                   "text": {"class_type": "PreviewAny", "inputs": {"source": ["tracks", 0]}}})
    outputs = comfy_server.run(prompt)
    tracks = json.loads(outputs["text"]["text"][0])
    assert len(tracks) == 1 + 4 and all(len(t) == 121 for t in tracks)
    pin = np.array([[p["x"], p["y"]] for p in tracks[0]])
    assert np.abs(pin - [0.3 * W, 0.6 * H]).max() <= 0.5  # the point anchor stays where it was put
    for track in tracks[1:]:  # the anchored ball's points stay too
        xy = np.array([[p["x"], p["y"]] for p in track])
        assert np.abs(xy - xy[0]).max() <= 0.5
    report = outputs["probe"]["trackdiff_concat"][0]
    assert np.array(report["tracked"]).shape == np.array(report["plain"]).shape  # ATI ran on them


# -- seeds ------------------------------------------------------------------------------------------------------------
def box_editor(document: str, seed: str | None = None) -> dict:
    node = {"class_type": "TrackletEditor", "inputs": {"tracklets_json": document}}
    if seed is not None:
        node["inputs"]["seed_document"] = ["seed", 0]
    return node


def run_editor(server, editor: dict, seed: str | None) -> tuple[np.ndarray, dict]:
    prompt = {"editor": editor, "tracks": wan_move("editor" if editor["class_type"] == "TrackletEditor" else "n"),
              "r": {"class_type": "TrackDiffTestTracks", "inputs": {"tracks": ["tracks", 0]}}}
    if editor["class_type"] != "TrackletEditor":
        prompt["n"] = prompt.pop("editor")
    if seed is not None:
        prompt["seed"] = seed_node(seed)
    outputs = server.run(prompt)
    return reported(outputs)[0], outputs.get("editor", outputs.get("n", {}))


@pytest.mark.parametrize("kind", ["boxes", "masks"])
def test_a_seed_with_a_camera_gives_what_the_same_document_in_the_widget_gives(comfy_server, kind):
    document, empty, make = ((box_document(), EMPTY_BOXES, box_editor) if kind == "boxes"
                             else (mask_document(), EMPTY_MASKS, mask_arrows))
    in_widget, widget_ui = run_editor(comfy_server, make(document), None)
    seeded, seeded_ui = run_editor(comfy_server, make(empty, seed=document), document)
    np.testing.assert_array_equal(seeded, in_widget)
    assert in_widget.shape[1] > 4  # the camera's background points came with the seed
    assert "trackdiff_seed" not in widget_ui
    adopted = json.loads(seeded_ui["trackdiff_seed"][0])  # the widget gets the seed back to adopt it
    assert adopted["camera"] == CAMERA and len(adopted["objects"]) == 1


@pytest.mark.parametrize("kind", ["boxes", "masks"])
def test_a_drawn_editor_keeps_its_own_document_over_the_seed(comfy_server, kind):
    document, other, make = ((box_document(camera=None), box_document(), box_editor) if kind == "boxes"
                             else (mask_document(camera=None), mask_document(), mask_arrows))
    alone, _ = run_editor(comfy_server, make(document), None)
    with_seed, ui = run_editor(comfy_server, make(document, seed=other), other)
    np.testing.assert_array_equal(with_seed, alone)
    assert "trackdiff_seed" not in ui


def test_a_seed_of_the_wrong_kind_is_refused_naming_the_input(comfy_server):
    prompt = {"editor": box_editor(EMPTY_BOXES, seed=mask_document()), "seed": seed_node(mask_document()),
              "tracks": wan_move("editor"),
              "r": {"class_type": "TrackDiffTestTracks", "inputs": {"tracks": ["tracks", 0]}}}
    with pytest.raises(Exception, match=r'seed_document\.kind: must be \\?"tracklets\\?"'):
        comfy_server.run(prompt)


def test_the_adapter_density_note_ignores_the_background_grid(pack, caplog):
    """ApplyTrackAdapter warns when objects carry another number of points than the adapter's K·s; the camera's
    background group is a grid, not an object, and must not trigger it."""
    import importlib
    import logging

    nodes = importlib.import_module(pack.__name__ + ".nodes.trackgo_nodes")
    inputs = importlib.import_module(pack.__name__ + ".trackdiff_core.trackgo.inputs")
    document = importlib.import_module(pack.__name__ + ".trackdiff_core.mask_arrow_document")
    built = inputs.build_objects(document.MaskArrowDocument.parse(mask_document()), points_k=2, points_s=2,
                                 frame_count=LENGTH, width=W, height=H)
    tracks = built.to_tracks()
    assert len(tracks["trackdiff_objects"]) == 2 and tracks["trackdiff_objects"][1]["background"]
    with caplog.at_level(logging.WARNING):
        nodes._note_point_density(tracks, 4)
    assert "points per object" not in caplog.text
    with caplog.at_level(logging.WARNING):
        nodes._note_point_density(tracks, 8)
    assert "[4] points per object" in caplog.text


def test_saved_labels_are_the_screen_boxes_the_camera_makes(comfy_server):
    """Tracklet Editor (box + camera pan and zoom) → Save Tracklet Labels: the labels are where the target sees the
    box, the drawn box moved by the camera (a 96 × 64 image, so a rotation-free camera is exact in pixels)."""
    import comfy_host
    from trackdiff_core.formats.mot import read_mot

    prompt = {"editor": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": box_document(),
                                                                    "image": ["image", 0]}},
              "image": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
              "video": {"class_type": "RepeatImageBatch", "inputs": {"image": ["image", 0], "amount": LENGTH}},
              "save": {"class_type": "SaveTrackletLabels", "inputs": {"tracklets": ["editor", 0], "images": ["video", 0],
                                                                       "filename_prefix": "labels/camera"}}}
    comfy_server.run(prompt)
    written = sorted((comfy_server.base / "output" / "labels").glob("camera_*.mot.txt"))
    labels = read_mot(written[-1].read_text(), W, H, num_frames=LENGTH)
    drawn = np.array([[0.2, 0.3, 0.35, 0.5], [0.5, 0.4, 0.65, 0.6]]) * (W, H, W, H)  # first and last keyframe
    for frame in range(LENGTH):
        box = drawn[0] + frame / (LENGTH - 1) * (drawn[1] - drawn[0])
        corners = exact([box[:2], box[2:]], frame)
        want = np.clip([*corners.min(0), *corners.max(0)], 0, [W, H, W, H])
        np.testing.assert_allclose(labels.boxes[frame, 0] * (W, H, W, H), want, atol=0.5)  # MOT stores 0.01 px

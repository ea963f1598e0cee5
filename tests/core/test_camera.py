"""The camera layer: its math (pan, zoom, rotation about a centre, timing curves), its parsing, and documents with and
without a camera."""

import json

import numpy as np
import pytest

from core_builders import box_document
from trackdiff_core import TrackDiffError, TrackletDocument
from trackdiff_core.camera import (
    Camera,
    CameraKey,
    apply_to_points,
    normalized_matrices,
    parse_camera,
    pixel_matrices,
    transform_boxes,
)
from trackdiff_core.mask_arrow_document import MaskArrowDocument
from trackdiff_core.timing import TIMINGS, ease

W, H = 640, 360


def camera(*keys, center=(0.5, 0.5), interpolation="linear"):
    return parse_camera({"version": 1, "center": list(center), "interpolation": interpolation, "keyframes": list(keys)},
                        "camera", 14)


def exact(point, pan=(0.0, 0.0), zoom=1.0, degrees=0.0, center=(0.5, 0.5), size=(W, H)):
    """The contract's formula, written out by hand for one point in pixels."""
    c = np.array(center) * size
    a = np.deg2rad(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return c + np.array(pan) * size + zoom * rot @ (np.array(point, dtype=float) - c)


def moved(cam, point, position):
    return apply_to_points(cam.matrices([position], W, H), np.array([point], dtype=float))[0, 0]


# -- the math, as a person sets up a camera ---------------------------------------------------------------------------
def test_a_camera_that_does_nothing_is_the_identity():
    cam = camera({"frame": 0})
    assert cam.is_identity
    np.testing.assert_array_equal(cam.matrices([0.0, 5.5, 13.0], W, H), np.broadcast_to(np.eye(3), (3, 3, 3)))


def test_a_pure_pan_moves_every_point_by_the_pan_in_pixels():
    cam = camera({"frame": 0}, {"frame": 13, "pan": [-0.1, 0.25]})
    assert not cam.is_identity
    for point in ([0, 0], [320, 180], [639, 10]):
        np.testing.assert_allclose(moved(cam, point, 13), np.array(point) + [-64, 90], atol=1e-9)
    np.testing.assert_allclose(moved(cam, [100, 100], 6.5), [100 - 32, 100 + 45], atol=1e-9)  # halfway: half the pan


def test_zoom_about_the_centre_keeps_the_centre_and_scales_distances():
    cam = camera({"frame": 0, "zoom": 2.0})
    np.testing.assert_allclose(moved(cam, [320, 180], 0), [320, 180], atol=1e-9)
    np.testing.assert_allclose(moved(cam, [420, 130], 0), [520, 80], atol=1e-9)
    off_centre = camera({"frame": 0, "zoom": 2.0}, center=(0.0, 0.0))
    np.testing.assert_allclose(moved(off_centre, [10, 20], 0), [20, 40], atol=1e-9)


def test_a_positive_rotation_turns_content_clockwise_on_screen():
    cam = camera({"frame": 0, "rotation": 90.0})
    # y points down: a point to the right of the centre goes below it (clockwise as seen on screen).
    np.testing.assert_allclose(moved(cam, [420, 180], 0), [320, 280], atol=1e-9)
    np.testing.assert_allclose(moved(cam, [320, 80], 0), [420, 180], atol=1e-9)


def test_composition_is_the_exact_transform_at_every_position():
    cam = camera({"frame": 0}, {"frame": 13, "pan": [-0.1, 0.05], "zoom": 1.2, "rotation": 5.0}, center=(0.4, 0.6))
    rng = np.random.default_rng(0)
    points = rng.uniform([0, 0], [W, H], size=(20, 2))
    positions = np.linspace(0, 13, 27)
    got = apply_to_points(cam.matrices(positions, W, H), points)
    for f, t in enumerate(positions):
        u = t / 13
        want = [exact(p, (-0.1 * u, 0.05 * u), 1 + 0.2 * u, 5 * u, (0.4, 0.6)) for p in points]
        np.testing.assert_allclose(got[f], want, atol=1e-6)


@pytest.mark.parametrize("curve", TIMINGS)
def test_keys_interpolate_with_each_timing_curve(curve):
    cam = camera({"frame": 2, "pan": [0.0, 0.0], "zoom": 1.0, "rotation": 0.0, "interpolation": curve},
                 {"frame": 10, "pan": [0.2, -0.1], "zoom": 3.0, "rotation": -30.0})
    positions = np.array([0.0, 2.0, 3.0, 5.5, 9.0, 9.999, 10.0, 13.0])
    pan, zoom, rotation = cam.parameters(positions)
    w = ease(np.clip((positions - 2.0) / 8.0, 0, 1), curve)
    np.testing.assert_allclose(pan, w[:, None] * [0.2, -0.1], atol=1e-12)
    np.testing.assert_allclose(zoom, 1.0 + 2.0 * w, atol=1e-12)
    np.testing.assert_allclose(rotation, -30.0 * w, atol=1e-12)
    assert zoom[0] == 1.0 and zoom[-1] == 3.0  # the first key holds before it, the last after it


def test_a_key_curve_overrides_the_cameras_and_the_cameras_is_the_default():
    cam = camera({"frame": 0}, {"frame": 4, "zoom": 2.0, "interpolation": "linear"}, {"frame": 8, "zoom": 3.0},
                 interpolation="hold")
    _, zoom, _ = cam.parameters([2.0, 3.99, 4.0, 6.0, 8.0])
    # segment 0 starts at key 0 (no curve of its own: the camera's hold), segment 1 at key 1 (linear)
    np.testing.assert_allclose(zoom, [1.0, 1.0, 2.0, 2.5, 3.0])


def test_normalised_matrices_match_pixel_ones_and_pan_zoom_do_not_depend_on_the_size():
    cam = camera({"frame": 0}, {"frame": 13, "pan": [0.1, -0.2], "zoom": 1.5})
    a = normalized_matrices(cam.matrices([0, 7, 13], W, H), W, H)
    b = normalized_matrices(cam.matrices([0, 7, 13], 100, 900), 100, 900)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(pixel_matrices(a, W, H), cam.matrices([0, 7, 13], W, H), atol=1e-9)


def test_boxes_become_the_bounds_of_their_moved_corners_and_hide_when_they_leave():
    cam = camera({"frame": 0, "rotation": 45.0}, center=(0.5, 0.5))
    square = W / H  # a box that is square in pixels
    box = np.array([[[0.5 - 0.1 / square, 0.4, 0.5 + 0.1 / square, 0.6]]])
    bounds, on_screen = transform_boxes(normalized_matrices(cam.matrices([0], W, H), W, H), box)
    half = 36 * np.sqrt(2)  # a 72 px square turned 45 degrees spans its diagonal
    np.testing.assert_allclose(bounds[0, 0] * [W, H, W, H], [320 - half, 180 - half, 320 + half, 180 + half], atol=1e-3)
    assert on_screen.all()
    pan = camera({"frame": 0}, {"frame": 13, "pan": [0.5, 0.0]})
    boxes = np.array([[[0.7, 0.1, 0.9, 0.3]]] * 3)
    bounds, on_screen = transform_boxes(normalized_matrices(pan.matrices([0, 6.5, 13], W, H), W, H), boxes)
    np.testing.assert_allclose(bounds[1, 0], [0.95, 0.1, 1.0, 0.3], atol=1e-6)  # half way: clipped to the frame
    np.testing.assert_array_equal(on_screen[:, 0], [True, True, False])  # fully outside at the end: hidden
    np.testing.assert_allclose(bounds[2, 0], [1.0, 0.1, 1.0, 0.3], atol=1e-6)  # on the edge it left by


# -- parsing ----------------------------------------------------------------------------------------------------------
GOOD = {"version": 1, "center": [0.5, 0.5], "interpolation": "linear",
        "keyframes": [{"frame": 0, "pan": [0.0, 0.0], "zoom": 1.0, "rotation": 0.0},
                      {"frame": 13, "pan": [-0.1, 0.0], "zoom": 1.2, "rotation": 5.0, "interpolation": "ease_in"}]}


def test_the_contract_example_parses_and_round_trips():
    cam = parse_camera(GOOD, "camera", 14)
    assert cam.keyframes[1] == CameraKey(13, (-0.1, 0.0), 1.2, 5.0, "ease_in")
    assert cam.to_json() == GOOD
    assert parse_camera(json.loads(json.dumps(cam.to_json())), "camera", 14) == cam


def test_keys_are_sorted_and_pan_zoom_rotation_default_to_no_motion():
    cam = parse_camera({"version": 1, "keyframes": [{"frame": 9, "zoom": 2}, {"frame": 3}]}, "camera", 14)
    assert [k.frame for k in cam.keyframes] == [3, 9]
    assert cam.keyframes[0].is_identity and cam.center == (0.5, 0.5) and cam.interpolation == "linear"


def _with(path, value):
    data = json.loads(json.dumps(GOOD))
    target = data
    for step in path[:-1]:
        target = target[step]
    if value is _REMOVE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_REMOVE = object()
BAD = [
    ((("version",), 2), "tracklets_json.camera.version", "camera version"),
    ((("version",), _REMOVE), "tracklets_json.camera.version", "missing"),
    ((("center",), [0.5]), "tracklets_json.camera.center", "[x, y]"),
    ((("center",), [1.5, 0.5]), "tracklets_json.camera.center", "outside the frame"),
    ((("center",), ["a", 0.5]), "tracklets_json.camera.center[0]", "not a number"),
    ((("interpolation",), "bounce"), "tracklets_json.camera.interpolation", "timing curve"),
    ((("keyframes",), []), "tracklets_json.camera.keyframes", "non-empty"),
    ((("keyframes",), _REMOVE), "tracklets_json.camera.keyframes", "missing"),
    ((("keyframes", 1), "zoom"), "tracklets_json.camera.keyframes[1]", "must be"),
    ((("keyframes", 1, "frame"), 14), "tracklets_json.camera.keyframes[1].frame", "13"),
    ((("keyframes", 1, "frame"), 0), "tracklets_json.camera.keyframes", "two keys on frame 0"),
    ((("keyframes", 1, "frame"), _REMOVE), "tracklets_json.camera.keyframes[1].frame", "missing"),
    ((("keyframes", 1, "zoom"), 0.0), "tracklets_json.camera.keyframes[1].zoom", "outside [0.05, 20]"),
    ((("keyframes", 1, "zoom"), 25), "tracklets_json.camera.keyframes[1].zoom", "outside [0.05, 20]"),
    ((("keyframes", 1, "zoom"), float("nan")), "tracklets_json.camera.keyframes[1].zoom", "finite"),
    ((("keyframes", 1, "zoom"), "2"), "tracklets_json.camera.keyframes[1].zoom", "not a number"),
    ((("keyframes", 1, "rotation"), 361), "tracklets_json.camera.keyframes[1].rotation", "360"),
    ((("keyframes", 1, "pan"), [2.5, 0]), "tracklets_json.camera.keyframes[1].pan", "frame widths"),
    ((("keyframes", 1, "pan"), [0.1]), "tracklets_json.camera.keyframes[1].pan", "[x, y]"),
    ((("keyframes", 1, "pan"), [0.1, None]), "tracklets_json.camera.keyframes[1].pan[1]", "not a number"),
    ((("keyframes", 1, "interpolation"), "fast"), "tracklets_json.camera.keyframes[1].interpolation", "timing"),
    ((("keyframes", 1, "scale"), 2), "tracklets_json.camera.keyframes[1].scale", "not a field"),
    ((("fov",), 60), "tracklets_json.camera.fov", "not a field"),
]


@pytest.mark.parametrize("change, field, problem", BAD, ids=[b[1].split(".", 1)[1] + ":" + b[2] for b in BAD])
def test_every_bad_camera_field_is_named_with_the_value_and_a_fix(change, field, problem):
    document = box_document(frame_count=14)
    document["camera"] = _with(*change)
    with pytest.raises(TrackDiffError) as caught:
        TrackletDocument.parse(json.dumps(document))
    assert caught.value.field == field
    assert problem in str(caught.value)
    assert caught.value.fix


def test_a_camera_that_is_not_an_object_is_refused():
    document = box_document()
    document["camera"] = [1, 2]
    with pytest.raises(TrackDiffError, match="tracklets_json.camera: must be a JSON object"):
        TrackletDocument.parse(json.dumps(document))


# -- documents with and without a camera ------------------------------------------------------------------------------
def test_documents_without_a_camera_load_and_save_exactly_as_before():
    plain = box_document()
    document = TrackletDocument.parse(json.dumps(plain))
    assert document.camera is None and "camera" not in document.to_json()
    assert document.to_tracklets().camera is None
    null = dict(plain, camera=None)  # a null camera is no camera
    assert TrackletDocument.parse(json.dumps(null)) == document


def test_a_box_document_with_a_camera_gives_screen_boxes_and_carries_the_camera():
    plain = box_document(frame_count=14)
    plain["objects"] = plain["objects"][:1]
    with_camera = dict(plain, camera={"version": 1, "keyframes": [{"frame": 0}, {"frame": 13, "pan": [0.1, 0.0],
                                                                                  "zoom": 1.1}]})
    scene = TrackletDocument.parse(json.dumps(plain)).to_tracklets()
    document = TrackletDocument.parse(json.dumps(with_camera))
    assert TrackletDocument.parse(document.dumps()) == document  # saved and reloaded
    screen = document.to_tracklets()
    assert screen.camera.shape == (14, 3, 3)
    want, _ = transform_boxes(screen.camera, scene.boxes)
    np.testing.assert_allclose(screen.boxes, want, atol=1e-6)
    np.testing.assert_allclose(screen.boxes[0], scene.boxes[0], atol=1e-6)  # frame 0's camera is the identity
    last = scene.boxes[-1, 0].astype(float)  # [0.6, 0.5, 0.8, 0.7]: zoom 1.1 about the centre, then pan 0.1
    expect = 0.5 + 1.1 * (last - 0.5) + [0.1, 0.0, 0.1, 0.0]
    np.testing.assert_allclose(screen.boxes[-1, 0], np.clip(expect, 0, 1), atol=1e-6)
    # resampling and selecting keep the camera, resampled with the boxes
    assert screen.resample(27).camera.shape == (27, 3, 3)
    np.testing.assert_allclose(screen.resample(27).camera[-1], screen.camera[-1], atol=1e-12)
    assert screen.camera.dtype == np.float64
    np.testing.assert_array_equal(screen.select([0]).camera, screen.camera)


def test_a_mask_arrow_document_reads_its_camera_anchors_and_points():
    document = {"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [
        {"id": 0, "label": "", "color": "#2ca02c", "mask": None, "path": [[0.2, 0.2], [0.4, 0.2]], "anchor": "screen"},
        {"id": 1, "label": "", "color": "#ff7f0e", "shape": "point", "path": [[0.7, 0.7]]},
    ], "camera": GOOD}
    parsed = MaskArrowDocument.parse(json.dumps(document))
    assert parsed.camera == parse_camera(GOOD, "camera", 14)
    first, second = parsed.objects
    assert first.is_static and not first.moves_with_camera and first.motion_path == ((0.2, 0.2),)
    assert second.shape == "point" and second.is_static and second.moves_with_camera
    assert MaskArrowDocument.parse(parsed.dumps()) == parsed
    document["objects"][0]["anchor"] = "world"
    with pytest.raises(TrackDiffError, match=r"objects\[0\]\.anchor"):
        MaskArrowDocument.parse(json.dumps(document))
    document["objects"][0]["anchor"] = "scene"
    document["objects"][1]["shape"] = "circle"
    with pytest.raises(TrackDiffError, match=r"objects\[1\]\.shape"):
        MaskArrowDocument.parse(json.dumps(document))
    document["objects"][1]["shape"] = "point"
    document["objects"][1]["mask"] = {"size": [2, 2], "counts": [0, 4]}
    with pytest.raises(TrackDiffError, match=r"objects\[1\]\.mask.*point"):
        MaskArrowDocument.parse(json.dumps(document))
    document["camera"] = dict(GOOD, keyframes=[{"frame": 20}])
    document["objects"][1]["mask"] = None
    with pytest.raises(TrackDiffError, match=r"mask_arrows_json\.camera\.keyframes\[0\]\.frame"):
        MaskArrowDocument.parse(json.dumps(document))


def test_camera_objects_built_in_code_match_parsed_ones():
    assert Camera((CameraKey(0),)).is_identity
    assert camera({"frame": 0, "pan": [0.0, 0.0], "zoom": 1.0, "rotation": 0.0}) == Camera((CameraKey(0),))


def test_the_shipped_workflows_documents_load_and_save_unchanged():
    """Old documents (every editor document in workflows/*.json, written before the camera layer) parse with no camera
    and are written back byte for byte."""
    from pathlib import Path

    parsers = {"TrackletEditor": TrackletDocument.parse, "MaskArrowToTrajectories": MaskArrowDocument.parse}
    seen = 0
    for path in sorted((Path(__file__).parents[2] / "workflows").glob("*.json")):
        for node in json.loads(path.read_text())["nodes"]:
            if node["type"] in parsers:
                text = node["widgets_values"][0]
                document = parsers[node["type"]](text)
                assert document.camera is None and document.dumps() == text, path.name
                seen += 1
    assert seen >= 6

import json

import numpy as np
import pytest

from core_builders import box_document, random_tracklets
from trackdiff_core import TrackDiffError, TrackletDocument


def parse(doc):
    return TrackletDocument.parse(json.dumps(doc))


def test_parse_and_dense():
    doc = parse(box_document())
    t = doc.to_tracklets()
    assert (t.num_frames, t.num_objects, t.ids, t.labels) == (14, 2, (1, 2), ("car", "dog"))
    np.testing.assert_allclose(t.colors[0], [0x1F / 255, 0x77 / 255, 0xB4 / 255], atol=1e-6)
    np.testing.assert_allclose(t.boxes[0, 0], [0.1, 0.2, 0.3, 0.4], atol=1e-6)
    np.testing.assert_allclose(t.boxes[-1, 0], [0.6, 0.5, 0.8, 0.7], atol=1e-6)
    assert t.visible[:, 0].all()
    np.testing.assert_array_equal(t.visible[:, 1], [i in range(2, 12) for i in range(14)])


def test_linear_interpolation_midpoint():
    doc = parse(box_document(frame_count=3, objects=box_document(frame_count=3)["objects"][:1]))
    np.testing.assert_allclose(doc.to_tracklets().boxes[1, 0], [0.35, 0.35, 0.55, 0.55], atol=1e-6)


def test_eased_interpolation_and_hold_outside_keyframes():
    doc = parse(box_document())
    boxes = doc.to_tracklets().boxes[:, 1, 0]  # object 2, x1: 0.5 -> 0.1 over frames 0..6, ease_in_out
    np.testing.assert_allclose(boxes[3], 0.3, atol=1e-6)  # halfway in time is halfway in space (symmetric curve)
    assert boxes[1] > 0.5 - (0.4 / 6)  # slower than linear at the start
    np.testing.assert_allclose(boxes[6:], 0.1, atol=1e-6)  # holds after the last keyframe


def test_keyframe_interpolation_overrides_object_curve():
    obj = box_document()["objects"][0]
    obj["keyframes"][0]["interpolation"] = "hold"
    t = parse(box_document(objects=[obj])).to_tracklets()
    np.testing.assert_allclose(t.boxes[:-1, 0], np.tile([0.1, 0.2, 0.3, 0.4], (13, 1)), atol=1e-6)
    np.testing.assert_allclose(t.boxes[-1, 0], [0.6, 0.5, 0.8, 0.7], atol=1e-6)


def test_static_object_keeps_first_box():
    obj = box_document()["objects"][0]
    obj["static"] = True
    t = parse(box_document(objects=[obj])).to_tracklets(25)
    np.testing.assert_allclose(t.boxes[:, 0], np.tile([0.1, 0.2, 0.3, 0.4], (25, 1)), atol=1e-6)


@pytest.mark.parametrize("frames", [8, 14, 25])
def test_resample_to_any_frame_count(frames):
    doc = parse(box_document())
    t = doc.to_tracklets(frames)
    assert t.num_frames == frames
    np.testing.assert_allclose(t.boxes[0, 0], [0.1, 0.2, 0.3, 0.4], atol=1e-6)
    np.testing.assert_allclose(t.boxes[-1, 0], [0.6, 0.5, 0.8, 0.7], atol=1e-6)
    # Resampling the document directly equals resampling its dense tracks for linear motion.
    np.testing.assert_allclose(t.boxes[:, 0], doc.to_tracklets().resample(frames).boxes[:, 0], atol=1e-6)
    # Visibility follows the nearest timeline frame: object 2 is hidden on timeline frames 0, 1, 12, 13.
    positions = np.arange(frames) * (13 / (frames - 1))
    expected = [2 <= int(np.floor(p + 0.5)) <= 11 for p in positions]
    np.testing.assert_array_equal(t.visible[:, 1], expected)


def test_json_round_trip():
    doc = parse(box_document())
    again = TrackletDocument.parse(doc.dumps())
    assert again == doc
    assert json.loads(doc.dumps())["version"] == 1


def test_dense_round_trip_through_document(rng):
    dense = random_tracklets(rng, frames=11, objects=4)
    doc = TrackletDocument.from_tracklets(dense)
    back = TrackletDocument.parse(doc.dumps()).to_tracklets()
    assert back.allclose(dense, atol=1e-4)


def test_simplify_drops_redundant_keyframes():
    doc = parse(box_document(frame_count=25))
    simplified = TrackletDocument.from_tracklets(doc.to_tracklets())
    assert [len(o.keyframes) for o in simplified.objects][0] == 2  # a straight move needs two keyframes
    assert simplified.to_tracklets().allclose(doc.to_tracklets(), atol=1e-4)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.update(version=2), "version: is not a document version this TrackDiff reads"),
        (lambda d: d.pop("version"), "version: is missing"),
        (lambda d: d.update(kind="mask_arrows"), 'kind: must be "tracklets"'),
        (lambda d: d.update(frame_count=0), "frame_count: must be at least 1"),
        (lambda d: d.update(frame_count=5000), "frame_count: must be at most 4096"),
        (lambda d: d.update(objects={}), "objects: must be a list"),
        (lambda d: d.update(extra=1), r"extra: is not a field"),
        (lambda d: d["objects"][0].update(id=2), r"objects\[0\].id: is used by an earlier object|objects\[1\].id"),
        (lambda d: d["objects"][0].update(color="blue"), r"objects\[0\].color.*#rrggbb"),
        (lambda d: d["objects"][0].update(interpolation="bouncy"), r"objects\[0\].interpolation.*use one of"),
        (lambda d: d["objects"][0].update(keyframes=[]), r"keyframes: must be a non-empty list"),
        (lambda d: d["objects"][0]["keyframes"][0].update(box=[0.1, 0.2, 1.3, 0.4]), r"keyframes\[0\].box: lies outside"),
        (lambda d: d["objects"][0]["keyframes"][0].update(box=[0.3, 0.2, 0.1, 0.4]), "inverted"),
        (lambda d: d["objects"][0]["keyframes"][0].update(box=[0.1, 0.2, float("nan"), 0.4]), r"box\[2\].*not a finite"),
        (lambda d: d["objects"][0]["keyframes"][0].update(box=[0.1, 0.2, 0.3]), r"must be \[x1, y1, x2, y2\]"),
        (lambda d: d["objects"][0]["keyframes"][0].update(frame=14), r"frame: must be at most 13"),
        (lambda d: d["objects"][0]["keyframes"][1].update(frame=0), "two keyframes on frame 0"),
        (lambda d: d["objects"][1].update(visibility=[[5, 3]]), "ends before it starts"),
        (lambda d: d["objects"][1].update(visibility=[[0, 20]]), r"visibility\[0\]\[1\]: must be at most 13"),
        (lambda d: d["objects"][0].update(static="yes"), "static: must be true or false"),
        (lambda d: d.update(objects=[{"id": i, "color": "#000000", "keyframes": [{"frame": 0, "box": [0, 0, 1, 1]}]}
                                     for i in range(300)]), "more than 256 objects"),
    ],
)
def test_bad_documents(mutate, match):
    doc = box_document()
    mutate(doc)
    with pytest.raises(TrackDiffError, match=match) as info:
        TrackletDocument.parse(json.dumps(doc, allow_nan=True))
    assert "Fix:" in str(info.value)


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "is empty"),
        ("{not json", r"not valid JSON \(.*line 1, column 2\)"),
        ("[1, 2]", "must be a JSON object"),
        (None, "is not JSON text"),
    ],
)
def test_malformed_json(text, match):
    with pytest.raises(TrackDiffError, match=match):
        TrackletDocument.parse(text)


def test_nan_literal_in_json_is_rejected():
    text = json.dumps(box_document()).replace("0.3, 0.4]", "NaN, 0.4]", 1)
    with pytest.raises(TrackDiffError, match="not a finite number"):
        TrackletDocument.parse(text)


def test_editor_ui_state_is_ignored():
    doc = box_document()
    doc["ui"] = {"selected": 1}
    doc["objects"][0]["ui"] = {"collapsed": True}
    assert TrackletDocument.parse(doc).to_tracklets().num_objects == 2

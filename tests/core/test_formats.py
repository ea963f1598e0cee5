"""Every conversion round trip, and every format's bad input."""

import json

import numpy as np
import pytest
import torch

from core_builders import box_document, random_tracklets
from trackdiff_core import PointTrajectories, TrackDiffError, TrackletDocument, Tracklets
from trackdiff_core.formats.coco_vid import VideoTracks, read_coco_vid, write_coco_vid, write_youtube_vis
from trackdiff_core.formats.coords_json import parse_coords, trajectories_from_coords, trajectories_to_coords
from trackdiff_core.formats.mot import read_mot, write_mot
from trackdiff_core.formats.tracks_dict import (
    tracklets_from_tracks,
    tracklets_to_tracks,
    trajectories_from_tracks,
    trajectories_to_tracks,
)

W, H = 640, 360


# -- core TRACKS ---------------------------------------------------------------------------------------------------
def test_trajectories_tracks_round_trip():
    traj = PointTrajectories(np.random.default_rng(0).uniform(size=(6, 5, 2)), groups=[0, 0, 1, 2, 2])
    tracks = trajectories_to_tracks(traj, W, H)
    assert tracks["track_path"].dtype == torch.float32 and tracks["track_path"].shape == (6, 5, 2)
    assert tracks["track_visibility"].dtype == torch.bool
    assert float(tracks["track_path"][..., 0].max()) <= W
    assert trajectories_from_tracks(tracks, W, H).allclose(traj, atol=1e-5)


def test_tracklets_tracks_round_trip_exact_with_corners(rng):
    t = random_tracklets(rng, frames=7, objects=3)
    back = tracklets_from_tracks(tracklets_to_tracks(t, W, H, corners=True), W, H)
    # Hidden boxes are not carried by hidden points; compare where visible, and identity everywhere.
    assert back.ids == t.ids and back.labels == t.labels and np.allclose(back.colors, t.colors, atol=1 / 255)
    np.testing.assert_array_equal(back.visible, t.visible)
    np.testing.assert_allclose(back.boxes[t.visible], t.boxes[t.visible], atol=1e-5)


def test_core_style_tracks_without_extras():
    # What core's GenerateTracks / WanMoveTracksFromCoords emit: visibility [T, 1] broadcast over points.
    path = torch.tensor([[[100.0, 200.0], [30.0, 40.0]], [[120.0, 220.0], [700.0, 40.0]]])
    tracks = {"track_path": path, "track_visibility": torch.ones(2, 1, dtype=torch.bool)}
    traj = trajectories_from_tracks(tracks, W, H)
    np.testing.assert_array_equal(traj.visible, [[True, True], [True, False]])  # x=700 is outside a 640 frame
    boxes = tracklets_from_tracks(tracks, W, H, box_size=0.1)
    assert boxes.num_objects == 2  # each track its own object
    np.testing.assert_allclose(boxes.boxes[0, 0], [100 / W - 0.05, 200 / H - 0.05, 100 / W + 0.05, 200 / H + 0.05], atol=1e-6)


@pytest.mark.parametrize(
    "tracks, match",
    [
        ({"points": 1}, "not a TRACKS dict"),
        ({"track_path": torch.zeros(3, 2)}, "shape"),
        ({"track_path": torch.full((2, 1, 2), float("nan"))}, "NaN"),
        ({"track_path": torch.zeros(2, 3, 2), "track_visibility": torch.ones(3, 3, dtype=torch.bool)}, r"\[2, 3\] or \[2, 1\]"),
    ],
)
def test_bad_tracks(tracks, match):
    with pytest.raises(TrackDiffError, match=match):
        trajectories_from_tracks(tracks, W, H)


# -- coordinate JSON -------------------------------------------------------------------------------------------------
def test_coords_single_track_list_and_strings():
    one = '[{"x": 10, "y": 20}, {"x": 30, "y": 40}]'
    assert parse_coords(one) == [[(10.0, 20.0), (30.0, 40.0)]]
    many = "[[{'x': 1, 'y': 2}], [{'x': 3, 'y': 4}]]"  # single quotes, as core accepts
    assert parse_coords(many) == [[(1.0, 2.0)], [(3.0, 4.0)]]
    assert parse_coords([one, one]) == [[(10.0, 20.0), (30.0, 40.0)]] * 2  # a list of strings, joined


def test_coords_round_trip():
    traj = PointTrajectories(np.random.default_rng(1).uniform(size=(5, 3, 2)), groups=[0, 1, 2])
    back = trajectories_from_coords(trajectories_to_coords(traj, W, H), W, H)
    assert back.allclose(traj, atol=1e-3 / min(W, H) * 2)


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "is empty"),
        ("[[{\"x\": 1}]]", r"\[0\]\[0\].*must be \{\"x\""),
        ("[[{\"x\": 1, \"y\": 2}], [{\"x\": 1, \"y\": 2}, {\"x\": 1, \"y\": 2}]]", "different lengths"),
        ("[[{\"x\": \"a\", \"y\": 2}]]", "x: is not a finite number"),
        ("[[{\"x\": NaN, \"y\": 2}]]", "not a finite number"),
        ("{oops", "not valid JSON"),
        ("[]", "holds no track"),
    ],
)
def test_bad_coords(text, match):
    with pytest.raises(TrackDiffError, match=match):
        parse_coords(text)


# -- MOT -------------------------------------------------------------------------------------------------------------
def test_mot_read():
    text = "\n".join([
        "1,7,10,20,100,50,1,1,1.0",
        "2,7,12,22,100,50,1,1,0.8",
        "3,7,-20,22,100,50,1,1,0.8",  # partly left of the frame: clipped
        "1,9,600,300,80,100,1,3,1.0",  # extends past the right and bottom edges: clipped
        "2,9,600,300,80,100,0,3,1.0",  # conf 0: an ignored region, skipped by default
    ])
    t = read_mot(text, W, H, num_frames=4)
    assert t.ids == (7, 9) and t.labels == ("pedestrian", "car") and t.num_frames == 4
    # MOT pixels count from 1: bb_left 10 is the 10th column, x = 9 from the frame's left edge.
    np.testing.assert_allclose(t.boxes[0, 0], [9 / W, 19 / H, 109 / W, 69 / H], atol=1e-6)
    np.testing.assert_allclose(t.boxes[2, 0], [0.0, 21 / H, 79 / W, 71 / H], atol=1e-6)
    np.testing.assert_allclose(t.boxes[0, 1], [599 / W, 299 / H, 1.0, 1.0], atol=1e-6)
    np.testing.assert_array_equal(t.visible, [[True, True], [True, False], [True, False], [False, False]])
    np.testing.assert_allclose(t.boxes[3, 0], t.boxes[2, 0])  # hidden frames hold the nearest visible box
    assert read_mot(text, W, H, keep_ignored=True).visible[1, 1]


def test_mot_round_trip(rng):
    t = random_tracklets(rng, frames=6, objects=3)
    t = Tracklets(t.boxes, t.visible, t.ids, ["pedestrian", "car", "12"], t.colors)
    back = read_mot(write_mot(t, W, H), W, H, num_frames=6)
    assert back.ids == t.ids and back.labels == ("pedestrian", "car", "reflection")  # class 12 is a MOT17 name
    np.testing.assert_array_equal(back.visible, t.visible)
    np.testing.assert_allclose(back.boxes[t.visible], t.boxes[t.visible], atol=1e-6)


@pytest.mark.parametrize(
    "text, match",
    [
        ("1,2,3", "fewer than 6 columns"),
        ("1,2,a,4,5,6", "not a number"),
        ("1,2,3,4,nan,6", "NaN"),
        ("0,2,3,4,5,6", "frames from 1"),
        ("1,2,3,4,0,6", "no width or height"),
        ("1,2,3,4,5,6\n1,2,3,4,5,6", "appears twice on frame 1"),
    ],
)
def test_bad_mot(text, match):
    with pytest.raises(TrackDiffError, match="mot line") as info:
        read_mot(text, W, H)
    assert info.match(match)


def test_mot_pixels_count_from_one():
    """A box on the frame's top-left corner is written bb_left = bb_top = 1, as MOTChallenge tools expect."""
    corner = Tracklets(np.array([[[0.0, 0.0, 0.5, 0.5]]], np.float32), np.ones((1, 1), bool), [3], ["car"], None)
    assert write_mot(corner, W, H) == "1,3,1.0000,1.0000,320.0000,180.0000,1,3,1\n"
    back = read_mot("1,3,1,1,320,180,1,3,1", W, H)
    np.testing.assert_allclose(back.boxes[0, 0], [0.0, 0.0, 0.5, 0.5], atol=1e-7)


def test_mot_frame_beyond_length():
    with pytest.raises(TrackDiffError, match="beyond the sequence length"):
        read_mot("5,1,1,1,5,5,1,1,1", W, H, num_frames=3)


# -- COCO-VID / YouTube-VIS --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("writer", [write_coco_vid, write_youtube_vis])
def test_coco_round_trip_two_videos(rng, writer):
    a = random_tracklets(rng, frames=5, objects=2)
    b = random_tracklets(rng, frames=3, objects=3)
    videos = [VideoTracks("clip_a", W, H, a), VideoTracks("clip_b", 320, 240, b, tuple(f"b/{i}.jpg" for i in range(3)))]
    data = json.loads(json.dumps(writer(videos)))  # through real JSON text
    back = read_coco_vid(json.dumps(data))
    assert [v.name for v in back] == ["clip_a", "clip_b"]
    assert (back[1].width, back[1].height, back[1].file_names) == (320, 240, tuple(f"b/{i}.jpg" for i in range(3)))
    for original, got in zip((a, b), back):
        assert got.tracklets.ids == original.ids and got.tracklets.labels == original.labels
        np.testing.assert_array_equal(got.tracklets.visible, original.visible)
        np.testing.assert_allclose(got.tracklets.boxes[original.visible], original.boxes[original.visible], atol=1e-5)


def test_youtube_vis_annotation_ids_are_unique_across_videos(rng):
    a = random_tracklets(rng, objects=2)
    data = write_youtube_vis([VideoTracks("a", W, H, a), VideoTracks("b", W, H, a)])
    ids = [ann["id"] for ann in data["annotations"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "data, match",
    [
        ("{", "not valid JSON"),
        ({"videos": []}, 'needs "videos" and "annotations"'),
        ({"videos": [{"id": 1, "width": 10, "height": 10, "length": 2}],
          "annotations": [{"id": 1, "video_id": 1, "bboxes": [[0, 0, 5, 5]]}]}, "one box or null for each of the 2"),
        ({"videos": [{"id": 1, "width": 10, "height": 10, "length": 1}],
          "annotations": [{"id": 1, "video_id": 1, "bboxes": [[0, 0, "x", 5]]}]}, "four finite numbers"),
        ({"videos": [{"id": 1}], "annotations": []}, "images: is missing"),
        ({"videos": [{"id": 1, "width": 0, "height": 10, "length": 1}],
          "annotations": [{"id": 1, "video_id": 1, "bboxes": [None]}]}, "width"),
    ],
)
def test_bad_coco(data, match):
    with pytest.raises(TrackDiffError, match=match):
        read_coco_vid(data)


# -- the whole chain ---------------------------------------------------------------------------------------------------
def test_json_dense_tracks_mot_coco_chain():
    """JSON document -> dense -> TRACKS -> dense -> MOT -> dense -> COCO-VID -> dense -> JSON document."""
    doc = TrackletDocument.parse(json.dumps(box_document()))
    labels = ("pedestrian", "car")
    dense = doc.to_tracklets()
    dense = Tracklets(dense.boxes, dense.visible, dense.ids, labels, dense.colors)
    via_tracks = tracklets_from_tracks(tracklets_to_tracks(dense, W, H, corners=True), W, H)
    via_mot = read_mot(write_mot(via_tracks, W, H), W, H, num_frames=dense.num_frames)
    via_coco = read_coco_vid(write_coco_vid([VideoTracks("v", W, H, via_mot)]))[0].tracklets
    final = TrackletDocument.parse(TrackletDocument.from_tracklets(via_coco).dumps()).to_tracklets()
    assert final.ids == dense.ids and final.labels == labels
    np.testing.assert_array_equal(final.visible, dense.visible)
    np.testing.assert_allclose(final.boxes[dense.visible], dense.boxes[dense.visible], atol=2e-4)

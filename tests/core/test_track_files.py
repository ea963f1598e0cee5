"""Reading track files of every format, with detection from content."""

import json

import numpy as np
import pytest

from core_builders import box_document, random_tracklets
from trackdiff_core import TrackDiffError, TrackletDocument
from trackdiff_core.formats.coco_vid import VideoTracks, write_coco_vid
from trackdiff_core.formats.mot import write_mot
from trackdiff_core.formats.track_files import read_track_file


def test_each_format_detected_and_read(tmp_path, rng):
    tracks = random_tracklets(rng, frames=5, objects=2)
    (tmp_path / "gt.txt").write_text(write_mot(tracks, 640, 360))
    (tmp_path / "ann.json").write_text(json.dumps(write_coco_vid([VideoTracks("a", 320, 240, tracks)])))
    (tmp_path / "doc.json").write_text(json.dumps(box_document()))
    (tmp_path / "coords.json").write_text(json.dumps([[{"x": 100, "y": 50}, {"x": 200, "y": 60}]]))

    mot = read_track_file(tmp_path / "gt.txt", width=640, height=360)
    assert mot.format == "mot" and mot.tracklets.ids == tracks.ids
    np.testing.assert_allclose(mot.tracklets.boxes[tracks.visible], tracks.boxes[tracks.visible], atol=1e-5)
    coco = read_track_file(tmp_path / "ann.json")
    assert coco.format == "coco_vid" and coco.source_size == (320, 240)
    doc = read_track_file(tmp_path / "doc.json")
    assert doc.format == "trackdiff_document"
    assert doc.tracklets.allclose(TrackletDocument.parse(box_document()).to_tracklets())
    np.testing.assert_allclose(doc.points.points[:, 0], doc.tracklets.centers()[:, 0], atol=1e-6)
    coords = read_track_file(tmp_path / "coords.json", width=400, height=200)
    assert coords.format == "coordinates" and coords.points.num_points == 1
    np.testing.assert_allclose(coords.points.points[1, 0], [0.5, 0.3], atol=1e-6)
    np.testing.assert_allclose(coords.tracklets.centers()[0, 0], [0.25, 0.25], atol=1e-6)


def test_bad_files(tmp_path):
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(TrackDiffError, match="neither MOT text nor valid JSON"):
        read_track_file(tmp_path / "x.json")
    (tmp_path / "y.json").write_text('{"hello": 1}')
    with pytest.raises(TrackDiffError, match="JSON of no known track format"):
        read_track_file(tmp_path / "y.json")
    with pytest.raises(TrackDiffError, match="cannot be read"):
        read_track_file(tmp_path / "missing.txt")
    with pytest.raises(TrackDiffError, match="format.*use one of"):
        read_track_file(tmp_path / "y.json", "xml")
    (tmp_path / "ann.json").write_text(json.dumps({"videos": [], "images": [], "annotations": []}))
    with pytest.raises(TrackDiffError, match="ann.json.*Fix: pick a file with at least one video"):
        read_track_file(tmp_path / "ann.json", video=0)
    (tmp_path / "one.json").write_text(json.dumps(write_coco_vid([VideoTracks("a", 32, 32, random_tracklets(
        np.random.default_rng(0), frames=2, objects=1))])))
    with pytest.raises(TrackDiffError, match="video: is not one of the file's 1 videos"):
        read_track_file(tmp_path / "one.json", video=1)


@pytest.mark.parametrize("name, text, match", [
    ("empty.txt", "", "file: is empty"),
    ("blank.txt", " \n\n", "file: is empty"),
    ("comments.txt", "# only a comment\n", "holds no tracks .read as mot"),
    ("unidentified.txt", "1,-1,10,10,5,5,1,-1,-1,-1\n", "holds no tracks"),  # detections without identity
    ("ignored.txt", "1,4,10,10,5,5,0,1,1\n", "holds no tracks"),  # only an ignored region
    ("coords.json", "[]", "coords.json"),
    ("video.json", json.dumps({"videos": [{"id": 1}], "annotations": [],
                                "images": [{"id": 1, "video_id": 1, "frame_id": 0, "width": 8, "height": 8}]}),
     "holds no tracks .read as coco_vid"),
    ("deep.json", "[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_empty_or_objectless_files_are_refused(tmp_path, name, text, match):
    """An empty file, or one with no object in it, is an error that names the file, not 0 objects and 1 frame."""
    (tmp_path / name).write_text(text)
    with pytest.raises(TrackDiffError, match=match) as info:
        read_track_file(tmp_path / name, width=64, height=64, name=f"tracks/{name}")
    assert str(tmp_path) not in str(info.value)  # the picked name, never the server path


def test_unreadable_file_message_has_no_server_path(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(TrackDiffError, match="file: is not UTF-8 text") as info:
        read_track_file(tmp_path / "bin.txt", name="bin.txt")
    with pytest.raises(TrackDiffError, match="cannot be read") as missing:
        read_track_file(tmp_path / "missing.txt", name="missing.txt")
    assert str(tmp_path) not in str(info.value) + str(missing.value)

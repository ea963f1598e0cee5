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
    with pytest.raises(TrackDiffError, match="video.*0 videos"):
        read_track_file(tmp_path / "ann.json", video=0)

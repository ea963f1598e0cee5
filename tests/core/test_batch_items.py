"""Batch items from folders, MOT sequences and COCO-VID files; labels for box and mask + arrow documents."""

import json

import cv2
import numpy as np
import pytest

from core_builders import box_document, random_tracklets
from trackdiff_core import MaskArrowDocument, TrackDiffError, TrackletDocument
from trackdiff_core.batch.items import load_items
from trackdiff_core.batch.labels import item_tracklets
from trackdiff_core.formats.coco_vid import VideoTracks, write_youtube_vis
from trackdiff_core.formats.mot import write_mot
from trackdiff_core.masks import rle_encode


def write_image(path, width=80, height=60):
    cv2.imwrite(str(path), np.full((height, width, 3), 128, np.uint8))
    return path


def test_folder_with_documents_and_mot(tmp_path, rng):
    write_image(tmp_path / "b scene.png")
    (tmp_path / "b scene.json").write_text(json.dumps(box_document()))
    write_image(tmp_path / "a.jpg")
    tracks = random_tracklets(rng, frames=5, objects=2)
    (tmp_path / "a.txt").write_text(write_mot(tracks, 80, 60))
    items = load_items(tmp_path)
    assert [i.name for i in items] == ["a", "b_scene"]  # sorted, made safe for folder names
    assert items[0].kind == "tracklets" and items[0].document.frame_count == 5
    back = items[0].document.to_tracklets()
    np.testing.assert_allclose(back.boxes[tracks.visible], tracks.boxes[tracks.visible], atol=1e-4)


def test_folder_errors(tmp_path):
    with pytest.raises(TrackDiffError, match="holds no image"):
        load_items(tmp_path)
    write_image(tmp_path / "x.png")
    with pytest.raises(TrackDiffError, match="has no tracks file beside it.*x.json"):
        load_items(tmp_path)
    (tmp_path / "x.json").write_text("{broken")
    with pytest.raises(TrackDiffError, match="not valid JSON"):
        load_items(tmp_path)


def test_mot_sequence(tmp_path, rng):
    seq = tmp_path / "MOT17-02"
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    for i in range(1, 4):
        write_image(seq / "img1" / f"{i:06d}.jpg", 100, 50)
    tracks = random_tracklets(rng, frames=3, objects=2)
    (seq / "gt" / "gt.txt").write_text(write_mot(tracks, 100, 50))
    (item,) = load_items(seq)
    assert item.name == "MOT17-02" and item.image_path.name == "000001.jpg"
    assert item.document.to_tracklets().num_frames == 3


def test_coco_file(tmp_path, rng):
    (tmp_path / "frames" / "v1").mkdir(parents=True)
    write_image(tmp_path / "frames" / "v1" / "0.jpg")
    tracks = random_tracklets(rng, frames=2, objects=1)
    data = write_youtube_vis([VideoTracks("v1", 80, 60, tracks, ("v1/0.jpg", "v1/1.jpg"))])
    (tmp_path / "ann.json").write_text(json.dumps(data))
    (item,) = load_items(tmp_path / "ann.json", tmp_path / "frames")
    assert item.image_path == tmp_path / "frames" / "v1" / "0.jpg"
    with pytest.raises(TrackDiffError, match="does not exist"):
        load_items(tmp_path / "ann.json", tmp_path)


def test_names_from_an_annotation_file_stay_inside_the_output_and_images_root(tmp_path, rng):
    """A COCO-VID video named '../../x' becomes an item named 'x' (its folder is inside the dataset), and frame paths
    leading out of --images-root are refused before anything is read."""
    from trackdiff_core.batch.runner import BatchRunner
    from trackdiff_core.batch.workflow import PromptTemplate

    (tmp_path / "frames" / "v1").mkdir(parents=True)
    write_image(tmp_path / "frames" / "v1" / "0.jpg")
    tracks = random_tracklets(rng, frames=2, objects=1)
    data = write_youtube_vis([VideoTracks("../../x", 80, 60, tracks, ("v1/0.jpg", "v1/1.jpg"))])
    (tmp_path / "ann.json").write_text(json.dumps(data))
    (item,) = load_items(tmp_path / "ann.json", tmp_path / "frames")
    assert item.name == "x"
    prompt = {"1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}},
              "2": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": "{}", "image": ["1", 0]}},
              "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 1], "filename_prefix": "x"}}}
    runner = BatchRunner([], PromptTemplate(prompt), [item], tmp_path / "out")
    assert (tmp_path / "out" / "items") in runner.item_dir(item).parents
    for escape in ("../../outside/0.jpg", "/etc/passwd", "v1/../../ann.json"):
        data = write_youtube_vis([VideoTracks("v", 80, 60, tracks, (escape, "v1/1.jpg"))])
        (tmp_path / "bad.json").write_text(json.dumps(data))
        with pytest.raises(TrackDiffError, match="names a frame outside --images-root"):
            load_items(tmp_path / "bad.json", tmp_path / "frames")


def test_items_without_objects_are_refused(tmp_path):
    write_image(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("")
    with pytest.raises(TrackDiffError, match="items: has tracks with no object in them .got 'a.png'"):
        load_items(tmp_path)


def test_labels_follow_the_document_at_the_generated_frame_count():
    doc = TrackletDocument.parse(box_document())
    labels = item_tracklets(doc, 25)
    assert labels.num_frames == 25 and labels.allclose(doc.to_tracklets(25))


def test_mask_arrow_labels_move_the_mask_box_along_the_path():
    mask = np.zeros((10, 20), bool)
    mask[2:4, 5:10] = True  # box x 0.25..0.5, y 0.2..0.4
    doc = MaskArrowDocument.parse({"version": 1, "kind": "mask_arrows", "frame_count": 5, "objects": [
        {"id": 4, "label": "ball", "color": "#00ff00", "mask": rle_encode(mask), "path": [[0.3, 0.3], [0.5, 0.3]]}]})
    labels = item_tracklets(doc, 5)
    np.testing.assert_allclose(labels.boxes[0, 0], [0.25, 0.2, 0.5, 0.4], atol=1e-6)
    np.testing.assert_allclose(labels.boxes[-1, 0], [0.45, 0.2, 0.7, 0.4], atol=1e-6)
    assert labels.ids == (4,) and labels.labels == ("ball",)
    external = MaskArrowDocument.parse({"version": 1, "kind": "mask_arrows", "frame_count": 5, "objects": [
        {"id": 0, "color": "#00ff00", "mask": None, "path": [[0.3, 0.3]]}]})
    with pytest.raises(TrackDiffError, match="comes from a MASK input"):
        item_tracklets(external, 5)


def test_unreadable_image_stops_before_anything_runs(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    (tmp_path / "bad.json").write_text(json.dumps(box_document()))
    with pytest.raises(TrackDiffError, match="cannot be read as an image.*bad.png"):
        load_items(tmp_path)

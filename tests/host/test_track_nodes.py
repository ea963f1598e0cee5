"""The track nodes inside a real ComfyUI, through /prompt."""

from __future__ import annotations

import json

import pytest

import comfy_host

DOC = {
    "version": 1, "kind": "tracklets", "frame_count": 8,
    "objects": [{"id": 1, "label": "car", "color": "#ff0000",
                 "keyframes": [{"frame": 0, "box": [0.1, 0.1, 0.4, 0.4]}, {"frame": 7, "box": [0.5, 0.5, 0.9, 0.9]}]}],
}


def editor_prompt(document: str, with_image: bool = True) -> dict:
    prompt = {
        "1": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": document}},
        "2": {"class_type": "TrackletsToTracks", "inputs": {"tracklets": ["1", 0], "width": 96, "height": 64,
                                                           "layout": "corners", "points_per_box": 1}},
        "3": {"class_type": "TracksToTracklets", "inputs": {"tracks": ["2", 0], "width": 96, "height": 64, "box_size": 0.1}},
        "4": {"class_type": "VisualizeTracklets", "inputs": {"images": ["1", 1], "tracklets": ["3", 0], "line_width": 0,
                                                            "show_labels": True}},
        "5": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["4", 0]}},
        "6": {"class_type": "VisualizeTrackPoints", "inputs": {"images": ["1", 1], "tracks": ["2", 0], "width": 96,
                                                              "height": 64, "tail": 4, "point_radius": 0}},
        "7": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["6", 0]}},
    }
    if with_image:
        prompt["8"] = {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}}
        prompt["1"]["inputs"]["image"] = ["8", 0]
    return prompt


def test_editor_document_to_tracklets_tracks_and_previews(comfy_server):
    outputs = comfy_server.run(editor_prompt(json.dumps(DOC)))
    assert outputs["5"]["trackdiff_stats"][0]["shape"] == [8, 64, 96, 3]  # one preview frame per timeline frame
    assert outputs["7"]["trackdiff_stats"][0]["shape"] == [8, 64, 96, 3]
    preview = outputs["1"]["images"][0]
    image = comfy_server.view_image(preview)
    assert image.shape == (64, 96, 3)
    # The red box's left edge at x = 0.1 * 96 on the first frame.
    assert image[20, 10, 0] > 0.8 and image[20, 10, 1] < 0.3


def test_editor_without_image_previews_on_gray(comfy_server):
    outputs = comfy_server.run(editor_prompt(json.dumps(DOC), with_image=False))
    assert outputs["5"]["trackdiff_stats"][0]["shape"] == [8, 288, 512, 3]


@pytest.mark.parametrize(
    "document, needle",
    [
        ("{broken", "tracklets_json: is not valid JSON"),
        (json.dumps({**DOC, "version": 7}), "tracklets_json.version: is not a document version"),
        (json.dumps({**DOC, "objects": [{**DOC["objects"][0], "keyframes": [{"frame": 0, "box": [0.5, 0.1, 0.2, 0.4]}]}]}),
         "objects[0].keyframes[0].box: is inverted"),
    ],
)
def test_bad_document_is_refused_when_queued(comfy_server, document, needle):
    with pytest.raises(comfy_host.PromptRejected) as info:
        comfy_server.queue_prompt(editor_prompt(document))
    assert needle in info.value.body


def test_editor_sends_its_first_frame_back_for_the_widget(comfy_server):
    outputs = comfy_server.run(editor_prompt(json.dumps(DOC)))
    frame = comfy_server.view_image(outputs["1"]["trackdiff_frame"][0])
    preview = comfy_server.view_image(outputs["1"]["images"][0])
    assert frame.shape == preview.shape == (64, 96, 3)
    assert abs(frame[20, 10] - preview[20, 10]).sum() > 0.3  # the preview has the box drawn; the frame does not
    no_image = comfy_server.run(editor_prompt(json.dumps(DOC), with_image=False))
    assert "trackdiff_frame" not in no_image["1"]


def test_load_tracklets_from_a_mot_file_and_save_labels(comfy_server):
    from trackdiff_core.formats.mot import read_mot

    (comfy_server.base / "input" / "tracks").mkdir(exist_ok=True)
    (comfy_server.base / "input" / "tracks" / "seq_gt.txt").write_text(
        "1,5,11,11,30,20,1,3,1\n2,5,21,13,30,20,1,3,1\n3,5,31,15,30,20,1,3,1\n")  # MOT pixels count from 1
    prompt = {
        "1": {"class_type": "LoadTracklets", "inputs": {"file": "tracks/seq_gt.txt", "format": "auto", "width": 96,
                                                        "height": 64, "video": 0, "box_size": 0.1}},
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "3": {"class_type": "RepeatImageBatch", "inputs": {"image": ["2", 0], "amount": 5}},
        "4": {"class_type": "SaveTrackletLabels", "inputs": {"tracklets": ["1", 0], "images": ["3", 0],
                                                             "filename_prefix": "labels/test"}},
        "5": {"class_type": "VisualizeTrackPoints", "inputs": {"images": ["2", 0], "tracks": ["1", 1], "width": 96,
                                                               "height": 64, "tail": 2, "point_radius": 0}},
        "6": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["5", 0]}},
    }
    outputs = comfy_server.run(prompt)
    assert outputs["6"]["trackdiff_stats"][0]["shape"] == [3, 64, 96, 3]  # the file's 3 frames of points
    written = sorted((comfy_server.base / "output" / "labels").glob("test_*.mot.txt"))
    assert written, outputs["4"]
    labels = read_mot(written[-1].read_text(), 96, 64, num_frames=5)  # resampled from 3 to the video's 5 frames
    assert labels.ids == (5,) and labels.labels == ("car",)
    assert labels.boxes[0, 0].tolist() == pytest.approx([10 / 96, 10 / 64, 40 / 96, 30 / 64], abs=1e-4)
    assert labels.boxes[2, 0].tolist() == pytest.approx([20 / 96, 12 / 64, 50 / 96, 32 / 64], abs=1e-4)
    assert (written[-1].parent / written[-1].name.replace(".mot.txt", ".coco_vid.json")).exists()


def test_load_tracklets_refuses_a_missing_file(comfy_server):
    prompt = {"1": {"class_type": "LoadTracklets", "inputs": {"file": "nope.txt", "format": "auto", "width": 96,
                                                              "height": 64, "video": 0, "box_size": 0.1}},
              "2": {"class_type": "TrackletsToTracks", "inputs": {"tracklets": ["1", 0], "width": 96, "height": 64,
                                                                  "layout": "grid", "points_per_box": 1}},
              "3": {"class_type": "VisualizeTrackPoints", "inputs": {"images": ["4", 0], "tracks": ["2", 0],
                                                                     "width": 0, "height": 0, "tail": 2,
                                                                     "point_radius": 0}},
              "4": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
              "5": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["3", 0]}}}
    with pytest.raises(comfy_host.PromptRejected) as info:
        comfy_server.queue_prompt(prompt)
    assert "nope.txt" in info.value.body

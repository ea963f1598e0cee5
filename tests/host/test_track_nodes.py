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

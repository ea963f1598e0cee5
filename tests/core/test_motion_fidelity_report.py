"""Motion Fidelity's core: drawn tracks or boxes against a video with exact motion, a still video, and bad input."""

import json

import numpy as np
import pytest
from moving_square_clips import moving_square

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.motion.fidelity_report import fidelity_report, plot_errors, tracklet_points
from trackdiff_core.tracklets import Tracklets

W, H = 160, 96


@pytest.fixture(scope="module")
def clip():
    return moving_square(frames=12, width=W, height=H)


def _drawn_boxes(clip, frames=None) -> Tracklets:
    boxes = clip.boxes / np.array([W, H, W, H])
    tracklets = Tracklets(boxes[:, None], None, [0], ["square"])
    return tracklets if frames is None else tracklets.resample(frames)


def test_a_video_that_follows_the_drawing_scores_low_and_a_still_one_high(clip):
    drawn, objects = tracklet_points(_drawn_boxes(clip))
    follows = fidelity_report(drawn, clip.frames, objects)
    still = fidelity_report(drawn, np.repeat(clip.frames[:1], len(clip.frames), axis=0), objects)
    assert follows.mean < 1.5
    assert still.mean > 10 * follows.mean and still.mean > 15
    assert follows.per_object.shape == (1,) and follows.per_frame.shape == (12,)
    assert still.per_frame[-1] > still.per_frame[1]  # the gap grows as the drawing moves on


def test_drawings_of_another_frame_count_are_resampled_to_the_video(clip):
    drawn, objects = tracklet_points(_drawn_boxes(clip, frames=23))  # drawn for 23 frames, video has 12
    report = fidelity_report(drawn, clip.frames, objects)
    assert report.mean < 1.5 and len(report.per_frame) == 12


def test_the_report_has_one_line_per_object_and_a_plot(clip):
    first = clip.boxes / np.array([W, H, W, H])
    still = np.repeat(first[:1], len(first), axis=0)  # a second object drawn still over the moving background
    second = np.clip(still + [0.6, 0.1, 0.6, 0.1], 0, 1)
    tracklets = Tracklets(np.stack([first, second], axis=1), None, [0, 1], ["square", "wall"])
    drawn, objects = tracklet_points(tracklets)
    report = fidelity_report(drawn, clip.frames, objects)
    assert report.lines.shape == (2, 12) and [o["label"] for o in report.line_objects] == ["square", "wall"]
    data = json.loads(report.to_json())
    assert data["frames"] == 12 and [o["label"] for o in data["per_object"]] == ["square", "wall"]
    assert data["mean_px"] == pytest.approx(report.mean, abs=1e-3) and 0.0 <= data["lost_fraction"] <= 1.0
    plot = plot_errors(report)
    assert plot.shape == (1, 256, 512, 3) and plot.dtype == np.float32 and plot.min() < 0.9  # lines were drawn


def test_tracks_for_another_aspect_ratio_are_refused(clip):
    drawn, objects = tracklet_points(_drawn_boxes(clip))
    with pytest.raises(TrackDiffError, match="^video: has another aspect ratio than the tracks"):
        fidelity_report(drawn, clip.frames, objects, drawn_aspect=1.0)


def test_a_one_frame_video_is_refused(clip):
    drawn, objects = tracklet_points(_drawn_boxes(clip))
    with pytest.raises(TrackDiffError, match="^video: has one frame"):
        fidelity_report(drawn, clip.frames[:1], objects)


def test_tracks_hidden_on_the_first_frame_are_refused(clip):
    visible = np.ones((12, 1), dtype=bool)
    visible[0] = False
    drawn, objects = tracklet_points(Tracklets(clip.boxes[:, None] / np.array([W, H, W, H]), visible))
    with pytest.raises(TrackDiffError, match="^tracks: have no point visible on the first frame"):
        fidelity_report(drawn, clip.frames, objects)


def test_a_batch_items_meta_gets_the_error_of_its_video_against_its_boxes(clip):
    import cv2

    from trackdiff_core.batch.fidelity import item_fidelity

    bgr = [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in clip.frames]  # as the CLI decodes the saved frames
    follows = item_fidelity(_drawn_boxes(clip), bgr)
    still = item_fidelity(_drawn_boxes(clip), bgr[:1] * len(bgr))
    json.dumps(follows)
    assert follows["frames"] == 12 and (follows["width"], follows["height"]) == (W, H)
    assert follows["mean_px"] < 1.5 < 15 < still["mean_px"]
    assert follows["per_object"][0]["label"] == "square"
    assert "error" in item_fidelity(_drawn_boxes(clip), bgr[:1])  # one frame: reported, the item is still written

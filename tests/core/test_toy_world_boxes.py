"""The toy world's box measure (experiments/toy_world/measure.py: ``object_boxes``, ``box_iou``, ``box_agreement``) on
ground-truth toy clips: the boxes found by colour are the clips' own box tracklets (IoU 1), still close through the toy
VAE's 8×8 block means, and wrong boxes score low."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.toy_world.measure import box_agreement, box_iou, drawn_boxes, object_boxes
from trackdiff_core.training.toy_world import ToyWorldClips

CLIPS = ToyWorldClips(frames=8, width=64, height=64, seed=11, max_objects=4)


def measured(index, blocks=1):
    clip = CLIPS.clip(index)
    frames = clip.frames.astype(np.float64) / 255.0
    if blocks > 1:  # what the toy VAE keeps of a frame: its block means
        t, h, w, c = frames.shape
        frames = frames.reshape(t, h // blocks, blocks, w // blocks, blocks, c).mean(axis=(2, 4))
        frames = frames.repeat(blocks, axis=1).repeat(blocks, axis=2)
    tracklets = clip.tracklets
    found = object_boxes(frames, CLIPS.background(index), tracklets.colors)
    return clip, found, drawn_boxes(tracklets.boxes, tracklets.visible, 64, 64)


@pytest.mark.parametrize("index", range(6))
def test_true_boxes_of_ground_truth_clips_score_one(index):
    clip, found, drawn = measured(index)
    visible = clip.tracklets.visible.T
    assert np.isfinite(found[visible]).all()
    assert np.allclose(box_iou(found, drawn)[visible], 1.0)
    result = box_agreement(found, drawn)
    assert result["iou"] == pytest.approx(1.0) and result["lost"] == 0.0 and result["boxes"] == visible[:, 1:].sum()
    assert np.isnan(result["per_frame"][0]) and np.allclose(result["per_frame"][1:][np.isfinite(result["per_frame"][1:])], 1)


def test_through_block_means_the_boxes_stay_close():
    ious = []
    for index in range(12):
        _, found, drawn = measured(index, blocks=8)
        ious.append(box_agreement(found, drawn)["iou"])
    assert 0.5 < np.mean(ious) < 0.65, ious  # 8-pixel blocks on 10–20-pixel shapes: the ceiling object_boxes states


def test_wrong_boxes_score_low():
    clip, found, drawn = measured(2)
    shifted = drawn.copy()
    shifted[..., [0, 2]] += 24.0  # every drawn box 24 px to the right
    assert box_agreement(found, shifted)["iou"] < 0.5
    reversed_time = drawn[:, ::-1]
    assert box_agreement(found, reversed_time)["iou"] < box_agreement(found, drawn)["iou"]


def test_objects_below_the_presence_share_are_not_found():
    clip, _, _ = measured(0)
    frames = clip.frames.astype(np.float64) / 255.0
    areas = clip.masks.reshape(len(clip.masks), -1).sum(1)
    everything = object_boxes(frames, CLIPS.background(0), clip.tracklets.colors)
    present = object_boxes(frames, CLIPS.background(0), clip.tracklets.colors, areas * 100.0)
    assert np.isfinite(everything).any() and np.isnan(present).all()


def test_box_iou_and_lost_objects():
    a = np.array([0.0, 0.0, 10.0, 10.0])
    assert box_iou(a, a) == 1.0
    assert box_iou(a, np.array([5.0, 0.0, 15.0, 10.0])) == pytest.approx(50 / 150)
    assert box_iou(a, np.array([20.0, 20.0, 30.0, 30.0])) == 0.0
    assert np.isnan(box_iou(a, np.full(4, np.nan)))
    drawn = np.tile(a, (1, 3, 1))
    generated = drawn.copy()
    generated[0, 2] = np.nan  # not found in the last frame: counts as IoU 0
    result = box_agreement(generated, drawn)
    assert result["iou"] == pytest.approx(0.5) and result["lost"] == pytest.approx(0.5) and result["boxes"] == 2

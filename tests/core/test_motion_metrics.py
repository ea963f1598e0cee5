"""TAP-Vid metrics on cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from trackdiff_core.motion import tapvid_metrics


def tracks(frames=4, points=2):
    rng = np.random.default_rng(0)
    gt = rng.uniform(20, 200, (frames, points, 2))
    return gt, np.ones((frames, points), bool), np.zeros(points, int)


def test_a_perfect_prediction_scores_one_everywhere():
    gt, visible, query = tracks()
    visible[2, 1] = False
    result = tapvid_metrics(gt, visible, gt, visible, query, 256, 256)
    assert result["aj"] == 1.0 and result["delta_avg"] == 1.0 and result["oa"] == 1.0
    assert all(v == 1.0 for v in result["delta"].values())


def test_an_offset_of_three_pixels_passes_only_the_thresholds_above_it():
    gt, visible, query = tracks()
    pred = gt + np.array([3.0, 0.0])  # 3 px at 256×256: within 4, 8, 16; not within 1, 2
    result = tapvid_metrics(pred, visible, gt, visible, query, 256, 256)
    assert result["delta"] == {1: 0.0, 2: 0.0, 4: 1.0, 8: 1.0, 16: 1.0}
    assert result["delta_avg"] == pytest.approx(0.6)
    # Where far: TP 0, FP = the 6 scored predictions, FN = 6 → J = 0; where within: J = 1.
    assert result["jaccard"] == {1: 0.0, 2: 0.0, 4: 1.0, 8: 1.0, 16: 1.0}
    assert result["aj"] == pytest.approx(0.6) and result["oa"] == 1.0


def test_coordinates_are_rescaled_to_256_before_the_thresholds():
    gt, visible, query = tracks()
    pred = gt + np.array([6.0, 0.0])  # 6 px at width 512 is 3 px at 256
    result = tapvid_metrics(pred, visible, gt, visible, query, 512, 256)
    assert result["delta"][4] == 1.0 and result["delta"][2] == 0.0


def test_visibility_errors_count_in_jaccard_and_occlusion_accuracy():
    gt, visible, query = tracks(frames=3, points=1)
    truth = visible.copy()
    truth[2, 0] = False  # hidden at frame 2
    predicted = np.ones_like(visible)  # says visible everywhere
    result = tapvid_metrics(gt, predicted, gt, truth, query, 256, 256)
    # Scored frames 1 and 2: OA 1/2; at every δ TP 1, FP 1 (frame 2), FN 0 → J = 1/2; δ over visible only = 1.
    assert result["oa"] == 0.5 and result["aj"] == 0.5 and result["delta_avg"] == 1.0


def test_the_query_frame_and_frames_before_it_are_not_scored_in_query_first_mode():
    gt, visible, _ = tracks(frames=4, points=1)
    pred = gt.copy()
    pred[:2] += 50.0  # wrong at frames 0 and 1
    result = tapvid_metrics(pred, visible, gt, visible, np.array([1]), 256, 256)
    assert result["aj"] == 1.0
    both_ways = tapvid_metrics(pred, visible, gt, visible, np.array([1]), 256, 256, evaluate_before_query=True)
    assert both_ways["delta_avg"] == pytest.approx(2 / 3)

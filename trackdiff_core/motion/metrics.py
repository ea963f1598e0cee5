"""TAP-Vid point-tracking metrics ("query first" mode), as defined in DESIGN.md."""

from __future__ import annotations

import numpy as np

THRESHOLDS = (1, 2, 4, 8, 16)


def tapvid_metrics(pred_points, pred_visible, gt_points, gt_visible, query_frames, width, height,
                   evaluate_before_query: bool = False) -> dict:
    """δ_avg, Average Jaccard and occlusion accuracy of predicted tracks against ground truth.

    Args:
        pred_points, gt_points: ``float[T, N, 2]`` pixel ``x, y`` at ``width`` × ``height``.
        pred_visible, gt_visible: ``bool[T, N]``.
        query_frames: ``int[N]``, each point's query frame.
        evaluate_before_query: False (TAP-Vid "query first"): only frames after each point's query frame are scored.
            True: every frame except the query frame (for tracks queried in the middle of a clip).

    Coordinates are rescaled to 256×256. For each threshold δ in 1, 2, 4, 8, 16 px: position accuracy is the share
    of ground-truth-visible scored points predicted within δ; Jaccard is TP / (TP + FP + FN) with TP = predicted
    visible, truly visible and within δ; FP = predicted visible but truly hidden or farther than δ; FN = truly visible
    but predicted hidden or farther than δ. ``delta_avg`` and ``aj`` average them over the thresholds; ``oa`` is the
    accuracy of predicted visibility over the scored frames.

    Returns:
        ``dict(delta_avg, aj, oa, delta={δ: accuracy}, jaccard={δ: jaccard})`` (floats; ``nan`` when nothing is scored).
    """
    pred_points = np.asarray(pred_points, dtype=np.float64)
    gt_points = np.asarray(gt_points, dtype=np.float64)
    pred_visible = np.asarray(pred_visible, dtype=bool)
    gt_visible = np.asarray(gt_visible, dtype=bool)
    query = np.asarray(query_frames, dtype=np.int64).reshape(-1)
    frames = np.arange(gt_points.shape[0])[:, None]
    scored = (frames != query[None, :]) if evaluate_before_query else (frames > query[None, :])
    scale = np.array([256.0 / width, 256.0 / height])
    distance = np.linalg.norm((pred_points - gt_points) * scale, axis=-1)
    correct_visibility = (pred_visible == gt_visible) & scored
    oa = correct_visibility.sum() / max(scored.sum(), 1) if scored.any() else float("nan")
    delta, jaccard = {}, {}
    gt_positive = (gt_visible & scored).sum()
    for threshold in THRESHOLDS:
        within = distance < threshold
        true_positive = (within & gt_visible & pred_visible & scored).sum()
        false_positive = (pred_visible & (~gt_visible | ~within) & scored).sum()
        delta[threshold] = float((within & gt_visible & scored).sum() / gt_positive) if gt_positive else float("nan")
        denominator = gt_positive + false_positive
        jaccard[threshold] = float(true_positive / denominator) if denominator else float("nan")
    return {
        "delta_avg": float(np.mean(list(delta.values()))),
        "aj": float(np.mean(list(jaccard.values()))),
        "oa": float(oa),
        "delta": delta,
        "jaccard": jaccard,
    }

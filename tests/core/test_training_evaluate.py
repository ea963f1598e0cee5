"""``evaluate``'s drawing and scoring without a server: what it draws for a clip, what it scores, and its refusals
(the run through ComfyUI is tests/host/test_training_evaluate.py)."""

import numpy as np
import pytest

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.training.evaluate import EvaluateSettings, bootstrap, drawn_paths, drawn_points, evaluate_clips, graph
from trackdiff_core.training.synthetic import SyntheticClips


def test_the_drawing_is_each_objects_median_motion_from_its_centroid_and_the_scored_points_move_with_it():
    clip = SyntheticClips(6, 64, 48, seed=2, max_objects=2, points_per_object=32).clip(1)
    paths = drawn_paths(clip)
    assert paths.shape == (len(clip.masks), 6, 2)
    points, visible, groups = drawn_points(clip, paths)
    first = clip.trajectories.visible[0]
    np.testing.assert_allclose(points[0], clip.trajectories.points[0, first] * (64, 48), atol=1e-5)
    truth = clip.trajectories.points * (64, 48)
    for n in range(len(clip.masks)):
        ys, xs = np.nonzero(clip.masks[n])
        np.testing.assert_allclose(paths[n, 0], (xs.mean(), ys.mean()), atol=1e-6)
        members = (clip.trajectories.groups == n) & clip.trajectories.visible.all(axis=0)
        if members.any():  # rigid motion: the drawing moves as the object's points do
            np.testing.assert_allclose(paths[n, -1] - paths[n, 0],
                                       np.median(truth[-1, members] - truth[0, members], axis=0), atol=0.6)
        np.testing.assert_allclose(points[:, groups == n] - points[:1, groups == n],
                                   np.repeat((paths[n] - paths[n, :1])[:, None], (groups == n).sum(), axis=1))
    assert visible.all()
    g = graph("cut_and_drag", "f.png", "l.png", paths, clip, EvaluateSettings("svd.safetensors"), "x")
    assert g["sampler"]["inputs"]["denoise"] == 0.4 and g["sampler"]["inputs"]["latent_image"] == ["guide_latent", 0]


def test_bad_conditions_a_missing_adapter_and_a_file_for_videos_are_refused_before_anything_runs(tmp_path):
    clip = SyntheticClips(4, 32, 32, seed=0, max_objects=1).clip(0)
    with pytest.raises(TrackDiffError, match="--conditions: is not a condition"):
        evaluate_clips(None, [clip], EvaluateSettings("svd.safetensors"), ("none", "paper"))
    with pytest.raises(TrackDiffError, match="--adapter: is needed for the adapter condition"):
        evaluate_clips(None, [clip], EvaluateSettings("svd.safetensors"), ("none", "adapter"))
    a_file = tmp_path / "videos.npy"
    a_file.write_bytes(b"")
    with pytest.raises(TrackDiffError, match="--videos: cannot be made a folder"):
        evaluate_clips(None, [clip], EvaluateSettings("svd.safetensors"), ("none",), videos=a_file)
    interval = bootstrap([1.0, 2.0, 3.0, 10.0])
    assert interval["low"] < interval["mean"] == 4.0 < interval["high"]


def test_the_paired_difference_separates_a_condition_that_is_better_on_every_clip_though_the_clips_vary_widely():
    from trackdiff_core.training.evaluate import paired_difference

    hard = [5.0, 40.0, 12.0, 30.0, 8.0, 25.0]  # clips of very different difficulty
    records = [{"clip": i, "condition": "none", "error": e} for i, e in enumerate(hard)]
    records += [{"clip": i, "condition": "adapter", "error": e - 2.0} for i, e in enumerate(hard)]
    records += [{"clip": 9, "condition": "adapter", "error": 0.0}]  # no baseline on that clip: left out
    apart = bootstrap([r["error"] for r in records if r["condition"] == "none"])
    together = bootstrap([r["error"] for r in records if r["condition"] == "adapter" and r["clip"] != 9])
    assert together["high"] > apart["low"]  # the separate intervals overlap ...
    difference = paired_difference(records, "adapter", "none")
    assert difference["mean"] == pytest.approx(-2.0) and difference["high"] == pytest.approx(-2.0)  # ... the pairs do not
    mixed = [dict(r, error=r["error"] + (4.0 if r["clip"] % 2 and r["condition"] == "adapter" else 0.0)) for r in records]
    assert paired_difference(mixed, "adapter", "none")["high"] > 0  # better on some clips, worse on others: no verdict

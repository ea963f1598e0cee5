"""``python -m trackdiff_core.training evaluate`` end to end against a live ComfyUI with the tiny SVD: held-out clips
sampled through /prompt with no control, an adapter and cut-and-drag, scored against the drawing (ObjMC) with 95 %
intervals. (A random adapter on a random tiny SVD: this checks the path and the scoring, not that control helps; the
toy world's trained adapter is what shows that.)"""

from __future__ import annotations

import json

import numpy as np

import comfy_host
import trackgo_helpers as th

ADAPTER = "evaluate_adapter.safetensors"


def test_evaluate_scores_every_condition_through_prompt(pack, tiny_svd, comfy_server, tmp_path):
    from trackdiff_core.training.cli import main, write_synthetic, build_parser

    m = th.modules(pack)
    folder = comfy_server.base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    m["trackgo"].save_adapter(th.random_adapter(m, tiny_svd.model), str(folder / ADAPTER))
    write_synthetic(build_parser().parse_args(["synth", "--out", str(tmp_path / "clips"), "--count", "2", "--frames",
                                               "4", "--width", "64", "--height", "64", "--seed", "3"]))
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--server", comfy_server.url, "--data", str(tmp_path / "clips"), "--clips", "2",
                 "--checkpoint-name", comfy_host.TINY_CHECKPOINT, "--adapter", ADAPTER, "--steps", "2", "--cfg", "1",
                 "--K", "2", "--points-s", "2", "--out", str(out), "--videos", str(tmp_path / "videos")]) == 0
    result = json.loads(out.read_text())
    assert sorted((r["clip"], r["condition"]) for r in result["records"]) == sorted(
        (c, k) for c in range(2) for k in ("none", "adapter", "cut_and_drag", "truth", "still"))
    for condition, score in result["summary"].items():
        for measure in ("error", "object_error"):  # ObjMC, and the objects' displacements
            error = score[measure]
            assert np.isfinite(error["mean"]) and error["low"] <= error["mean"] <= error["high"], (condition, measure)
        assert score["clips"] == 2 and 0.0 <= score["lost"] <= 1.0
        if condition in ("adapter", "cut_and_drag"):  # clip by clip against no control (not the references)
            for measure in ("minus_none", "object_minus_none"):
                difference = score[measure]
                assert difference["low"] <= difference["mean"] <= difference["high"], (condition, measure)
    assert not any("minus_none" in result["summary"][k] for k in ("none", "truth", "still"))
    assert result["settings"]["denoise"] == 0.4 and result["settings"]["adapter"] == ADAPTER
    # --videos: what was scored, to look at — each condition's decoded video and the clip's own frames
    kept = sorted(p.name for p in (tmp_path / "videos").iterdir())
    assert kept == sorted(f"clip{c}_{k}.npy" for c in range(2) for k in ("truth", "none", "adapter", "cut_and_drag"))
    for name in kept:
        video = np.load(tmp_path / "videos" / name)
        assert video.shape == (4, 64, 64, 3) and video.dtype == np.uint8, (name, video.shape, video.dtype)

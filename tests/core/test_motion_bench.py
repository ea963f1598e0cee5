"""`python -m bench tracking` runs without ComfyUI and prints the table the README publishes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_bench_tracking_quick_runs_without_comfyui_and_ranks_the_tracker_first(tmp_path):
    pytest.importorskip("skimage")
    env = {k: v for k, v in os.environ.items() if k != "COMFYUI_PATH"}
    env["OMP_NUM_THREADS"] = "1"
    out = tmp_path / "tracking.md"
    run = subprocess.run([sys.executable, "-m", "bench", "tracking", "--quick", "--out", str(out)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert out.read_text() == run.stdout
    main_table, _, rest = run.stdout.partition("By kind of point")
    rows = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\| ([^|]+?) \| ([0-9.]+) \|", main_table, re.M)}
    tracker = rows.pop("TrackDiff `track_points`")
    assert len(rows) == 2 and all(tracker > baseline + 0.15 for baseline in rows.values()), (tracker, rows)
    assert "seed 2026" in run.stdout
    # The limit is published in the same run: the same clips with objects cut from the textureless photographs.
    limit = rest.partition("Limit:")[2]
    assert "colorwheel" in limit and limit.count("| TrackDiff `track_points` |") == 1, rest


def test_bench_tracking_names_an_unknown_object_photograph():
    pytest.importorskip("skimage")
    env = {k: v for k, v in os.environ.items() if k != "COMFYUI_PATH"}
    run = subprocess.run([sys.executable, "-m", "bench", "tracking", "--quick", "--object-photos", "brick,nope"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "--object-photos: 'nope' is not one of the benchmark's photographs" in run.stderr

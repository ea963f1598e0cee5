"""Without a ComfyUI host the benchmark says what it needs and exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_without_a_host_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COMFYUI_PATH"}
    run = subprocess.run([sys.executable, "-m", "bench", "--out", str(tmp_path / "x.md")], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "needs ComfyUI: set COMFYUI_PATH" in run.stderr
    assert not (tmp_path / "x.md").exists()


def test_bench_writes_a_file_only_when_asked():
    from bench.__main__ import build_parser

    assert build_parser().parse_args([]).out is None  # printed only: a user's run never rewrites bench/latest.md
    assert build_parser().parse_args(["--out", "x.md"]).out == Path("x.md")

"""The benchmark command runs end to end and writes its table (quick mode; numbers are checked in test_bench_budgets)."""

from __future__ import annotations

import os
import subprocess
import sys

import comfy_host


def test_bench_quick_writes_the_table(tmp_path, comfy_lib):
    out = tmp_path / "bench.md"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=comfy_host.REPO_ROOT,
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    text = out.read_text()
    for heading in ("### Exact counts", "### Scaling", "### Wall-clock", "### Pre-processing", "### GPU"):
        assert heading in text
    assert "| ApplyTrackAdapter (adapter) | 14×576×1024, batch 2 | 1.00" in text
    assert text == run.stdout


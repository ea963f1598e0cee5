"""The benchmark command runs end to end and writes its table (quick mode; numbers are checked in test_bench_budgets)."""

from __future__ import annotations

import os
import subprocess
import sys

import comfy_host


def test_bench_quick_prints_the_table_and_leaves_the_tracked_one_alone(tmp_path, comfy_lib):
    """A user's run prints its table; the tracked bench/latest.md is only rewritten when asked with --out."""
    tracked = comfy_host.REPO_ROOT / "bench" / "latest.md"
    before = (tracked.read_bytes(), tracked.stat().st_mtime_ns)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(comfy_host.REPO_ROOT))
    run = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tracked.read_bytes(), tracked.stat().st_mtime_ns) == before and list(tmp_path.iterdir()) == []
    assert "pass --out FILE to keep it" in run.stderr
    text = run.stdout
    for heading in ("### Exact counts", "### Scaling", "### Wall-clock", "### Pre-processing", "### GPU"):
        assert heading in text
    assert "| ApplyTrackAdapter (adapter) | 14×576×1024, batch 2 | 1.00" in text



def test_gpu_section_helpers_sample_a_random_svd(comfy_lib):
    """The GPU section's model and conditioning (run on CPU at tiny width here; the GPU run only adds CUDA timing and
    memory statistics): ComfyUI loads the random-weight model and samples it."""
    import torch
    from svd_runner import sample
    from trackdiff_test_support.tiny_model import CONTEXT_DIM, FULL_UNET_CONFIG, TinySVD

    from bench.gpu import random_conditioning, random_svd

    model = random_svd("cpu", torch.float32, TinySVD, FULL_UNET_CONFIG)
    positive, negative, latent = random_conditioning(4, 64, 64, CONTEXT_DIM)
    out = sample(model, positive, negative, latent, steps=1)
    assert out.shape == (4, 4, 8, 8) and bool(torch.isfinite(out).all())

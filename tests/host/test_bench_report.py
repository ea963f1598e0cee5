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

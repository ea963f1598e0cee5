"""Assemble the benchmark's markdown report."""

from __future__ import annotations

import datetime
import platform
import tempfile
from pathlib import Path

import torch

from .cases import CASES
from .exact import ExactBench, Shape
from .wallclock import paired_ratio

MAIN_SHAPES = [Shape(14, 576, 1024), Shape(25, 576, 1024)]


def _fmt_params(n: int) -> str:
    return f"{n / 1e6:.1f} M" if n else "0"


def exact_section(bench: ExactBench) -> list[str]:
    lines = [
        "### Exact counts: full-size SVD UNet (1.5246 B parameters) on the meta device, fp16",
        "",
        "| case | shape | FLOPs × | peak memory × | added parameters | % of UNet |",
        "|---|---|---|---|---|---|",
    ]
    for shape in MAIN_SHAPES:
        stock = bench.stock(shape)
        lines.append(f"| stock SVD | {shape} | 1 ({stock.flops / 1e12:.2f} TFLOP) | 1 ({stock.peak_bytes / 2**30:.2f} GiB) "
                     f"| — | — |")
        for case in CASES:
            r = bench.ratio(case, shape)
            lines.append(f"| {case.name} | {shape} | {r.flops:.4f} | {r.peak:.4f} | {_fmt_params(r.added_parameters)} "
                         f"| {100 * r.parameter_share:.2f} % |")
    return lines


def wallclock_section(pack, quick: bool) -> list[str]:
    from svd_runner import TinySVD
    from trackdiff_test_support.tiny_svd import write_tiny_svd

    with tempfile.TemporaryDirectory() as folder:
        tiny = TinySVD(write_tiny_svd(str(Path(folder) / "tiny.safetensors")))
    lines = [
        "### Wall-clock: tiny SVD on CPU, one thread (informational)",
        "",
        "One sampling step (cond + uncond batched) at 14×128×128; interleaved stock / patched pairs; median of per-pair "
        "ratios with a 95 % bootstrap interval.",
        "",
        "| case | time × (median) | 95 % interval |",
        "|---|---|---|",
    ]
    positive, negative, latent = tiny.conditioning(128, 128, 14)
    from svd_runner import sample

    def step(model):
        return lambda: sample(model, positive, negative, latent, steps=1)

    for case in CASES:
        patched = case.build(pack, tiny.model, 4, 14, 128, 128)
        median, lo, hi = paired_ratio(step(tiny.model), step(patched), pairs=5 if quick else 15)
        lines.append(f"| {case.name} | {median:.3f} | {lo:.3f} – {hi:.3f} |")
    return lines


def build_report(pack, quick: bool = False) -> str:
    bench = ExactBench(pack)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    lines = [f"## Benchmark ({when}; torch {torch.__version__}; {platform.machine()} CPU)", ""]
    lines += exact_section(bench)
    lines += [""]
    lines += wallclock_section(pack, quick)
    return "\n".join(lines) + "\n"

"""Assemble the benchmark's markdown report."""

from __future__ import annotations

import datetime
import platform
import tempfile
from pathlib import Path

import torch

from .cases import CASES
from .exact import ExactBench, Shape
from .gpu import gpu_section
from .preprocess import measure_preprocessing
from .training import training_section
from .wallclock import paired_ratio

MAIN_SHAPES = [Shape(14, 576, 1024), Shape(25, 576, 1024)]
BUDGETS = {
    "identity patch (hooks only)": "FLOPs 1.00×, peak ≤ 1.08×",
    "InstanceEnhancer: fusers (released weights)": "FLOPs ≤ 1.36×, peak ≤ 1.08×",
    "InstanceEnhancer: box-masked fusers (`--box-mask`)": "FLOPs ≤ 1.35×, peak ≤ 1.01×",
    "ApplyTrackAdapter (adapter)": "FLOPs ≤ 1.03×, peak ≤ 1.01×, params ≤ 5 %",
}


def _params(n: int) -> str:
    return f"{n / 1e6:.1f} M" if n else "0"


def exact_section(bench: ExactBench) -> list[str]:
    lines = [
        f"### Exact counts: ComfyUI's full-size SVD UNet ({bench.parameters / 1e9:.4f} B parameters) on the meta device, "
        "fp16, cond + uncond batch",
        "",
        "FLOPs from `torch.utils.flop_counter` plus attention counted analytically; peak = live activation bytes with "
        "fast attention stood in by its output allocation (weights excluded). Ratios are patched ÷ stock at equal "
        "shapes, 4 objects.",
        "",
        "| case | shape | FLOPs × | peak memory × | added parameters | % of UNet | budget (asserted by tests) |",
        "|---|---|---|---|---|---|---|",
    ]
    for shape in MAIN_SHAPES:
        stock = bench.stock(shape)
        lines.append(f"| stock SVD | {shape} | 1 = {stock.flops / 1e12:.2f} TFLOP | 1 = {stock.peak_bytes / 2**30:.2f} GiB "
                     f"| — | — | |")
        for case in CASES:
            r = bench.ratio(case, shape)
            lines.append(f"| {case.name} | {shape} | {r.flops:.4f} | {r.peak:.4f} | {_params(r.added_parameters)} "
                         f"| {100 * r.parameter_share:.2f} % | {BUDGETS.get(case.name, '')} |")
    return lines


def scaling_section(bench: ExactBench) -> list[str]:
    cases = {}
    for case in CASES:  # the first (main) case of each method
        if case.method in ("trackdiffusion", "trackgo"):
            cases.setdefault(case.method, case)
    base = Shape(14, 576, 1024)
    lines = [
        "### Scaling (exact, patched ÷ stock FLOPs / peak memory)",
        "",
        "| case | objects (masks for TrackGo, 32 points each) 1 | 4 | 16 | 64 |",
        "|---|---|---|---|---|",
    ]
    for case in cases.values():
        cells = []
        for objects in (1, 4, 16, 64):
            if case.max_objects and objects > case.max_objects:
                cells.append(f"n/a (the weights have {case.max_objects} slots)")
                continue
            r = bench.ratio(case, base, objects)
            cells.append(f"{r.flops:.4f} / {r.peak:.4f}")
        lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
    lines += ["", "| case | 8 frames | 14 | 25 | 14 frames at 320×576 |", "|---|---|---|---|---|"]
    for case in cases.values():
        cells = []
        for shape in (Shape(8, 576, 1024), base, Shape(25, 576, 1024), Shape(14, 320, 576)):
            r = bench.ratio(case, shape)
            cells.append(f"{r.flops:.4f} / {r.peak:.4f}")
        lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
    return lines


def wallclock_section(pack, tiny, quick: bool) -> list[str]:
    from svd_runner import sample

    lines = [
        "### Wall-clock: tiny SVD on CPU, one thread (informational, not asserted)",
        "",
        "One sampling step (cond + uncond batched) at 14×128×128; interleaved stock / patched pairs; median of per-pair "
        "ratios with a 95 % bootstrap interval. The tiny model's blocks are 10× narrower, so fixed per-call costs weigh "
        "more here than at full size.",
        "",
        "| case | time × (median) | 95 % interval |",
        "|---|---|---|",
    ]
    positive, negative, latent = tiny.conditioning(128, 128, 14)

    def step(model):
        return lambda: sample(model, positive, negative, latent, steps=1)

    for case in CASES:
        patched = case.build(pack, tiny.model, 4, 14, 128, 128)
        median, lo, hi = paired_ratio(step(tiny.model), step(patched), pairs=5 if quick else 15)
        lines.append(f"| {case.name} | {median:.3f} | {lo:.3f} – {hi:.3f} |")
    return lines


def preprocessing_section(pack, tiny) -> list[str]:
    lines = [
        "### Pre-processing (tiny SVD, CPU, 14×128×128, 4 objects)",
        "",
        "| method | one build | one sampling step | build ÷ step | builds in a 3-step run |",
        "|---|---|---|---|---|",
    ]
    for p in measure_preprocessing(pack, tiny):
        lines.append(f"| {p.method} | {1e3 * p.seconds:.1f} ms | {1e3 * p.step_seconds:.0f} ms | "
                     f"{p.seconds / p.step_seconds:.3f} | {p.builds_per_run} |")
    return lines


def build_report(pack, quick: bool = False) -> str:
    from svd_runner import TinySVD
    from trackdiff_test_support.tiny_svd import write_tiny_svd

    bench = ExactBench(pack)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    threads = torch.get_num_threads()
    lines = [f"## Benchmark ({when}; torch {torch.__version__}; {platform.machine()}, {threads} "
             f"thread{'' if threads == 1 else 's'}; command `python -m bench`)", ""]
    lines += exact_section(bench) + [""]
    lines += scaling_section(bench) + [""]
    lines += training_section(pack) + [""]
    with tempfile.TemporaryDirectory() as folder:
        tiny = TinySVD(write_tiny_svd(str(Path(folder) / "tiny.safetensors")))
    lines += wallclock_section(pack, tiny, quick) + [""]
    lines += preprocessing_section(pack, tiny) + [""]
    lines += gpu_section(pack, bench, quick)
    return "\n".join(lines) + "\n"

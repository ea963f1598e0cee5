"""The result tables of docs/toy-world.md, from a run folder's JSON files and training logs (markdown)."""

from __future__ import annotations

import json
from pathlib import Path

LOSS_ROWS = (("true", "true tracks"), ("other", "another clip's motion"), ("reversed", "reversed motion"),
             ("still", "no motion (still)"), ("stock", "backbone alone (strength 0)"))


def _interval(values) -> str:
    mean, lo, hi = values
    return f"{mean:.4f} [{lo:.4f}, {hi:.4f}]"


def _caption(title: str, text: str) -> str:
    return f"{title}: {text}" if title else text[0].upper() + text[1:]


def _percent(values) -> str:
    mean, lo, hi = values
    return f"{100 * mean:+.1f} % [{100 * lo:+.1f}, {100 * hi:+.1f}]"


TRAININGS = ("backbone", "trackgo", "trackgo_appearance", "trackdiffusion", "trackdiffusion_fusers_only",
             "trackdiffusion_box_mask", "trackdiffusion_query_positions", "trackdiffusion_qp_gates", "instance_enhancer")
ADAPTERS = (("trackgo", "TrackGo adapter, the paper's input (displacement maps)"),
            ("trackgo_appearance", "TrackGo adapter with appearance channels (`--appearance-channels 4`)"))
BOX_RUNS = (("trackdiffusion", "TrackDiffusion as the authors train it (box encoder, fusers, conv_in/out, mix factors)"),
            ("trackdiffusion_fusers_only", "TrackDiffusion, box encoder and fusers only (`--no-unet-tensors`)"),
            ("trackdiffusion_box_mask", "TrackDiffusion, box-masked fusers (`--no-unet-tensors --box-mask`)"),
            ("trackdiffusion_query_positions", "TrackDiffusion, fusers with query positions (`--query-positions`)"),
            ("trackdiffusion_qp_gates", "TrackDiffusion, query positions, gates at 10 × lr (`--gate-lr-scale 10`)"))


def training_table(runs: Path) -> str:
    lines = ["| training | steps | held-out loss at start → end |", "|---|---|---|"]
    for name in TRAININGS:
        log = runs / name / "log.jsonl"
        if not log.is_file():
            continue
        records = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
        evals = [r for r in records if "eval_loss" in r]
        steps = max((r["step"] for r in records if "loss" in r), default=0)
        if evals:
            lines.append(f"| {name} | {steps} | {evals[0]['eval_loss']:.4f} (step {evals[0]['step']}) → "
                         f"{evals[-1]['eval_loss']:.4f} (step {evals[-1]['step']}) |")
    return "\n".join(lines)


def loss_gap_table(path: Path, title: str = "") -> str:
    data = json.loads(path.read_text())
    summary = data["summary"]
    lines = [_caption(title, f"denoising loss on {len(data['clips'])} held-out clips (σ ∈ {{0.7, 2, 6}} × 2 noise "
                             "seeds; mean and 95 % bootstrap interval over clips):")]
    lines += ["", "| tracks given | EDM loss | relative to the true tracks |", "|---|---|---|"]
    for key, label in LOSS_ROWS:
        if key in summary:
            gap = "—" if key == "true" else _percent(summary[key]["gap_vs_true"])
            lines.append(f"| {label} | {_interval(summary[key]['loss'])} | {gap} |")
    return "\n".join(lines)


BOX_ROWS = (("true", "true boxes"), ("other", "another clip's motion"), ("reversed", "reversed motion"),
            ("still", "no motion (still)"), ("no_boxes", "no boxes (presence 0)"))


def box_loss_gap_table(path: Path, title: str = "TrackDiffusion") -> str:
    data = json.loads(path.read_text())
    summary = data["summary"]
    lines = [f"{title}: denoising loss on {len(data['clips'])} held-out clips (as above):", "",
             "| boxes given | EDM loss | relative to the true boxes |", "|---|---|---|"]
    for key, label in BOX_ROWS:
        if key in summary:
            gap = "—" if key == "true" else _percent(summary[key]["gap_vs_true"])
            lines.append(f"| {label} | {_interval(summary[key]['loss'])} | {gap} |")
    return "\n".join(lines)


def prediction_table(path: Path, title: str = "") -> str:
    data = json.loads(path.read_text())
    summary = data["summary"]
    lines = [f"{title}: the denoiser's one-step prediction ``D(x₀ + σn; σ)`` measured like a video, against where the "
             "true motion puts each shape (px; mean and 95 % interval over clips, 2 noise seeds; frames lost):", "",
             "| σ | true tracks | another clip's motion | no tracks (backbone) |", "|---|---|---|---|"]
    sigmas = dict.fromkeys(key.split("/")[0] for key in summary)
    for sigma in sigmas:
        cells = []
        for name in ("true", "other", "none"):
            row = summary.get(f"{sigma}/{name}")
            cells.append("—" if row is None else f"{row['error'][0]:.1f} [{row['error'][1]:.1f}, {row['error'][2]:.1f}]"
                         f", {100 * row['lost']:.0f} % lost")
        lines.append(f"| {sigma} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sampling_table(path: Path, title: str = "") -> str:
    data = json.loads(path.read_text())
    clips = len({r["clip"] for r in data["records"]})
    lines = [_caption(title, f"videos sampled through `/prompt` (KSampler, {clips} held-out clips): distance between "
                             "where each shape is and where the drawing puts it, pixels of the 96×96 frame (a shape not "
                             "found counts as the frame diagonal, 136 px); mean and 95 % bootstrap interval over clips:"),
             "",
             "| condition | trajectory error (px) | error where found (px) | frames lost |", "|---|---|---|---|"]
    for name, row in data["summary"].items():
        mean, lo, hi = row["error"]
        lines.append(f"| {name} | {mean:.1f} [{lo:.1f}, {hi:.1f}] | {row['found_error']:.1f} | "
                     f"{100 * row['lost']:.0f} % |")
    return "\n".join(lines)


def objmc_table(path: Path, title: str = "") -> str:
    data = json.loads(path.read_text())
    settings = data["settings"]
    clips = len({r["clip"] for r in data["records"]})
    lines = [_caption(title, f"the training CLI's `evaluate` through `/prompt` (KSampler, {settings['steps']} steps, CFG "
                             f"{settings['cfg']:g}; {clips} held-out clips), in pixels of the 96×96 frame: ObjMC (each "
                             "object's first-frame points moved along its drawn path against where the pack's tracker "
                             "finds them in the generated video, where found) and the objects' error (each object's "
                             "first-frame appearance found in every frame, its displacement against the drawn one); "
                             "mean and 95 % bootstrap interval over clips, and minus no control clip by clip; truth "
                             "and still are the clips' own frames and their first frame held, not sampled:"),
             "", "| condition | ObjMC | minus none | points lost | objects | minus none |", "|---|---|---|---|---|---|"]

    def interval(value: dict | None, sign: str = "") -> str:
        if not value:
            return ""
        return f"{value['mean']:{sign}.1f} [{value['low']:{sign}.1f}, {value['high']:{sign}.1f}]"

    for name, row in data["summary"].items():
        lines.append(f"| {name} | {interval(row['error'])} | {interval(row.get('minus_none'), '+')} | "
                     f"{100 * row['lost']:.0f} % | {interval(row.get('object_error'))} | "
                     f"{interval(row.get('object_minus_none'), '+')} |")
    return "\n".join(lines)


BOX_SAMPLES = (("trackdiffusion_box_mask", "box-masked fusers"),
               ("instance_enhancer", "box-masked fusers + Instance Enhancer"))


def box_sampling_table(runs: Path) -> str:
    rows = []
    for name, label in BOX_SAMPLES:
        path = runs / f"{name}_sampling.json"
        if not path.is_file():
            continue
        summary = json.loads(path.read_text())["summary"]
        for condition, text in (("ceiling", "the ground truth through the toy VAE (the ceiling)"),
                                ("none", "no control (vs the true boxes)"), ("true", "true boxes"),
                                ("other", "another clip's boxes (vs those)")):
            if condition in summary:
                mean, lo, hi = summary[condition]["iou"]
                rows.append(f"| {label} | {text} | {mean:.3f} [{lo:.3f}, {hi:.3f}] | "
                            f"{100 * summary[condition]['lost']:.0f} % |")
    if not rows:
        return ""
    return "\n".join(["TrackDiffusion in videos sampled through `/prompt` (TrackletEditor → InstanceEnhancer → KSampler): "
                      "per-frame IoU of each generated shape's box with the drawn box (mean and 95 % interval over "
                      "clips; boxes whose shape was not found count 0):", "",
                      "| weights | boxes drawn | IoU | boxes lost |", "|---|---|---|---|", *rows])


def report(runs: Path) -> str:
    parts = [training_table(runs)]
    for name, title in ADAPTERS:
        for suffix, table in (("loss_gap", loss_gap_table), ("prediction_error", prediction_table),
                              ("sampling", sampling_table), ("objmc", objmc_table)):
            if (runs / f"{name}_{suffix}.json").is_file():
                parts.append(table(runs / f"{name}_{suffix}.json", title))
    for name, title in BOX_RUNS:
        if (runs / f"{name}_loss_gap.json").is_file():
            parts.append(box_loss_gap_table(runs / f"{name}_loss_gap.json", title))
    parts.append(box_sampling_table(runs))
    return "\n\n".join(p for p in parts if p) + "\n"

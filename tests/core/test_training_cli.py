"""``python -m trackdiff_core.training``: sub-commands, backends by name, and clear failures."""

import json
import os
import subprocess
import sys
from pathlib import Path

from trackdiff_core.trackgo import load_adapter
from trackdiff_core.training import ClipFolder
from trackdiff_core.training.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
TOY = "training_toy_backend:ToyBackend"  # tests/core is on sys.path under pytest


def test_synth_writes_loadable_clips(tmp_path):
    assert main(["synth", "--out", str(tmp_path), "--count", "3", "--frames", "5", "--width", "40", "--height", "32",
                 "--points-per-object", "8"]) == 0
    folder = ClipFolder(str(tmp_path))
    assert len(folder) == 3 and folder.clip(2).frames.shape == (5, 32, 40, 3)


def test_trackgo_subcommand_trains_on_clip_files_with_a_named_backend(tmp_path):
    main(["synth", "--out", str(tmp_path / "clips"), "--count", "2", "--frames", "6", "--width", "32", "--height", "32"])
    args = ["trackgo", "--backend", TOY, "--data", str(tmp_path / "clips"), "--out", str(tmp_path / "run"),
            "--steps", "3", "--frames", "6", "--width", "32", "--height", "32", "--encoder-channels", "8,8",
            "--K", "3", "--s", "2", "--tau", "0.4", "--paper", "--save-every", "2"]  # the toy net has no image latent
    assert main(args) == 0
    adapter = load_adapter(str(tmp_path / "run" / "trackgo_adapter.safetensors"))
    config = adapter.config
    assert (config.points_k, config.points_s, config.tau, config.frames, config.encoder_channels) == (3, 2, 0.4, 6, (8, 8))
    assert config.appearance_channels == 0  # --paper: the paper's input
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == [
        "step_0000002.optimizer.safetensors", "step_0000002.safetensors",
        "step_0000003.optimizer.safetensors", "step_0000003.safetensors"]
    assert main(args) == 2  # the folder holds that run: refused without --resume
    assert main(args[:-2] + ["--steps", "5", "--resume"]) == 0
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5]


def test_bad_options_fail_with_a_message(tmp_path, caplog):
    assert main(["trackgo", "--backend", TOY, "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    assert "holds no .safetensors clip" in caplog.text
    assert main(["trackgo", "--backend", "no_such_module:Thing", "--out", str(tmp_path / "run")]) == 2
    assert "--backend: cannot be imported" in caplog.text
    assert main(["trackgo", "--backend", TOY, "--out", str(tmp_path / "r2"), "--tau", "3"]) == 2
    assert "tau: must be a number between 0 and 1" in caplog.text
    assert main(["trackgo", "--backend", TOY, "--out", str(tmp_path / "r3"), "--batch-size", "0"]) == 2
    assert "--batch-size: must be a whole number from 1 to 4096" in caplog.text
    assert main(["trackdiffusion", "--backend", "training_toy_box_backend:ToyBoxBackend", "--paper", "--data", "toy",
                 "--frames", "6", "--width", "32", "--height", "32", "--box-hidden", "32", "--checkpointing",
                 "--out", str(tmp_path / "r4")]) == 2  # a backend that gives no frozen blocks
    assert "--checkpointing: needs the backend's frozen blocks" in caplog.text


def test_the_module_entry_point_explains_a_missing_comfyui(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "trackdiff_core.training", "trackgo", "--out", str(tmp_path),
                           "--comfyui", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 2
    assert "--comfyui: is not a ComfyUI folder" in done.stderr and "Fix: point it at the folder" in done.stderr


def test_every_listed_task_is_a_sub_command_and_no_task_module_imports_the_list():
    from trackdiff_core.training.tasks import BUILTIN_TASKS

    commands = build_parser()._subparsers._group_actions[0].choices
    assert {task.name for task in BUILTIN_TASKS} <= set(commands) and "synth" in commands
    # The registry imports the task modules, never the other way: a task module alone leaves the list unloaded.
    modules = [task.__module__ for task in BUILTIN_TASKS]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "assert 'trackdiff_core.training.tasks' not in sys.modules, sorted(sys.modules)\n")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr

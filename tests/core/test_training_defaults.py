"""New trainings default to the designs the toy world measured better (docs/toy-world.md); ``--paper`` or the explicit
options give the papers' designs; files are read by what they say they are, whatever the defaults."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.trackdiffusion.weights_format import save_weights
from trackdiff_core.trackgo import TrackAdapter, TrackGoConfig, load_adapter, save_adapter
from trackdiff_core.training.cli import build_parser
from trackdiff_core.training.trackdiffusion_task import TrackDiffusionTask
from trackdiff_core.training.trackgo_task import TrackGoTask

from training_toy_backend import ToyBackend
from training_toy_box_backend import ToyBoxBackend, toy_weights


def task_for(*argv):
    args = build_parser().parse_args([*argv, "--out", "unused"])
    return {"trackgo": TrackGoTask, "trackdiffusion": TrackDiffusionTask}[args.command].from_arguments(args)


def test_trackgo_trains_with_appearance_channels_unless_the_paper_is_asked_for():
    assert task_for("trackgo").config.appearance_channels == 4
    assert task_for("trackgo", "--paper").config.appearance_channels == 0
    assert task_for("trackgo", "--appearance-channels", "0").config.appearance_channels == 0
    assert task_for("trackgo", "--paper", "--appearance-channels", "0").config == task_for("trackgo", "--paper").config
    # everything else is the paper's in both designs
    paper, ours = task_for("trackgo", "--paper").config, task_for("trackgo").config
    assert ours == TrackGoConfig(**{**paper.__dict__, "appearance_channels": 4})
    with pytest.raises(TrackDiffError, match="--appearance-channels: is not the paper's design"):
        task_for("trackgo", "--paper", "--appearance-channels", "4")


def test_trackdiffusion_from_scratch_trains_box_masked_fusers_unless_the_paper_is_asked_for():
    default, paper = task_for("trackdiffusion"), task_for("trackdiffusion", "--paper")
    assert (default.box_mask, default.query_positions, default.unet_tensors) == (True, False, True)
    assert (paper.box_mask, paper.query_positions, paper.unet_tensors) == (False, False, True)
    assert task_for("trackdiffusion", "--no-box-mask").settings() == paper.settings()
    assert task_for("trackdiffusion", "--paper", "--no-unet-tensors").unet_tensors is False  # a training choice
    for option in ("--box-mask", "--query-positions"):
        with pytest.raises(TrackDiffError, match=f"{option}: is not the paper's design"):
            task_for("trackdiffusion", "--paper", option)
    fresh = default.build(ToyBoxBackend())
    assert all(fuser.box_mask is not None for fuser in fresh.trackdiffusion.fusers.values())
    fresh = paper.build(ToyBoxBackend())
    assert all(fuser.box_mask is None for fuser in fresh.trackdiffusion.fusers.values())


def test_an_adapter_file_written_before_appearance_channels_existed_loads_as_the_papers_design(tmp_path):
    adapter = TrackAdapter(ToyBackend().site_specs(), TrackGoConfig(encoder_channels=(8, 8)))
    path = tmp_path / "new.safetensors"
    save_adapter(adapter, str(path), steps=5)
    with safe_open(str(path), framework="pt") as handle:
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
        metadata = dict(handle.metadata())
    config = json.loads(metadata["config"])
    del config["appearance_channels"]  # as files of the first format version were written
    old = tmp_path / "old.safetensors"
    save_file(tensors, str(old), metadata={**metadata, "config": json.dumps(config)})
    loaded = load_adapter(str(old))
    assert loaded.config.appearance_channels == 0 and loaded.trained_steps == 5
    # and a run resumed or started (--init) from it keeps what the file is, whatever the training default
    assert task_for("trackgo").load(str(old), ToyBackend()).config.appearance_channels == 0


def test_box_weights_without_a_box_mask_flag_load_unmasked_under_the_box_mask_default(tmp_path):
    path = tmp_path / "authors.safetensors"
    save_weights(str(path), toy_weights(seed=1), dtype=None)  # the released weights carry no box_mask flag
    module = task_for("trackdiffusion").load(str(path), ToyBoxBackend())
    assert all(fuser.box_mask is None for fuser in module.trackdiffusion.fusers.values())
    for site, state in toy_weights(seed=1).fusers.items():  # the file's own fusers, not fresh ones
        torch.testing.assert_close(module.trackdiffusion.fusers[site].alpha_attn.detach().reshape(()),
                                   state["alpha_attn"].reshape(()).float())

"""The converter's output name and stage label: named after its source, so overwriting can only replace an earlier copy
of the same file, and labelled with the stage the source is."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from safetensors import safe_open

from trackdiff_core import TrackDiffError
from trackdiff_core.trackdiffusion.convert import convert

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import trackdiffusion_checkpoint as ckpt  # noqa: E402


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    return Path(ckpt.write_released(tmp_path_factory.mktemp("models") / "trackdiffusion_svd_stage2.safetensors"))


def stage_of(path) -> str:
    with safe_open(str(path), "pt") as f:
        return f.metadata()["stage"]


def test_default_name_follows_the_source_and_stage_is_read_from_it(released, tmp_path):
    source = tmp_path / released.name
    shutil.copy(released, source)
    out, weights = convert(str(source), dtype="float16")
    assert Path(out) == tmp_path / "trackdiffusion_svd_stage2.fp16.safetensors"
    assert weights.stage == "stage2" and stage_of(out) == "stage2"
    # Converting the copy again to float32 replaces its dtype suffix instead of stacking one.
    again, _ = convert(out, dtype="float32")
    assert Path(again) == tmp_path / "trackdiffusion_svd_stage2.fp32.safetensors" and stage_of(again) == "stage2"


def test_two_sources_never_share_a_default_name(released, tmp_path):
    """The old default (trackdiffusion_<stage>.<dtype>) let a second source's overwrite replace the first's copy."""
    (tmp_path / "svd_stage2").mkdir()
    first, second = tmp_path / "mine_stage2.safetensors", tmp_path / "svd_stage2" / "diffusion_pytorch_model.safetensors"
    shutil.copy(released, first)
    shutil.copy(released, second)
    a, _ = convert(str(first))
    b, _ = convert(str(second), overwrite=True)
    assert a != b and Path(a).exists() and Path(b).exists()
    assert Path(b).parent == second.parent  # beside its own source, in its folder
    assert stage_of(b) == "stage2"  # the folder name says it


def test_stage_unknown_is_refused_unless_given(released, tmp_path):
    source = tmp_path / "my_weights.safetensors"
    shutil.copy(released, source)
    with pytest.raises(TrackDiffError, match="stage: cannot be told from 'my_weights.safetensors'.*set stage to stage2"):
        convert(str(source))
    out, weights = convert(str(source), stage="stage1")
    assert weights.stage == "stage1" and stage_of(out) == "stage1"
    with pytest.raises(TrackDiffError, match="stage: is not a stage"):
        convert(str(source), stage="3")


def test_messages_name_files_not_server_folders(released, tmp_path):
    source = tmp_path / released.name
    shutil.copy(released, source)
    out, _ = convert(str(source))
    with pytest.raises(TrackDiffError, match="output: already exists") as info:
        convert(str(source))
    assert str(tmp_path) not in str(info.value) and Path(out).name in str(info.value)

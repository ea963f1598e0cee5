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


def test_default_name_carries_the_stage_read_from_the_source(released, tmp_path):
    (tmp_path / "svd_stage1").mkdir()
    source = tmp_path / "svd_stage1" / "diffusion_pytorch_model.safetensors"  # the authors' layout: the folder says
    shutil.copy(released, source)
    out, weights = convert(str(source), dtype="float16")
    assert Path(out) == source.parent / "trackdiffusion_stage1.fp16.safetensors"
    assert weights.stage == "stage1" and stage_of(out) == "stage1"  # recorded, not "unknown"
    again, _ = convert(out, dtype="float32")  # a converted file carries its stage in its metadata
    assert Path(again).name == "trackdiffusion_stage1.fp32.safetensors" and stage_of(again) == "stage1"


def test_overwrite_replaces_only_an_earlier_copy_of_the_same_source(released, tmp_path):
    """Two sources of the same stage map to the same default name: overwriting may refresh a copy of the same source,
    but never replace another source's copy or a file the converter did not make."""
    first, second = tmp_path / "released_stage2.safetensors", tmp_path / "finetuned_stage2.safetensors"
    shutil.copy(released, first)
    shutil.copy(released, second)
    out, _ = convert(str(first))
    assert convert(str(first), overwrite=True)[0] == out  # the same source: refreshed
    before = Path(out).read_bytes()
    with pytest.raises(TrackDiffError, match="is a copy of 'released_stage2.safetensors', so overwriting would lose"):
        convert(str(second), overwrite=True)
    assert Path(out).read_bytes() == before
    unrelated = tmp_path / "notes.safetensors"
    unrelated.write_text("my notes")
    with pytest.raises(TrackDiffError, match="is not a copy this converter made"):
        convert(str(first), str(unrelated), overwrite=True)
    assert unrelated.read_text() == "my notes"


def test_stage_unknown_is_refused_unless_given(released, tmp_path):
    source = tmp_path / "my_weights.safetensors"
    shutil.copy(released, source)
    with pytest.raises(TrackDiffError, match="stage: cannot be told from 'my_weights.safetensors'.*set stage to"):
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

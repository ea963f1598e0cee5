"""The one safetensors reader: every message is true of the file it names (empty, truncated, pickle, not safetensors)."""

import pickle
import struct

import pytest
import torch
from safetensors.torch import save_file

from trackdiff_core import TrackDiffError
from trackdiff_core.safetensors_file import diagnose, open_safetensors
from trackdiff_core.trackdiffusion import load_weights
from trackdiff_core.trackgo.weights import load_adapter


@pytest.fixture
def whole(tmp_path):
    path = tmp_path / "whole.safetensors"
    save_file({"a": torch.arange(64, dtype=torch.float32).reshape(8, 8), "b": torch.ones(3)}, str(path))
    return path


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_whole_file_opens(whole):
    assert diagnose(str(whole)) is None
    with open_safetensors(str(whole), "weights", "whole.safetensors", {"default": "x"}) as f:
        assert sorted(f.keys()) == ["a", "b"]


def test_each_broken_file_gets_the_message_that_is_true_of_it(whole, tmp_path):
    data = whole.read_bytes()
    header = struct.unpack("<Q", data[:8])[0]
    cases = {
        "empty": (b"", "empty", "is empty (0 bytes)"),
        "short_header": (data[: 8 + header // 2], "truncated", f"its header alone needs {8 + header} bytes"),
        "short_data": (data[:-10], "truncated", f"its tensors need {len(data)} bytes but the file has {len(data) - 10}"),
        "pickle": (pickle.dumps({"w": [0.0]}), "pickle", "is a PyTorch pickle or zip checkpoint"),
        "text": (b"hello, this is not a weights file", "not_safetensors", "does not start with a safetensors header"),
    }
    torch.save({"w": torch.zeros(2)}, str(tmp_path / "zip.pt"))
    cases["zip"] = ((tmp_path / "zip.pt").read_bytes(), "pickle", "is a PyTorch pickle or zip checkpoint")
    for name, (content, kind, text) in cases.items():
        found = diagnose(write(tmp_path, f"{name}.safetensors", content))
        assert found is not None and found[0] == kind and text in found[1], (name, found)


def test_a_truncated_file_whose_header_length_starts_like_a_pickle_is_called_truncated(tmp_path):
    """A header of 0x0280 bytes starts with b"\\x80\\x02" (a pickle's first two bytes); cut short it is truncated."""
    meta = {"pad": "x" * (0x0280 - 60)}
    path = tmp_path / "odd.safetensors"
    save_file({"t": torch.zeros(4)}, str(path), metadata=meta)
    data = path.read_bytes()
    length = struct.unpack("<Q", data[:8])[0]
    padded = data if length % 256 == 0x80 else None
    if padded is None:  # make the header length end in 0x80 exactly by growing the metadata
        meta["pad"] += " " * ((0x80 - length) % 256)
        save_file({"t": torch.zeros(4)}, str(path), metadata=meta)
        data = path.read_bytes()
    assert data[:1] == b"\x80"
    cut = write(tmp_path, "cut.safetensors", data[:-3])
    for load in (load_weights, load_adapter):
        with pytest.raises(TrackDiffError, match="is truncated") as info:
            load(cut)
        assert "pickle" not in str(info.value)


def test_the_loaders_say_empty_for_an_empty_file(tmp_path):
    empty = write(tmp_path, "empty.safetensors", b"")
    for load in (load_weights, load_adapter):
        with pytest.raises(TrackDiffError, match=r"is empty \(0 bytes\)") as info:
            load(empty)
        assert "truncated" not in str(info.value) and "incomplete" not in str(info.value)
        assert str(tmp_path) not in str(info.value)  # names the file, never the server path

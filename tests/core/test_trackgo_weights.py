"""TrackGo adapter files: round trip, metadata, and a clear error for every wrong file."""

import json
import pickle

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.trackgo import (SiteCall, SiteSpec, TrackAdapter, TrackGoConfig, TrackGoGuide, TrackGoRuntime,
                                    check_adapter_fits, load_adapter, save_adapter)
from trackdiff_core.trackgo.weights import FORMAT

from trackgo_builders import SMALL, moving_points, randomize_outputs


@pytest.fixture
def saved(tmp_path):
    adapter = randomize_outputs(TrackAdapter(SMALL, TrackGoConfig(points_k=5, points_s=2, tau=0.35, frames=6,
                                                                  width=64, height=48)))
    path = tmp_path / "adapter.safetensors"
    save_adapter(adapter, str(path), steps=12)
    return adapter, path


def outputs(adapter):
    runtime = TrackGoRuntime(adapter, TrackGoGuide(moving_points()))
    call = SiteCall(6, [0], 8, 8, 8, 8)
    gen = torch.Generator().manual_seed(0)
    n, y = torch.randn(64, 6, 16, generator=gen), torch.randn(64, 6, 16, generator=gen)
    return runtime.merge("input_1", y, call, runtime.branch("input_1", n, call))


def test_round_trip_gives_identical_outputs_and_says_how_it_was_trained(saved):
    adapter, path = saved
    loaded = load_adapter(str(path))
    assert torch.equal(outputs(adapter), outputs(loaded))
    assert loaded.config == adapter.config and loaded.trained_steps == 12
    assert not any(p.requires_grad for p in loaded.parameters())
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata()
    assert meta["format"] == FORMAT and meta["format_version"] == "1"
    assert (meta["K"], meta["s"], meta["tau"], meta["frames"], meta["size"]) == ("5", "2", "0.35", "6", "64x48")
    assert [s["key"] for s in json.loads(meta["sites"])] == ["input_1", "middle_0"]


def rewrite(path, tmp_path, change):
    with safe_open(str(path), framework="pt") as handle:
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
        meta = dict(handle.metadata())
    change(tensors, meta)
    out = tmp_path / "changed.safetensors"
    save_file(tensors, str(out), metadata=meta)
    return out


@pytest.mark.parametrize("change, needle", [
    (lambda t, m: t.pop("sites.input_1.to_q.weight"), "lacks tensor sites.input_1.to_q.weight"),
    (lambda t, m: t.__setitem__("sites.extra.weight", torch.zeros(2)), "has an unexpected tensor sites.extra.weight"),
    (lambda t, m: t.__setitem__("sites.input_1.to_q.weight", torch.zeros(3, 16)), r"has shape \(3, 16\), expected"),
    (lambda t, m: t["encoder.stem.0.weight"].fill_(float("nan")), "contains NaN or infinity"),
    (lambda t, m: m.pop("format"), "is not a TrackGo adapter .it has no TrackDiff format metadata"),
    (lambda t, m: m.__setitem__("format", "trackdiff.trackdiffusion"), 'its format is "trackdiff.trackdiffusion"'),
    (lambda t, m: m.__setitem__("format_version", "9"), "has format version '9'"),
    (lambda t, m: m.__setitem__("config", "{broken"), "config: is not JSON"),
    (lambda t, m: m.__setitem__("sites", "[]"), "has no site list"),
])
def test_wrong_contents_are_clear_errors(saved, tmp_path, change, needle):
    _, path = saved
    with pytest.raises(TrackDiffError, match=needle):
        load_adapter(str(rewrite(path, tmp_path, change)))


def test_truncated_file_is_a_clear_error(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(TrackDiffError, match="is truncated: its tensors need .*download or copy it again"):
        load_adapter(str(cut))


def test_pickled_checkpoints_are_refused_without_unpickling(tmp_path):
    state = tmp_path / "adapter.pt"
    torch.save({"weight": torch.zeros(2)}, str(state))
    raw = tmp_path / "adapter.pkl"
    raw.write_bytes(pickle.dumps({"weight": [0.0]}))
    for path in (state, raw):
        with pytest.raises(TrackDiffError, match="is a PyTorch pickle or zip checkpoint .*TrackDiff never unpickles"):
            load_adapter(str(path))
    with pytest.raises(TrackDiffError, match="does not exist"):
        load_adapter(str(tmp_path / "missing.safetensors"))


def test_fit_check_names_the_mismatch():
    adapter = TrackAdapter(SMALL, TrackGoConfig())
    check_adapter_fits(adapter, SMALL)
    other = [SiteSpec("input_1", 32, 2, 16, 0), SiteSpec("middle_0", 32, 2, 16, 1)]
    with pytest.raises(TrackDiffError, match=r"does not fit this model \(widths \[32\]; first differing layer input_1\)"):
        check_adapter_fits(adapter, other)


def test_an_adapter_that_reads_appearance_round_trips_and_needs_the_first_frame(tmp_path):
    """``appearance_channels`` is written with the adapter; the loaded one reads the first frame's latent where tracks
    start (another picture gives another output) and refuses, naming the fix, to run without it."""
    adapter = randomize_outputs(TrackAdapter(SMALL, TrackGoConfig(frames=6, width=64, height=64, appearance_channels=4)))
    assert adapter.encoder.stem[0].in_channels == 9
    path = tmp_path / "appearance.safetensors"
    save_adapter(adapter, str(path), steps=3)
    loaded = load_adapter(str(path))
    assert loaded.config.appearance_channels == 4

    def run(image, call_id):
        runtime = TrackGoRuntime(loaded, TrackGoGuide(moving_points()))
        call = SiteCall(6, [0], 8, 8, 8, 8, appearance=image, call_id=call_id)
        gen = torch.Generator().manual_seed(0)
        n, y = torch.randn(64, 6, 16, generator=gen), torch.randn(64, 6, 16, generator=gen)
        return runtime.merge("input_1", y, call, runtime.branch("input_1", n, call))

    image = torch.randn(4, 8, 8, generator=torch.Generator().manual_seed(1))
    assert torch.equal(run(image, 1), run(image.clone(), 2))
    assert not torch.allclose(run(image, 1), run(-image, 1))
    with pytest.raises(TrackDiffError, match="appearance_channels: needs the first frame's latent.*gives None.*SVD_img2vid_Conditioning"):
        run(None, 1)
    with pytest.raises(TrackDiffError, match="appearance_channels"):
        TrackGoConfig(appearance_channels=-1)


def test_appearance_features_are_built_once_per_run_and_again_only_for_another_picture():
    """The sites of a call and the steps of a run share one build; a run with another first frame (the same tracks)
    builds anew, and its features differ."""
    adapter = randomize_outputs(TrackAdapter(SMALL, TrackGoConfig(appearance_channels=4)))
    runtime = TrackGoRuntime(adapter, TrackGoGuide(moving_points()))
    n = torch.randn(64, 6, 16)
    picture, other = torch.randn(4, 8, 8), torch.randn(4, 8, 8)
    built = []
    for call_id, image in ((1, picture), (1, picture), (2, picture.clone()), (3, other), (4, other)):
        built.append(runtime.prepare(SiteCall(6, [0], 8, 8, 8, 8, appearance=image, call_id=call_id), n.device,
                                     n.dtype))
    assert runtime.preparations == 2
    assert built[0] is built[2] and built[3] is built[4] and built[3] is not built[0]
    assert not torch.equal(built[0].features[0], built[3].features[0])

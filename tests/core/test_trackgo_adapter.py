"""The TrackAdapter, its merge equation and the run-time that host hooks call (no ComfyUI needed)."""

import pytest
import torch

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.trackgo import (SiteCall, TrackAdapter, TrackGoConfig, TrackGoGuide, TrackGoRuntime,
                                    attention_loss, merge_branches)

from trackgo_builders import SMALL, SVD_PARAMETERS, moving_points, randomize_outputs, svd_sites


def test_full_size_adapter_is_well_under_five_percent_of_the_unet():
    adapter = TrackAdapter(svd_sites(), TrackGoConfig())
    share = adapter.parameter_count() / SVD_PARAMETERS
    assert share < 0.01, share
    assert set(adapter.sites) == {s.key for s in svd_sites()} and adapter.levels == 4


def test_untrained_adapter_adds_exactly_nothing():
    adapter = TrackAdapter(SMALL, TrackGoConfig())
    n = torch.randn(2 * 16, 6, 16)
    runtime = TrackGoRuntime(adapter, TrackGoGuide(moving_points()), strength=1.0, tau=1.0)
    call = SiteCall(6, [0, 1], 4, 4, 4, 4)
    attended = runtime.branch("input_1", n, call)
    assert attended.shape == (16, 6, 4)  # the narrow branch (head width 8 / ratio 4, 2 heads) for the cond rows
    delta = adapter.sites["input_1"].project(attended)
    assert delta.shape == (16, 6, 16) and torch.equal(delta, torch.zeros_like(delta))
    y = torch.randn_like(n)
    assert torch.equal(runtime.merge("input_1", y, call, attended), y)
    with torch.no_grad():  # the in-place inference path too
        assert torch.equal(runtime.merge("input_1", y, call, attended), y)


def test_merge_equation_inside_and_outside_the_region():
    y, delta = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    mask = torch.tensor([1.0, 0.25])[:, None, None]  # row 0 in the region, row 1 outside (tau = 0.25)
    out = merge_branches(y, delta, mask, 0.8)
    torch.testing.assert_close(out[0], y[0] + 0.8 * delta[0])
    torch.testing.assert_close(out[1], y[1] * (1 - 0.8 * 0.75) + 0.8 * 0.25 * delta[1])
    assert torch.equal(merge_branches(y, delta, mask, 0.0), y)  # strength 0: exactly the original
    strong = merge_branches(y, None, torch.tensor([0.0])[:, None, None], 2.0)
    assert torch.equal(strong, torch.zeros_like(y))  # never negative, even at s = 2 and tau = 0


def test_unconditional_rows_are_untouched_and_conditional_rows_follow_the_region():
    adapter = randomize_outputs(TrackAdapter(SMALL, TrackGoConfig()))
    runtime = TrackGoRuntime(adapter, TrackGoGuide(moving_points()), strength=1.0, tau=0.5)
    call = SiteCall(6, [1, 0], 8, 8, 8, 8)
    n, y = torch.randn(128, 6, 16), torch.randn(128, 6, 16)
    attended = runtime.branch("input_1", n, call)
    out = runtime.merge("input_1", y, call, attended)
    with torch.no_grad():
        assert torch.equal(runtime.merge("input_1", y, call, attended), out)
    delta = adapter.sites["input_1"].project(attended)
    assert torch.equal(out[:64], y[:64])
    region = runtime.prepare(call, y.device, y.dtype).regions[0]
    assert region.any() and not region.all()
    outside = ~region
    torch.testing.assert_close(out[64:][outside], y[64:][outside] * 0.5 + 0.5 * delta[outside])
    torch.testing.assert_close(out[64:][region], y[64:][region] + delta[region])


def test_maps_features_and_masks_are_built_once_per_run_and_rebuilt_in_training():
    adapter = TrackAdapter(SMALL, TrackGoConfig())
    runtime = TrackGoRuntime(adapter, TrackGoGuide(moving_points()), tau=0.5)
    level0, level1 = SiteCall(6, [0], 8, 8, 8, 8), SiteCall(6, [0], 4, 4, 8, 8)
    for _ in range(3):  # three steps, two layers each
        runtime.branch("input_1", torch.randn(64, 6, 16), level0)
        runtime.branch("middle_0", torch.randn(16, 6, 32), level1)
    assert runtime.preparations == 1
    runtime.branch("input_1", torch.randn(64, 4, 16), SiteCall(4, [0], 8, 8, 8, 8))
    assert runtime.preparations == 2  # a new frame count is a new run
    training = TrackGoRuntime(adapter, TrackGoGuide(moving_points()), tau=0.5, training=True)
    training.branch("input_1", torch.randn(64, 6, 16), level0)
    training.branch("input_1", torch.randn(64, 6, 16), level0)
    assert training.preparations == 2


def test_trajectories_are_resampled_to_the_models_frame_count():
    adapter = TrackAdapter(SMALL, TrackGoConfig())
    runtime = TrackGoRuntime(adapter, TrackGoGuide(moving_points(frames=4)), tau=0.5)
    prepared = runtime.prepare(SiteCall(9, [0], 8, 8, 8, 8), torch.device("cpu"), torch.float32)
    assert prepared.features[0].shape == (64, 9, 16)


def test_a_layer_at_the_wrong_resolution_or_unknown_is_a_clear_error():
    adapter = TrackAdapter(SMALL, TrackGoConfig())
    runtime = TrackGoRuntime(adapter, TrackGoGuide(moving_points()), tau=0.5)
    with pytest.raises(TrackDiffError, match="expects level 1"):
        runtime.branch("middle_0", torch.randn(64, 6, 32), SiteCall(6, [0], 8, 8, 8, 8))
    with pytest.raises(TrackDiffError, match="has no branch for this temporal layer"):
        runtime.branch("output_3", torch.randn(64, 6, 16), SiteCall(6, [0], 8, 8, 8, 8))
    with pytest.raises(TrackDiffError, match="do not split into 2 chunks"):
        runtime.merge("input_1", torch.randn(65, 6, 16), SiteCall(6, [0, 1], 8, 8, 8, 8), None)


def test_zero_weight_mode_only_suppresses():
    runtime = TrackGoRuntime(None, TrackGoGuide(moving_points()), strength=1.0, tau=0.2)
    call = SiteCall(6, [0], 8, 8, 8, 8)
    assert runtime.branch("input_1", torch.randn(64, 6, 16), call) is None
    y = torch.randn(64, 6, 16)
    out = runtime.merge("input_1", y, call, None)
    region = runtime.prepare(call, y.device, y.dtype).regions[0]
    assert torch.equal(out[region], y[region])
    torch.testing.assert_close(out[~region], y[~region] * 0.2)
    assert TrackGoRuntime(None, TrackGoGuide(moving_points())).tau == TrackGoConfig().tau


def test_attention_loss_measures_the_branch_outside_the_region():
    y = torch.randn(4, 3, 8)
    inside = torch.tensor([True, True, False, False])
    quiet = torch.zeros(4, 3, 8)
    quiet[:2] = 5.0
    assert float(attention_loss(quiet, y, inside)) == 0.0  # all activity where trajectories pass
    leaky = quiet.clone()
    leaky[2:] = 1.0
    expected = 1.0 / float(y.pow(2).mean())
    assert float(attention_loss(leaky, y, inside)) == pytest.approx(expected, rel=1e-5)
    delta = leaky.clone().requires_grad_(True)
    attention_loss(delta, y, inside).backward()
    assert delta.grad[:2].abs().max() == 0 and delta.grad[2:].min() > 0


@pytest.mark.parametrize("bad, needle", [
    ({"tau": 1.5}, "tau: must be a number between 0 and 1"),
    ({"tau": float("nan")}, "tau: must be a number between 0 and 1"),
    ({"points_k": 0}, "K: must be at least 1"),
    ({"encoder_channels": ()}, "encoder_channels"),
    ({"attention_loss_weight": -1}, "attention_loss_weight"),
])
def test_config_validation(bad, needle):
    with pytest.raises(TrackDiffError, match=needle):
        TrackGoConfig(**bad)


def test_config_round_trips_through_json():
    config = TrackGoConfig(points_k=5, points_s=3, tau=0.3, encoder_channels=(8, 8))
    assert TrackGoConfig.from_json(config.to_json()) == config
    with pytest.raises(TrackDiffError, match="is not a TrackGo setting"):
        TrackGoConfig.from_json(config.to_json().replace('"tau"', '"tua"'))

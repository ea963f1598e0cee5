"""The toy-world proof's pipeline at CI size (issue 10; the experiment itself is docs/toy-world.md): a world whose
motion the first frame cannot tell, a backbone trained on it with no control (runs, resumes exactly, loss falls), a
TrackGo adapter on the frozen result, the loss gap between true and wrong tracks, and the shape measurement."""

import json

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open

from experiments.toy_world.loss_gap import bootstrap, loss_gap, with_motion
from experiments.toy_world.measure import drawn_motion, measure, object_motion, targets, trajectory_error
from trackdiff_core.trackgo import TrackGoConfig
from trackdiff_core.training import Trainer
from trackdiff_core.training.backbone_task import BackboneTask
from trackdiff_core.training.loop import EVAL_OFFSET
from trackdiff_core.training.toy_world import PALETTE, ToyWorldClips
from trackdiff_core.training.trackgo_task import TrackGoTask

from training_toy_backend import ToyBackend

SIZE, FRAMES = 32, 6


def world(**options):
    return ToyWorldClips(frames=FRAMES, width=SIZE, height=SIZE, seed=3, max_objects=3, points_per_object=16, **options)


def tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def test_clips_are_reproducible_with_distinct_palette_colours():
    a, b = world().clip(5), world().clip(5)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.trajectories.points, b.trajectories.points)
    for index in range(20):
        clip = world().clip(index)
        colours = clip.tracklets.colors
        assert 2 <= len(colours) <= 3 or len(colours) == 1  # an object hidden at frame 0 is dropped
        assert len({tuple(c) for c in colours}) == len(colours)
        assert all(np.abs(PALETTE - c).sum(axis=1).min() < 1e-6 for c in colours)


def test_the_first_frame_does_not_tell_where_shapes_go():
    """Directions are uniform over clips, speeds vary, and shapes leave and enter the frame."""
    toy = ToyWorldClips(frames=8, width=64, height=64, seed=0, max_objects=4)
    moves = np.concatenate([object_motion(toy.clip(i))[:, -1] for i in range(120)])
    moving = moves[np.linalg.norm(moves, axis=1) > 1e-6]
    directions = moving / np.linalg.norm(moving, axis=1, keepdims=True)
    assert np.linalg.norm(directions.mean(axis=0)) < 0.15  # no preferred direction
    lengths = np.linalg.norm(moving, axis=1)
    assert lengths.min() < 0.25 and lengths.max() > 0.5
    assert 0.05 < 1 - len(moving) / len(moves) < 0.3  # some shapes stay put
    visible = [toy.clip(i).tracklets.visible for i in range(60)]
    assert any((~v[-1]).any() for v in visible)  # shapes leave the frame


def test_background_is_the_clip_without_its_shapes():
    toy = world()
    clip, background = toy.clip(2), toy.background(2)
    uncovered = ~clip.masks.any(axis=0)
    assert np.abs(clip.frames[0][uncovered] / 255.0 - background[uncovered]).max() <= 0.5 / 255 + 1e-6


def blocky(frames):
    x = torch.from_numpy(np.asarray(frames, np.float32)).movedim(-1, 1)
    return F.interpolate(F.avg_pool2d(x, 8), scale_factor=8, mode="nearest").movedim(1, -1).numpy()


def test_measurement_finds_shapes_where_true_tracks_put_them_and_not_where_wrong_ones_do():
    toy = ToyWorldClips(frames=8, width=96, height=96, seed=1, max_objects=4)
    errors = {"true": [], "reversed": []}
    for index in range(EVAL_OFFSET, EVAL_OFFSET + 8):
        clip = toy.clip(index)
        areas = clip.masks.reshape(len(clip.masks), -1).sum(axis=1)
        found = measure(blocky(clip.frames / 255.0), blocky(toy.background(index)[None])[0], clip.tracklets.colors,
                        areas)
        for variant in errors:
            where, measurable = targets(drawn_motion(clip, variant), clip.masks)
            errors[variant].append(trajectory_error(found, where, measurable, float(np.hypot(96, 96)))["error"])
    assert np.nanmean(errors["true"]) < 3.0  # the 8x8 blocks of the toy VAE cost under 3 px
    assert np.nanmean(errors["reversed"]) > 5 * np.nanmean(errors["true"])


def test_backbone_trains_resumes_exactly_and_loss_falls(tmp_path):
    def run(out, steps, resume=False):
        return Trainer(BackboneTask(condition_dropout=0.2), ToyBackend(), world(), str(out), steps, lr=3e-3,
                       save_every=4, seed=2, eval_every=steps if not resume else 0, eval_clips=6,
                       resume=resume).run()

    straight = run(tmp_path / "a", 16)
    assert straight.evaluations[-1]["eval_loss"] < straight.evaluations[0]["eval_loss"]
    run(tmp_path / "b", 8)
    resumed = run(tmp_path / "b", 16, resume=True)
    first, second = tensors(straight.output), tensors(resumed.output)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    steps = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines() if '"loss"' in x]
    assert {r["dropped"] for r in steps} == {0, 1}  # unconditional steps happen (for guided sampling)


def test_adapter_on_the_frozen_backbone_and_its_loss_gap(tmp_path):
    backbone = Trainer(BackboneTask(), ToyBackend(), world(), str(tmp_path / "backbone"), 8, lr=3e-3, seed=2).run()
    backend = ToyBackend()
    backend.load_video_model(str(backbone.output))
    frozen = {k: v.clone() for k, v in backend.net.state_dict().items()}
    config = TrackGoConfig(frames=FRAMES, width=SIZE, height=SIZE, encoder_channels=(8, 8), points_k=4, points_s=2)
    task = TrackGoTask(config)
    result = Trainer(task, backend, world(), str(tmp_path / "adapter"), 12, lr=3e-3, seed=4).run()
    assert all(torch.equal(frozen[k], v) for k, v in backend.net.state_dict().items())  # the backbone stays frozen
    gap = loss_gap(task, result.module, backend, world(), [EVAL_OFFSET + i for i in range(3)])
    assert len(gap["clips"]) == 3 and set(gap["summary"]) == {"true", "other", "reversed", "still", "stock"}
    assert all(np.isfinite(c[name]) for c in gap["clips"] for name in gap["summary"])
    # strength 0 is the backbone alone: the same loss whatever the tracks say
    task.runtime.strength = 0.0
    clip = world().clip(EVAL_OFFSET)
    x0 = backend.encode_frames(clip.frames)
    noise, sigma = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0)), torch.tensor([2.0])
    with torch.no_grad():
        losses = [task.denoising_terms(result.module, with_motion(clip, drawn_motion(clip, v)), backend, x0, sigma,
                                       noise, torch.Generator().manual_seed(1))[0] for v in ("true", "reversed")]
    assert torch.equal(losses[0], losses[1])


def test_bootstrap_interval_contains_the_mean():
    mean, lo, hi = bootstrap([1.0, 2.0, 3.0, 4.0, 10.0])
    assert lo <= mean <= hi and mean == 4.0

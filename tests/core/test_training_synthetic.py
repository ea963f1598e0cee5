"""The synthetic clip generator and the clip file format (ground truth must be exact: training depends on it)."""

import numpy as np
import pytest

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.training import ClipFolder, SyntheticClips, load_clip, save_clip


@pytest.fixture(scope="module")
def clips():
    source = SyntheticClips(frames=8, width=64, height=48, seed=3, max_objects=3, points_per_object=24)
    return [source.clip(i) for i in range(6)]


def test_clips_are_a_pure_function_of_seed_and_index(clips):
    again = SyntheticClips(frames=8, width=64, height=48, seed=3, max_objects=3, points_per_object=24).clip(2)
    assert np.array_equal(again.frames, clips[2].frames) and again.trajectories.allclose(clips[2].trajectories, 0)
    other = SyntheticClips(frames=8, width=64, height=48, seed=4, max_objects=3, points_per_object=24).clip(2)
    assert not np.array_equal(other.frames, clips[2].frames)


def test_shapes_and_counts(clips):
    for clip in clips:
        count = len(clip.masks)
        assert clip.frames.shape == (8, 48, 64, 3) and clip.frames.dtype == np.uint8
        assert 1 <= count <= 3 and clip.tracklets.num_objects == count == clip.trajectories.num_groups
        assert clip.trajectories.num_points == 24 * count
    assert len({len(c.masks) for c in clips}) > 1  # varying object counts


def test_points_move_rigidly_with_their_object_and_start_in_its_mask(clips):
    moving = 0
    for clip in clips:
        traj = clip.trajectories
        for group in range(traj.num_groups):
            pts = traj.points[:, traj.groups == group]
            moves = pts - pts[:1]
            assert np.allclose(moves, moves[:, :1], atol=1e-6)  # one displacement per object per frame
            moving += bool(np.abs(moves).max() > 0.05)
            start = pts[0]
            cols, rows = (start[:, 0] * 64).astype(int), (start[:, 1] * 48).astype(int)
            assert clip.masks[group][rows, cols].all()
    assert moving >= 3


def test_visible_points_lie_in_their_objects_box_and_look_like_it(clips):
    for clip in clips:
        traj, boxes = clip.trajectories, clip.tracklets.boxes
        for t in range(clip.num_frames):
            for p in np.flatnonzero(traj.visible[t]):
                g = traj.groups[p]
                x, y = traj.points[t, p]
                x1, y1, x2, y2 = boxes[t, g]
                assert clip.tracklets.visible[t, g] and x1 <= x <= x2 and y1 <= y <= y2
        # A visible point keeps its object's hue: compare frame 0 and the last frame at the point.
        last = clip.num_frames - 1
        both = np.flatnonzero(traj.visible[0] & traj.visible[last])
        for p in both[:10]:
            a = clip.frames[0][int(traj.points[0, p, 1] * 48), int(traj.points[0, p, 0] * 64)].astype(float)
            b = clip.frames[last][int(traj.points[last, p, 1] * 48), int(traj.points[last, p, 0] * 64)].astype(float)
            color = clip.tracklets.colors[traj.groups[p]] * 255
            assert np.abs(a / (a.sum() + 1) - color / (color.sum() + 1)).max() < 0.12
            assert np.abs(b / (b.sum() + 1) - color / (color.sum() + 1)).max() < 0.12


def test_clip_files_round_trip_and_folders_list_them(clips, tmp_path):
    for index, clip in enumerate(clips[:3]):
        save_clip(clip, str(tmp_path / f"clip_{index}.safetensors"))
    folder = ClipFolder(str(tmp_path))
    assert len(folder) == 3
    loaded = folder.clip(1)
    assert np.array_equal(loaded.frames, clips[1].frames) and np.array_equal(loaded.masks, clips[1].masks)
    assert loaded.trajectories.allclose(clips[1].trajectories, 0) and loaded.tracklets.allclose(clips[1].tracklets, 0)
    assert loaded.tracklets.labels == clips[1].tracklets.labels


def test_bad_clip_sources_are_clear_errors(tmp_path):
    with pytest.raises(TrackDiffError, match="holds no .safetensors clip"):
        ClipFolder(str(tmp_path))
    from safetensors.torch import save_file
    import torch

    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"), metadata={"format": "something"})
    with pytest.raises(TrackDiffError, match="is not a TrackDiff clip"):
        load_clip(str(tmp_path / "other.safetensors"))

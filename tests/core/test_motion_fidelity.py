"""motion_fidelity (ObjMC): near the tracker's floor on a video that follows the drawing, clearly higher on one that
does not move."""

from __future__ import annotations

import logging

import numpy as np

from trackdiff_core.motion import motion_fidelity

from motion_clips import evaluate_toy_clips, small_clip, toy_vae_blocks


def test_a_video_that_follows_the_drawing_scores_near_the_floor_and_a_still_one_far_above():
    clip = small_clip()
    # The "drawing": the ground-truth tracks of the points visible at frame 0, grouped by what they lie on.
    chosen = np.flatnonzero(clip.visible[0])
    drawn, drawn_visible = clip.points[:, chosen], clip.visible[:, chosen]
    groups = clip.on_object[chosen] + 1  # 0 = background, 1.. = objects
    followed = motion_fidelity(drawn, drawn_visible, clip.frames, groups=groups)
    still = motion_fidelity(drawn, drawn_visible, np.repeat(clip.frames[:1], len(clip.frames), axis=0), groups=groups)
    assert followed.per_frame.shape == (12,) and followed.per_object.shape == (int(groups.max()) + 1,)
    assert followed.per_frame[0] == 0.0
    # Measured 2.77 px, 46.9 px for the still video. Of the 2.77: the object that leaves fast and comes back is found
    # late (8.0 px on its points); one background point 14 px from it is carried off with it (a boundary point, see
    # the docs' limits). Before the tracker's fine-level retry it was 1.63 px with 24 % of the points lost, not 13 %.
    assert followed.mean < 3.0, followed
    assert still.mean > 10 * followed.mean and still.mean > 10.0, (still.mean, followed.mean)
    assert 0.0 <= followed.lost_fraction < 0.2, followed.lost_fraction  # measured 0.13


def test_points_inside_flat_coloured_moving_shapes_move_with_their_shape():
    """The toy world's shapes are one flat colour each (nothing for a local tracker to hold on to inside them): their
    points must still follow the shape, so a ground-truth video scores near the floor and the still first frame far
    above. Clips 1 and 3 hold the largest flat shapes moving 40-56 px."""
    from trackdiff_core.training.toy_world import ToyWorldClips

    world = ToyWorldClips(frames=12, width=128, height=128, seed=0)
    for index in (1, 3):
        clip = world.clip(index)
        drawn = clip.trajectories.points.astype(np.float64) * 128
        visible, groups = clip.trajectories.visible, clip.trajectories.groups
        followed = motion_fidelity(drawn, visible, clip.frames, groups=groups)
        still = motion_fidelity(drawn, visible, np.repeat(clip.frames[:1], 12, axis=0), groups=groups)
        assert followed.mean < 2.0 and np.nanmax(followed.per_object) < 3.0, (index, followed)
        assert still.mean > 10 * followed.mean, (index, still.mean, followed.mean)


def test_the_toy_vaes_blocky_videos_put_the_scores_floor_near_a_still_video():
    """Why ObjMC cannot rank a toy-world adapter, and `evaluate` also reports its object measure (docs/toy-world.md,
    rerun of 2026-12-06): the toy VAE decodes each 8×8 block to its mean colour, and on the held-out clips' true motion
    rendered so, ObjMC is already most of the way to a still video's (measured 10.4 px against 18.3; 2.9 px on the
    sharp videos). tests/core/test_object_motion.py measures the object measure on the same clips."""
    from trackdiff_core.training.evaluate import drawn_paths, drawn_points

    sharp, blocky, still = [], [], []
    for clip in evaluate_toy_clips():
        points, visible, groups = drawn_points(clip, drawn_paths(clip))
        sharp.append(motion_fidelity(points, visible, clip.frames, groups).mean)
        blocky.append(motion_fidelity(points, visible, toy_vae_blocks(clip.frames), groups).mean)
        still.append(motion_fidelity(points, visible, np.repeat(clip.frames[:1], 8, axis=0), groups).mean)
    sharp, blocky, still = np.nanmean(sharp), np.nanmean(blocky), np.nanmean(still)
    logging.getLogger(__name__).info("ObjMC on evaluate's 16 toy clips: sharp truth %.1f px, truth in 8×8 blocks %.1f "
                                     "px, still video %.1f px", sharp, blocky, still)
    assert sharp < 4.0 and blocky > 2.5 * sharp and still - blocky < blocky, (sharp, blocky, still)

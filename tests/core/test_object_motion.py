"""object_motion_error: each object's first-frame appearance found frame by frame, against its drawn displacement — the
measure `evaluate` reports next to ObjMC, for videos a point tracker cannot follow."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.motion.object_motion import object_motion_error

from motion_clips import evaluate_toy_clips, toy_vae_blocks


def _textured(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    small = rng.integers(0, 256, (height // cell + 1, width // cell + 1, 3), dtype=np.uint8)
    return cv2.resize(small, (width + cell, height + cell), interpolation=cv2.INTER_CUBIC)[:height, :width]


def _moving_object_video(width=640, height=360, frames=6, vanish_from=None, seed=0):
    """A textured square (72 px) moving 14 px right and 6 px down per frame over a textured, still background; the
    object is gone (background only) from frame ``vanish_from``. Returns frames, mask, the drawn path."""
    rng = np.random.default_rng(seed)
    background = _textured(rng, height, width, 24)
    patch = _textured(rng, 72, 72, 6)
    start = np.array([150.0, 100.0])
    path = np.array([start + t * np.array([14.0, 6.0]) for t in range(frames)])
    video = np.repeat(background[None], frames, axis=0)
    for t in range(frames):
        if vanish_from is not None and t >= vanish_from:
            continue
        x, y = path[t].astype(int)
        video[t, y:y + 72, x:x + 72] = patch
    mask = np.zeros((height, width), bool)
    mask[100:172, 150:222] = True
    return video, mask[None], path[None]


def test_a_video_that_follows_the_drawing_scores_near_zero_a_still_one_its_drawn_displacement():
    video, masks, paths = _moving_object_video()  # 640 px wide: searched at 256 px and scaled back
    followed = object_motion_error(masks, paths, video)
    assert followed.mean < 3.0, followed  # one pixel at the search size is 2.5 px here
    np.testing.assert_allclose(followed.displacements[0, -1], paths[0, -1] - paths[0, 0], atol=3.0)
    assert followed.per_frame.shape == (6,) and followed.per_frame[0] == 0.0 and followed.per_object.shape == (1,)
    still = object_motion_error(masks, paths, np.repeat(video[:1], 6, axis=0))
    drawn = np.linalg.norm(paths[0, 1:] - paths[0, :1], axis=-1)
    assert still.mean == pytest.approx(drawn.mean())  # found where it started: off by the whole drawn motion
    vanished = object_motion_error(masks, paths, _moving_object_video(vanish_from=2)[0])
    assert vanished.per_frame[1] < 3.0 and vanished.per_frame[2:].min() > 10.0, vanished.per_frame


def test_on_the_toy_worlds_held_out_clips_true_motion_scores_far_below_a_still_video_even_through_8x8_blocks():
    """`evaluate`'s toy clips (docs/toy-world.md): ObjMC on the true motion through the toy VAE's 8×8 blocks is 10.4 px
    against 18.3 px still (tests/core/test_motion_fidelity.py); this measure keeps a wider gap."""
    from trackdiff_core.training.evaluate import drawn_paths

    sharp, blocky, still = [], [], []
    for clip in evaluate_toy_clips():
        masks, paths = np.stack(clip.masks), drawn_paths(clip)
        sharp.append(object_motion_error(masks, paths, clip.frames).mean)
        blocky.append(object_motion_error(masks, paths, toy_vae_blocks(clip.frames)).mean)
        still.append(object_motion_error(masks, paths, np.repeat(clip.frames[:1], 8, axis=0)).mean)
    sharp, blocky, still = float(np.mean(sharp)), float(np.mean(blocky)), float(np.mean(still))
    logging.getLogger(__name__).info("object motion error on evaluate's 16 toy clips: sharp truth %.1f px, truth in "
                                     "8×8 blocks %.1f px, still video %.1f px", sharp, blocky, still)
    # Measured 6.4, 10.0 and 18.4 px (the sharp truth is not 0: objects overlap and leave the frame).
    assert sharp < 8.0 and blocky < 12.0 and still > 1.7 * blocky, (sharp, blocky, still)


def test_bad_inputs_are_refused_naming_the_input():
    video = np.random.default_rng(0).integers(0, 256, (3, 96, 128, 3), dtype=np.uint8)
    masks = np.zeros((1, 96, 128), bool)
    masks[0, 20:40, 30:60] = True
    paths = np.array([[[45.0, 30.0], [47.0, 31.0], [49.0, 32.0]]])
    assert object_motion_error(masks, paths, video).per_object.shape == (1,)
    with pytest.raises(TrackDiffError, match=r"masks\[0\]: .*has no pixel"):
        object_motion_error(np.zeros_like(masks), paths, video)
    with pytest.raises(TrackDiffError, match="masks: .*must be \\[objects, 96, 128\\]"):
        object_motion_error(masks[:, :64], paths, video)
    with pytest.raises(TrackDiffError, match="masks: do not match the 1 drawn paths .got .2 masks"):
        object_motion_error(np.concatenate([masks, masks]), paths, video)
    with pytest.raises(TrackDiffError, match="drawn_paths: .*do not match the video's 3"):
        object_motion_error(masks, paths[:, :2], video)
    with pytest.raises(TrackDiffError, match="drawn_paths: .*NaN"):
        object_motion_error(masks, np.where(paths > 0, np.nan, paths), video)
    with pytest.raises(TrackDiffError, match="video_frames"):
        object_motion_error(masks, paths, video[..., :2])
    with pytest.raises(TrackDiffError, match="search: .*out of range"):
        object_motion_error(masks, paths, video, search=0.0)
    with pytest.raises(TrackDiffError, match="margin: .*out of range"):
        object_motion_error(masks, paths, video, margin=-1)

"""The experimental zero-weight guide: masked regions of the first frame dragged along their tracks."""

import json

import numpy as np
import pytest

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.trackgo.cut_and_drag import render_cut_and_drag
from trackdiff_core.trackgo.inputs import build_objects

W, H = 80, 60


def scene():
    image = np.zeros((H, W, 3), np.float32)
    image[...] = np.linspace(0.2, 0.4, W)[None, :, None]  # a smooth background
    image[20:30, 10:20] = (1.0, 0.0, 0.0)  # a red square
    mask = np.zeros((H, W), bool)
    mask[20:30, 10:20] = True
    path = json.dumps([[{"x": 15, "y": 25}, {"x": 55, "y": 35}]])
    objects = build_objects(None, mask[None], arrows=path, points_k=4, points_s=4, frame_count=5, width=W, height=H)
    return image, objects


def redness(frame):
    return frame[..., 0] - frame[..., 1]


def test_the_object_travels_along_its_arrow_and_leaves_an_inpainted_hole():
    image, objects = scene()
    frames = render_cut_and_drag(image, objects.trajectories, objects.masks, fill="inpaint", feather=0.0)
    assert frames.shape == (5, H, W, 3) and frames.dtype == np.float32
    np.testing.assert_allclose(frames[0][20:30, 10:20], image[20:30, 10:20], atol=1e-6)  # frame 0 is the image
    last = frames[-1]
    assert redness(last[31:39, 51:59]).min() > 0.9  # moved by (+40, +10) pixels
    assert redness(last[21:29, 11:19]).max() < 0.3  # the hole is filled from the background
    middle = frames[2]
    assert redness(middle[26:34, 31:39]).min() > 0.9  # half way at the middle frame


def test_keep_leaves_the_original_in_place():
    image, objects = scene()
    last = render_cut_and_drag(image, objects.trajectories, objects.masks, fill="keep", feather=0.0)[-1]
    assert redness(last[21:29, 11:19]).min() > 0.9 and redness(last[31:39, 51:59]).min() > 0.9


def test_without_masks_the_points_hull_is_moved():
    image, objects = scene()
    last = render_cut_and_drag(image, objects.trajectories, None, fill="keep", feather=0.0)[-1]
    assert redness(last[33:37, 53:57]).min() > 0.9


@pytest.mark.parametrize("change, needle", [
    (lambda i, m: (i, np.zeros((2, H, W), bool)), "masks: must hold one mask per object"),
    (lambda i, m: (np.full_like(i, np.nan), m), "image: contains NaN"),
    (lambda i, m: (i[..., 0], m), "image: must be an image"),
])
def test_bad_input_is_a_clear_error(change, needle):
    image, objects = scene()
    image, masks = change(image, objects.masks)
    with pytest.raises(TrackDiffError, match=needle):
        render_cut_and_drag(image, objects.trajectories, masks)
    with pytest.raises(TrackDiffError, match="fill: is not a known fill"):
        render_cut_and_drag(scene()[0], objects.trajectories, objects.masks, fill="smear")

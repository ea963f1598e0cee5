"""Tracks made on a whole image, moved into the centre crop ComfyUI makes for the video."""

import numpy as np
import pytest

from trackdiff_core import MaskArrowDocument, TrackletDocument, Tracklets
from trackdiff_core.crop import center_crop_box, crop_document, crop_tracklets
from trackdiff_core.masks import rle_encode


def test_crop_box_matches_comfyui_rounding():
    assert center_crop_box(1024, 576, 1024, 576) == (0.0, 0.0, 1.0, 1.0)
    x1, y1, x2, y2 = center_crop_box(640, 480, 1024, 576)  # 4:3 -> 16:9 cuts rows: round((480 - 360) / 2) = 60
    assert (x1, x2) == (0.0, 1.0) and (y1, y2) == pytest.approx((60 / 480, 420 / 480))
    x1, _, x2, _ = center_crop_box(112, 64, 96, 64)  # round((112 - 96) / 2) = 8 columns each side
    assert (x1, x2) == pytest.approx((8 / 112, 104 / 112))


def test_boxes_are_mapped_clipped_and_hidden_outside():
    box = center_crop_box(200, 100, 100, 100)  # keep x 50..150
    t = Tracklets([[[0.3, 0.2, 0.5, 0.6], [0.0, 0.0, 0.2, 0.2], [0.6, 0.1, 0.9, 0.4]]])
    c = crop_tracklets(t, box)
    np.testing.assert_allclose(c.boxes[0, 0], [0.1, 0.2, 0.5, 0.6], atol=1e-6)
    assert not c.visible[0, 1]  # entirely left of the crop
    np.testing.assert_allclose(c.boxes[0, 2], [0.7, 0.1, 1.0, 0.4], atol=1e-6)  # clipped at the right edge


def test_documents_of_both_kinds():
    box = center_crop_box(200, 100, 100, 100)
    doc = TrackletDocument.parse({"version": 1, "kind": "tracklets", "frame_count": 2, "objects": [
        {"id": 1, "color": "#ff0000", "keyframes": [{"frame": 0, "box": [0.3, 0.2, 0.5, 0.6]}]}]})
    np.testing.assert_allclose(crop_document(doc, box).to_tracklets().boxes[0, 0], [0.1, 0.2, 0.5, 0.6], atol=1e-6)
    mask = np.zeros((10, 20), bool)
    mask[2:5, 8:12] = True  # inside the kept middle
    arrows = MaskArrowDocument.parse({"version": 1, "kind": "mask_arrows", "frame_count": 4, "objects": [
        {"id": 0, "color": "#00ff00", "mask": rle_encode(mask), "path": [[0.5, 0.3], [0.95, 0.3]]},
        {"id": 1, "color": "#0000ff", "mask": rle_encode(np.pad(np.ones((2, 2), bool), ((0, 8), (0, 18)))),
         "path": [[0.05, 0.05]]}]})
    cropped = crop_document(arrows, box)
    assert [o.id for o in cropped.objects] == [0]  # the second object is outside the crop
    assert cropped.objects[0].decoded_mask().shape == (10, 10)
    assert cropped.objects[0].path == ((0.5, 0.3), (1.0, 0.3))  # clamped to the frame


def test_points_and_masks_follow_the_crop():
    from trackdiff_core import PointTrajectories
    from trackdiff_core.crop import crop_masks, crop_trajectories

    box = center_crop_box(200, 100, 100, 100)  # keep x 0.25 .. 0.75
    traj = PointTrajectories([[[0.5, 0.5], [0.1, 0.5]]])
    cropped = crop_trajectories(traj, box)
    np.testing.assert_allclose(cropped.points[0, 0], [0.5, 0.5], atol=1e-6)
    assert cropped.visible.tolist() == [[True, False]]  # the second point is left of the crop: hidden
    masks = np.zeros((1, 10, 20), bool)
    masks[0, :, 5:15] = True
    assert crop_masks(masks, box).shape == (1, 10, 10) and crop_masks(masks, box).all()

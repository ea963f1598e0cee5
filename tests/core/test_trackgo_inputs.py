"""MaskArrowToTrajectories' logic: masks + arrows from the document, a STRING or TRACKS -> trajectories and TRACKS."""

import json
import math

import numpy as np
import pytest
import torch

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.mask_arrow_document import MaskArrowDocument
from trackdiff_core.masks import rle_encode
from trackdiff_core.trackgo import MASKS_KEY, SIZE_KEY, TrackGoGuide
from trackdiff_core.trackgo.inputs import build_objects

W, H = 64, 48


def square(x0, y0, x1, y1, width=W, height=H):
    mask = np.zeros((height, width), bool)
    mask[y0:y1, x0:x1] = True
    return mask


def document(objects, frame_count=8):
    return MaskArrowDocument.parse(json.dumps({"version": 1, "kind": "mask_arrows", "frame_count": frame_count,
                                               "objects": objects}))


def arrows(*paths):
    return json.dumps([[{"x": x, "y": y} for x, y in path] for path in paths])


def test_document_objects_with_painted_and_external_masks():
    doc = document([
        {"id": 3, "label": "ball", "color": "#2ca02c", "mask": rle_encode(square(4, 4, 12, 12)),
         "path": [[0.1, 0.15], [0.6, 0.15]]},
        {"id": 5, "color": "#ff7f0e", "mask": None, "path": [[0.8, 0.8]]},
    ])
    result = build_objects(doc, square(40, 30, 60, 44)[None], points_k=3, points_s=2, frame_count=5, width=W, height=H)
    traj = result.trajectories
    assert traj.points.shape == (5, 12, 2) and traj.num_groups == 2
    moved = traj.points[-1, traj.groups == 0] - traj.points[0, traj.groups == 0]
    np.testing.assert_allclose(moved, np.tile([0.5, 0.0], (6, 1)), atol=1e-6)  # the arrow's full length
    assert np.all(traj.points[:, traj.groups == 1] == traj.points[:1, traj.groups == 1])  # a static anchor
    tracks = result.to_tracks()
    assert tracks[SIZE_KEY] == [W, H] and tracks[MASKS_KEY].shape == (2, H, W)
    assert [o["id"] for o in tracks["trackdiff_objects"]] == [3, 5]
    np.testing.assert_allclose(tracks["track_path"][0, 0].numpy(), traj.points[0, 0] * [W, H], atol=1e-4)


def test_arrows_string_moves_masks_in_order_with_timing():
    masks = np.stack([square(2, 2, 10, 10), square(30, 20, 40, 30)])
    result = build_objects(None, masks, arrows=arrows([(6, 6), (38, 6)], [(35, 25), (35, 45)]), points_k=2,
                           points_s=2, frame_count=9, timing="ease_in", width=W, height=H)
    traj = result.trajectories
    first = traj.points[:, traj.groups == 0].mean(axis=1)
    assert first[-1, 0] - first[0, 0] == pytest.approx(32 / W, abs=1e-5)
    assert first[4, 0] - first[0, 0] == pytest.approx(32 / W * 0.25, abs=1e-5)  # ease_in: a quarter at half time
    second = traj.points[:, traj.groups == 1].mean(axis=1)
    assert second[-1, 1] - second[0, 1] == pytest.approx(20 / H, abs=1e-5)


def test_tracks_input_moves_each_mask_by_its_objects_mean_displacement():
    path = torch.zeros(4, 2, 2)
    path[:, 0] = torch.tensor([[10.0, 10.0], [20.0, 10.0], [30.0, 10.0], [40.0, 10.0]])
    path[:, 1] = torch.tensor([[50.0, 40.0]]).repeat(4, 1)
    tracks = {"track_path": path, "track_visibility": torch.ones(4, 2, dtype=torch.bool)}
    masks = np.stack([square(5, 5, 15, 15), square(45, 35, 55, 45)])
    result = build_objects(None, masks, tracks=tracks, points_k=2, points_s=1, frame_count=7, width=W, height=H)
    moves = result.trajectories.points[-1] - result.trajectories.points[0]
    np.testing.assert_allclose(moves[result.trajectories.groups == 0], [[30 / W, 0], [30 / W, 0]], atol=1e-5)
    np.testing.assert_allclose(moves[result.trajectories.groups == 1], 0.0, atol=1e-6)


def test_ungrouped_tracks_with_one_mask_move_it_together():
    path = torch.tensor([[[10.0, 20.0], [10.0, 30.0]], [[30.0, 20.0], [30.0, 30.0]]])  # two parallel tracks
    result = build_objects(None, square(5, 5, 15, 15)[None], tracks={"track_path": path}, points_k=3, points_s=1,
                           frame_count=2, width=W, height=H)
    moves = result.trajectories.points[-1] - result.trajectories.points[0]
    np.testing.assert_allclose(moves, np.tile([20 / W, 0.0], (3, 1)), atol=1e-6)
    with pytest.raises(TrackDiffError, match="tracks: there are more masks than arrows"):  # one track per mask then
        build_objects(None, np.stack([square(5, 5, 15, 15)] * 3), tracks={"track_path": path}, frame_count=2,
                      width=W, height=H)


def test_label_map_masks():
    label_map = np.zeros((H, W), np.float32)
    label_map[2:8, 2:8] = 2 / 255  # as LoadImage gives an 8-bit label PNG
    label_map[20:30, 30:40] = 7 / 255
    result = build_objects(None, label_map[None], "label_map", arrows=arrows([(5, 5), (20, 5)], [(35, 25), (35, 25)]),
                           points_k=1, points_s=1, frame_count=3, width=W, height=H)
    assert result.masks.shape == (2, H, W) and result.masks[0, 5, 5] and result.masks[1, 25, 35]


def test_empty_document_gives_empty_tracks_and_an_inert_guide():
    result = build_objects(document([]), frame_count=6, width=W, height=H)
    tracks = result.to_tracks()
    assert tracks["track_path"].shape == (6, 0, 2)
    assert TrackGoGuide(tracks=tracks).is_empty()


@pytest.mark.parametrize("kwargs, needle", [
    (dict(masks=np.zeros((1, H, W), bool), arrows=arrows([(1, 1), (5, 5)])), r"masks\[0\]: has no pixel set"),
    (dict(masks=square(1, 1, 9, 9)[None], arrows=arrows([(2, 2), (5, 5)], [(3, 3), (9, 9)])),
     "arrows: there are more arrows than masks"),
    (dict(masks=np.stack([square(1, 1, 9, 9)] * 2), arrows=arrows([(2, 2), (5, 5)])),
     "arrows: there are more masks than arrows"),
    (dict(masks=square(1, 1, 9, 9)[None], arrows=arrows([(2, 2), (70, 5)])),
     r"arrows\[0\]\[1\]: lies outside the 64×48 frame"),
    (dict(masks=square(1, 1, 9, 9)[None], arrows='[[{"x": NaN, "y": 1}]]'), r"arrows\[0\]\[0\]\.x: is not a finite"),
    (dict(masks=np.full((1, H, W), math.nan, np.float32), arrows=arrows([(2, 2)])), "masks: contains NaN"),
    (dict(arrows=arrows([(2, 2)])), "masks: are needed with arrows"),
    (dict(masks=square(1, 1, 9, 9)[None], arrows=arrows([(2, 2)]), tracks={"track_path": torch.zeros(2, 1, 2)}),
     "give the arrows one way only"),
    (dict(masks=square(1, 1, 9, 9)[None], arrows=arrows([(2, 2)]), points_k=4096, points_s=2), "K · s"),
])
def test_bad_input_is_a_clear_error(kwargs, needle):
    base = dict(points_k=2, points_s=2, frame_count=4, width=W, height=H)
    with pytest.raises(TrackDiffError, match=needle):
        build_objects(None, **{**base, **kwargs})


def test_document_and_mask_input_must_agree():
    doc = document([{"id": 0, "color": "#123456", "mask": None, "path": [[0.1, 0.1], [0.2, 0.2]]}])
    with pytest.raises(TrackDiffError, match="masks: the MASK input does not match.*more arrows than masks"):
        build_objects(doc, frame_count=4, width=W, height=H)
    two = np.stack([square(1, 1, 9, 9), square(20, 20, 29, 29)])
    with pytest.raises(TrackDiffError, match="more masks than arrows"):
        build_objects(doc, two, frame_count=4, width=W, height=H)


def test_guide_reads_pixels_at_the_size_the_tracks_say_or_the_generation_size():
    result = build_objects(None, square(4, 4, 12, 12)[None], arrows=arrows([(8, 8), (40, 8)]), points_k=1,
                           points_s=1, frame_count=3, width=W, height=H)
    own = TrackGoGuide(tracks=result.to_tracks())
    np.testing.assert_allclose(own.resolve(1024, 576).points, result.trajectories.points, atol=1e-6)
    foreign = {"track_path": torch.tensor([[[32.0, 24.0]], [[48.0, 24.0]]])}  # a core node's TRACKS, in pixels
    np.testing.assert_allclose(TrackGoGuide(tracks=foreign).resolve(64, 48).points[1, 0], [0.75, 0.5])
    with pytest.raises(TrackDiffError, match="must hold one mask per object"):
        TrackGoGuide(tracks={**result.to_tracks(), MASKS_KEY: torch.zeros(3, 4, 4, dtype=torch.bool)})


def test_a_label_map_with_too_many_values_is_refused_before_splitting():
    noisy = np.arange(64 * 96, dtype=np.float32).reshape(1, 64, 96)  # 6144 distinct values
    with pytest.raises(TrackDiffError, match="is not a label map of at most 256 objects"):
        build_objects(None, noisy, mask_layout="label_map", arrows='[[{"x": 1, "y": 1}]]', width=96, height=64)

"""What targets get under the camera layer: object points composed with the camera, the background group moved by the
camera alone, static anchors (scene and screen), point objects, and editor seeds."""

import json

import numpy as np
import pytest

from trackdiff_core import TrackDiffError, TrackletDocument
from trackdiff_core.camera_tracks import background_grid_points
from trackdiff_core.editor_seed import choose_document
from trackdiff_core.mask_arrow_document import MaskArrowDocument
from trackdiff_core.masks import rle_encode
from trackdiff_core.trackgo.inputs import CAMERA_KEY, build_objects
from trackdiff_core.trackgo_points import path_progress, point_on_path
from trackdiff_core.wan_tracks import ati_tracks, gather_trajectories

W, H, FRAMES = 320, 192, 9
PAN, ZOOM, TURN = (-0.1, 0.05), 1.25, 8.0
CAMERA = {"version": 1, "keyframes": [{"frame": 0}, {"frame": 8, "pan": list(PAN), "zoom": ZOOM, "rotation": TURN}]}


def exact(points, u, center=(0.5, 0.5), size=(W, H)):
    """The contract's screen-from-scene formula at camera progress ``u`` (linear keys), for pixel ``points`` [P, 2]."""
    c = np.array(center) * size
    a = np.deg2rad(TURN * u)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return c + np.array(PAN) * u * size + (1 + (ZOOM - 1) * u) * (np.asarray(points, float) - c) @ rot.T


def square_mask(x0, y0, x1, y1, size=(H, W)):
    mask = np.zeros(size, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def mask_document(objects, camera=CAMERA, frames=FRAMES):
    doc = {"version": 1, "kind": "mask_arrows", "frame_count": frames, "objects": objects}
    if camera is not None:
        doc["camera"] = camera
    return MaskArrowDocument.parse(json.dumps(doc))


def ball(path, **extra):
    return {"id": 0, "label": "ball", "color": "#e6194b", "mask": rle_encode(square_mask(40, 40, 80, 80)),
            "path": path, **extra}


def objects_of(document, **kw):
    return build_objects(document, points_k=8, points_s=2, frame_count=FRAMES, width=W, height=H, **kw)


def test_object_points_are_the_arrow_then_the_camera_exactly():
    arrow = [[0.2, 0.3], [0.6, 0.5]]
    plain = objects_of(mask_document([ball(arrow)], camera=None)).trajectories  # what the arrow alone does
    moved = objects_of(mask_document([ball(arrow)]))
    points = moved.trajectories.to_pixels(W, H)
    ball_points = moved.trajectories.groups == 0
    for t in range(FRAMES):
        want = exact(plain.to_pixels(W, H)[t], t / 8)
        np.testing.assert_allclose(points[t, ball_points], want, atol=1e-3)
    # and the arrow's own motion was there: the tip reached at the end before the camera
    np.testing.assert_allclose(plain.points[-1].mean(0) - plain.points[0].mean(0), [0.4, 0.2], atol=1e-5)


def test_the_background_group_moves_with_the_camera_alone_outside_the_objects():
    moved = objects_of(mask_document([ball([[0.2, 0.3], [0.6, 0.5]])]))
    assert [o.get("background", False) for o in moved.objects] == [False, True]
    background = moved.trajectories.groups == 1
    start = moved.trajectories.to_pixels(W, H)[0, background]
    grid = background_grid_points(W, H) * (W, H)
    inside = (grid[:, 0] >= 40) & (grid[:, 0] < 80) & (grid[:, 1] >= 40) & (grid[:, 1] < 80)
    np.testing.assert_allclose(start, grid[~inside], atol=1e-3)  # the default grid (step 24 px), minus the ball
    assert len(start) == 13 * 8 - inside.sum()
    for t in range(FRAMES):
        want = exact(start, t / 8)
        got = moved.trajectories.to_pixels(W, H)[t, background]
        np.testing.assert_allclose(got, want, atol=1e-3)
        on_screen = ((want >= 0) & (want <= (W, H))).all(axis=1)
        np.testing.assert_array_equal(moved.trajectories.visible[t, background], on_screen)
    tracks = moved.to_tracks()
    assert tracks["trackdiff_masks"].shape == (2, H, W)
    np.testing.assert_array_equal(tracks["trackdiff_masks"][1].numpy(), ~square_mask(40, 40, 80, 80))
    np.testing.assert_allclose(tracks[CAMERA_KEY][-1].numpy()[:2, :2],
                               ZOOM * np.array([[np.cos(np.deg2rad(TURN)), -np.sin(np.deg2rad(TURN))],
                                                [np.sin(np.deg2rad(TURN)), np.cos(np.deg2rad(TURN))]]), atol=1e-12)


def test_background_density_follows_the_grid_setting_and_zero_leaves_it_out():
    document = mask_document([ball([[0.2, 0.3], [0.6, 0.5]])])
    assert objects_of(document, background_grid=4).trajectories.num_points == 16 + 7 * 4 - 1
    bare = objects_of(document, background_grid=0)
    assert bare.trajectories.num_groups == 1 and [o["id"] for o in bare.objects] == [0]
    with pytest.raises(TrackDiffError, match="background_grid"):
        objects_of(document, background_grid=65)


def test_a_document_without_a_camera_gets_no_background_and_no_camera_key():
    objects = objects_of(mask_document([ball([[0.2, 0.3], [0.6, 0.5]])], camera=None))
    assert objects.trajectories.num_groups == 1 and len(objects.masks) == 1
    assert CAMERA_KEY not in objects.to_tracks()


def test_anchors_hold_still_in_the_scene_or_on_screen():
    objects = [
        ball([[0.2, 0.3], [0.6, 0.5]], anchor="scene"),  # its arrow is kept in the document but not followed
        {"id": 1, "label": "logo", "color": "#3cb44b", "mask": rle_encode(square_mask(250, 10, 300, 40)),
         "path": [[0.85, 0.12], [0.5, 0.5]], "anchor": "screen"},
        {"id": 2, "label": "pin", "color": "#4363d8", "shape": "point", "path": [[0.7, 0.75]]},
    ]
    moved = objects_of(mask_document(objects), background_grid=0)
    px = moved.trajectories.to_pixels(W, H)
    groups = moved.trajectories.groups
    assert (groups == 2).sum() == 1  # a point object is one track...
    np.testing.assert_allclose(px[0, groups == 2], [[0.7 * W, 0.75 * H]], atol=1e-3)  # ...exactly at its point
    for t in range(FRAMES):
        np.testing.assert_allclose(px[t, groups == 0], exact(px[0, groups == 0], t / 8), atol=1e-3)  # with the camera
        np.testing.assert_allclose(px[t, groups == 2], exact(px[0, groups == 2], t / 8), atol=1e-3)
        np.testing.assert_allclose(px[t, groups == 1], px[0, groups == 1], atol=1e-4)  # screen-fixed


def test_a_point_object_takes_nothing_from_the_mask_input():
    objects = [{"id": 0, "label": "", "color": "#e6194b", "mask": None, "path": [[0.5, 0.5], [0.6, 0.5]]},
               {"id": 1, "label": "", "color": "#3cb44b", "shape": "point", "path": [[0.1, 0.1]]}]
    built = objects_of(mask_document(objects, camera=None), masks=square_mask(0, 0, 50, 50)[None])
    assert built.trajectories.num_points == 16 + 1


def test_a_static_point_anchor_reaches_ati_as_a_track_that_stays():
    document = mask_document([{"id": 0, "label": "", "color": "#e6194b", "shape": "point", "path": [[0.3, 0.6]]}],
                             camera=None)
    built = build_objects(document, frame_count=81, width=832, height=480)
    track = np.array([[p["x"], p["y"]] for p in ati_tracks(built.trajectories, 832, 480)[0]])
    assert len(track) == 121
    assert np.abs(track - [0.3 * 832, 0.6 * 480]).max() <= 0.5


BOX_CAMERA = {"version": 1, "keyframes": [{"frame": 0}, {"frame": 8, "pan": [0.1, 0.0], "zoom": 1.2}]}


def box_document(camera=BOX_CAMERA):
    doc = {"version": 1, "kind": "tracklets", "frame_count": FRAMES, "objects": [
        {"id": 0, "label": "car", "color": "#1f77b4",
         "keyframes": [{"frame": 0, "box": [0.1, 0.2, 0.3, 0.4]}, {"frame": 8, "box": [0.3, 0.2, 0.5, 0.4]}]}]}
    if camera is not None:
        doc["camera"] = camera
    return TrackletDocument.parse(json.dumps(doc))


def test_wan_gets_screen_boxes_and_a_background_moved_by_the_camera_alone():
    tracklets = box_document().to_tracklets()
    got = gather_trajectories(tracklets=tracklets, points_per_box=4, width=832, height=480, frames=FRAMES)
    assert got.num_groups == 2
    boxes = got.points[:, got.groups == 0]
    np.testing.assert_allclose(boxes[0], [[0.15, 0.25], [0.25, 0.25], [0.15, 0.35], [0.25, 0.35]], atol=1e-6)
    centre = boxes[-1].mean(0)  # box centre (0.4, 0.3) zoomed 1.2 about the middle, then panned by 0.1
    np.testing.assert_allclose(centre, [0.5 + 1.2 * (0.4 - 0.5) + 0.1, 0.5 + 1.2 * (0.3 - 0.5)], atol=1e-6)
    background = got.points[:, got.groups == 1]
    first = background[0]
    grid = background_grid_points(832, 480)  # 14 × 8 cells of 60 px, minus those whose centre is in the box
    in_box = (grid[:, 0] >= 0.1) & (grid[:, 0] <= 0.3) & (grid[:, 1] >= 0.2) & (grid[:, 1] <= 0.4)
    assert len(grid) == 14 * 8 and 0 < in_box.sum() < 6
    np.testing.assert_allclose(first, grid[~in_box], atol=1e-6)
    np.testing.assert_allclose(background[-1], 0.5 + 1.2 * (first - 0.5) + [0.1, 0.0], atol=1e-6)
    none = gather_trajectories(tracklets=tracklets, points_per_box=4, width=832, height=480, frames=FRAMES,
                               background_grid=0)
    assert none.num_groups == 1
    still = gather_trajectories(tracklets=box_document(None).to_tracklets(), points_per_box=4, frames=FRAMES)
    assert still.num_groups == 1


# -- seeds ------------------------------------------------------------------------------------------------------------
SEED = json.dumps({"version": 1, "kind": "tracklets", "frame_count": 5, "camera": BOX_CAMERA | {"keyframes": [
    {"frame": 0}, {"frame": 4, "zoom": 2.0}]}, "objects": []})
EMPTY = json.dumps({"version": 1, "kind": "tracklets", "frame_count": 14, "objects": []})


def test_an_empty_editor_takes_the_seed_and_a_drawn_one_keeps_its_own():
    document, seeded = choose_document(EMPTY, SEED, TrackletDocument.parse, "tracklets_json")
    assert seeded and document == TrackletDocument.parse(SEED)
    drawn = box_document(None).dumps()
    document, seeded = choose_document(drawn, SEED, TrackletDocument.parse, "tracklets_json")
    assert not seeded and document == TrackletDocument.parse(drawn)
    document, seeded = choose_document(EMPTY, "  ", TrackletDocument.parse, "tracklets_json")
    assert not seeded and document.is_empty


def test_a_seed_of_the_wrong_kind_is_refused_naming_the_input():
    wrong = mask_document([], camera=None).dumps()
    with pytest.raises(TrackDiffError, match=r"^seed_document\.kind: must be \"tracklets\""):
        choose_document(EMPTY, wrong, TrackletDocument.parse, "tracklets_json")
    with pytest.raises(TrackDiffError, match=r"^seed_document: is not valid JSON"):
        choose_document(box_document(None).dumps(), "{oops", TrackletDocument.parse, "tracklets_json")


# -- the camera survives the places that rebuild tracks ---------------------------------------------------------------
def test_tracklets_keep_their_camera_through_tracks_and_back():
    from trackdiff_core.formats.tracks_dict import tracklets_from_tracks, tracklets_to_tracks

    tracklets = box_document().to_tracklets()
    tracks = tracklets_to_tracks(tracklets, 832, 480, corners=True)
    back = tracklets_from_tracks(tracks, 832, 480)
    assert back.allclose(tracklets, atol=1e-5)  # boxes and camera


def test_mask_arrow_tracks_turn_back_into_the_objects_boxes_without_the_background():
    from trackdiff_core.formats.tracks_dict import tracklets_from_tracks

    tracks = objects_of(mask_document([ball([[0.2, 0.3], [0.6, 0.5]])])).to_tracks()
    boxes = tracklets_from_tracks(tracks, W, H)
    assert boxes.num_objects == 1 and boxes.labels == ("ball",) and boxes.camera.shape == (FRAMES, 3, 3)


def test_cropping_a_camera_document_keeps_where_things_land_on_screen():
    from trackdiff_core.crop import crop_document

    document = mask_document([ball([[0.2, 0.3], [0.6, 0.5]])])
    box = (0.125, 0.0, 0.875, 1.0)  # the middle 240 of 320 px
    cropped = crop_document(document, box)
    full = objects_of(document, background_grid=0).trajectories.to_pixels(W, H)
    part = build_objects(cropped, points_k=8, points_s=2, frame_count=FRAMES, width=240, height=H,
                         background_grid=0).trajectories.to_pixels(240, H)
    # the same screen motion, 40 px to the left (the sampled points differ: compare the objects' mean motion)
    np.testing.assert_allclose(part.mean(1) - part[:1].mean(1), full.mean(1) - full[:1].mean(1), atol=0.6)
    boxes = crop_document(box_document(), box).to_tracklets(None, 240, H)
    full_boxes = box_document().to_tracklets(None, W, H).to_pixels(W, H)[:, 0] - [40, 0, 40, 0]
    np.testing.assert_allclose(boxes.to_pixels(240, H)[:, 0], np.clip(full_boxes, 0, [240, H, 240, H]), atol=1e-3)


def test_batch_labels_of_a_camera_document_are_the_screen_boxes():
    from trackdiff_core.batch.labels import item_tracklets

    document = mask_document([ball([[0.2, 0.3], [0.6, 0.5]]),
                              {"id": 1, "label": "", "color": "#4363d8", "shape": "point", "path": [[0.7, 0.75]]}])
    labels = item_tracklets(document, FRAMES)
    assert labels.num_objects == 1  # a point has no region to label
    np.testing.assert_allclose(labels.boxes[0, 0] * [W, H, W, H], [40, 40, 80, 80], atol=1e-3)
    x1, y1, x2, y2 = 40 + 0.4 * W, 40 + 0.2 * H, 80 + 0.4 * W, 80 + 0.2 * H  # the mask's box at the arrow's tip
    corners = exact([[x1, y1], [x2, y1], [x1, y2], [x2, y2]], 1.0)  # turned 8 degrees: the bounds of all four
    want = np.clip([*corners.min(0), *corners.max(0)], 0, [W, H, W, H])
    np.testing.assert_allclose(labels.boxes[-1, 0] * [W, H, W, H], want, atol=0.5)


def test_the_background_grid_rounds_halves_up_as_the_widget_does():
    # 100 × 80 with 8 cells along 80: a 10 px step, 10 columns; 125 × 80: 12.5 columns round up to 13 (not to even 12)
    assert len(background_grid_points(100, 80)) == 10 * 8
    assert len(background_grid_points(125, 80)) == 13 * 8
    assert len(background_grid_points(832, 480, 0)) == 0

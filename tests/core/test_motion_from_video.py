"""Tracks From Video's core, in the order a person uses it: a reference clip (exact motion) -> tracks, boxes, seeded
editor documents and the camera; and each bad input refused with a message naming it."""

import json

import numpy as np
import pytest
from moving_square_clips import moving_square

from trackdiff_core.errors import TrackDiffError
from trackdiff_core.mask_arrow_document import MaskArrowDocument
from trackdiff_core.motion import seed_documents as seeding
from trackdiff_core.motion.seed_documents import box_document, mask_arrow_document, with_camera
from trackdiff_core.motion.video_input import MAX_OBJECTS, object_masks, query_points, video_frames
from trackdiff_core.motion.video_motion import motion_from_video
from trackdiff_core.tracklet_document import TrackletDocument
from trackdiff_core.tracklets import Tracklets
from trackdiff_core.trajectories import PointTrajectories

W, H = 160, 96


@pytest.fixture(scope="module")
def clip():
    return moving_square(frames=12, width=W, height=H)


@pytest.fixture(scope="module")
def motion(clip):
    return motion_from_video(clip.frames, clip.mask[None], points_per_object=16, frame_count=12, width=W, height=H)


def _centres(boxes):
    return np.stack([(boxes[..., 0] + boxes[..., 2]) / 2, (boxes[..., 1] + boxes[..., 3]) / 2], axis=-1)


def test_boxes_follow_the_square_within_a_few_pixels(clip, motion):
    boxes = motion.tracklets.to_pixels(W, H)[:, 0]
    assert motion.tracklets.visible.all()
    assert np.abs(boxes - clip.boxes).max() < 4.0
    assert np.abs(_centres(boxes) - _centres(clip.boxes)).max() < 2.0


def test_points_start_inside_the_mask_and_move_with_the_square(clip, motion):
    points = motion.trajectories.points * np.array([W, H])
    x, y = points[0, :, 0], points[0, :, 1]
    assert motion.trajectories.num_points == 16 and (motion.trajectories.groups == 0).all()
    assert clip.mask[y.astype(int), x.astype(int)].all()
    moved = np.median(points[-1] - points[0], axis=0)
    assert moved == pytest.approx(clip.boxes[-1, :2] - clip.boxes[0, :2], abs=1.5)


def test_resampling_to_another_frame_count_keeps_first_and_last(clip, motion):
    short = motion_from_video(clip.frames, clip.mask[None], points_per_object=16, frame_count=4, width=1024, height=576)
    assert short.trajectories.num_frames == 4 and short.tracklets.num_frames == 4
    assert np.allclose(short.tracklets.boxes[[0, -1]], motion.tracklets.boxes[[0, -1]], atol=1e-6)


def test_without_masks_a_grid_is_tracked_and_there_are_no_boxes(clip):
    still = np.repeat(clip.frames[:1], 5, axis=0)
    motion = motion_from_video(still, None, frame_count=5, width=W, height=H, grid_size=4)
    assert motion.trajectories.num_points == 16 and motion.tracklets.num_objects == 0
    assert np.abs(motion.trajectories.points - motion.trajectories.points[0]).max() * W < 0.5
    boxes, arrows = seeding.seed_documents(motion)
    assert TrackletDocument.parse(boxes).objects == () and MaskArrowDocument.parse(arrows).objects == ()


def test_camera_modes_split_the_camera_from_the_object():
    clip = moving_square(frames=12, width=W, height=H, camera_step=3.0)
    pan = -3.0 * 11
    results = {mode: motion_from_video(clip.frames, clip.mask[None], points_per_object=16, frame_count=12, width=W,
                                       height=H, camera_mode=mode) for mode in
               ("object_and_camera", "object_only", "camera_only")}
    camera = results["object_and_camera"].camera
    assert camera["keyframes"][-1]["pan"][0] * W == pytest.approx(pan, abs=1.5)
    centre = {m: _centres(r.tracklets.to_pixels(W, H)[-1, 0]) for m, r in results.items()}
    truth = _centres(clip.boxes[-1])
    start = _centres(clip.boxes[0])
    assert centre["object_and_camera"] == pytest.approx(truth, abs=2.5)
    assert centre["object_only"] == pytest.approx(truth + [-pan, 0], abs=2.5)  # the square's own motion
    assert results["camera_only"].trajectories.points[-1, :, 0] * W == pytest.approx(
        results["camera_only"].trajectories.points[0, :, 0] * W + pan, abs=1.5)
    assert start[0] + pan < 16  # the camera alone moves the square's points left, out of the frame
    assert not results["camera_only"].tracklets.visible[-1, 0] or centre["camera_only"][0] < 16


def test_a_background_grid_moves_with_the_camera_alone_outside_the_masks():
    clip = moving_square(frames=12, width=W, height=H, camera_step=3.0)
    for mode, shift in (("object_and_camera", -33.0), ("object_only", 0.0), ("camera_only", -33.0)):
        motion = motion_from_video(clip.frames, clip.mask[None], points_per_object=16, frame_count=12, width=W,
                                   height=H, camera_mode=mode, background_grid=4)
        points, groups = motion.trajectories.points * np.array([W, H]), motion.trajectories.groups
        background = groups == 1
        assert motion.objects[1]["background"] and motion.tracklets.num_objects == 1  # the background gives no box
        start = points[0, background].astype(int)
        assert not clip.mask[start[:, 1], start[:, 0]].any()  # outside the square's mask
        assert np.allclose(points[-1, background] - points[0, background], [shift, 0.0], atol=1.0)
        masks = motion.group_masks()
        assert masks.shape == (2, H, W) and np.array_equal(masks[1], ~clip.mask)
    without = motion_from_video(clip.frames, clip.mask[None], points_per_object=16, frame_count=12, width=W, height=H)
    assert without.trajectories.num_groups == 1 and len(without.objects) == 1


def test_the_camera_output_recovers_pan_zoom_and_rotation_from_a_filmed_texture():
    """A texture filmed by a camera that pans, zooms in and turns steadily: the camera output is one linear move from
    the identity to the true end state."""
    import cv2

    from moving_square_clips import texture
    from trackdiff_core.motion.camera_keys import similarity_matrix

    width, height, frames = 192, 112, 10
    world = texture(2 * width, 2 * height, 3)
    to_world = np.array([[1.0, 0.0, width / 2], [0.0, 1.0, height / 2], [0.0, 0.0, 1.0]])  # frame 0 inside the world
    video = []
    for t in range(frames):
        u = t / (frames - 1)
        screen = similarity_matrix((0.05 * u, -0.03 * u), 1.0 + 0.15 * u, 4.0 * u, width, height)
        video.append(cv2.warpAffine(world, (screen @ np.linalg.inv(to_world))[:2], (width, height),
                                    flags=cv2.INTER_LINEAR))
    motion = motion_from_video(np.stack(video), None, grid_size=6, frame_count=frames, width=width, height=height)
    keys = motion.camera["keyframes"]
    assert [k["frame"] for k in keys] == [0, frames - 1]
    assert keys[-1]["pan"] == pytest.approx([0.05, -0.03], abs=0.004)
    assert keys[-1]["zoom"] == pytest.approx(1.15, abs=0.01)
    assert keys[-1]["rotation"] == pytest.approx(4.0, abs=0.3)


def test_the_box_document_has_keys_only_where_the_motion_bends():
    frames = 20
    t = np.minimum(np.arange(frames), 9)[:, None]
    boxes = np.concatenate([0.1 + 0.03 * t, 0.2 + 0.0 * t, 0.3 + 0.03 * t, 0.5 + 0.0 * t], axis=1)[:, None]
    visible = np.ones((frames, 1), dtype=bool)
    visible[15:] = False
    document = box_document(Tracklets(boxes, visible, [3], ["car"]))
    parsed = TrackletDocument.parse(document.dumps())
    obj = parsed.objects[0]
    assert [k.frame for k in obj.keyframes] == [0, 9, 19] and obj.id == 3 and obj.label == "car"
    assert obj.visibility == ((0, 14),)
    replay = parsed.to_tracklets()
    assert np.abs(replay.boxes - boxes).max() < 1e-5 and np.array_equal(replay.visible, visible)


def test_the_mask_arrow_document_follows_the_centroid_and_keeps_the_mask(clip, motion):
    text = mask_arrow_document(motion.trajectories, motion.masks, motion.objects).dumps()
    document = MaskArrowDocument.parse(text)
    obj = document.objects[0]
    assert np.array_equal(obj.decoded_mask(), motion.masks[0])
    path = np.array(obj.path) * [W, H]
    travelled = clip.boxes[-1, :2] - clip.boxes[0, :2]
    assert path[-1] - path[0] == pytest.approx(travelled, abs=2.0)
    assert 2 <= len(path) <= 4  # a straight move: few points
    assert (obj.start_frame, document.end_frame(obj)) == (0, 11)


def test_a_still_object_becomes_a_static_anchor():
    points = np.full((6, 3, 2), 0.4, dtype=np.float32)
    masks = np.zeros((1, 10, 10), dtype=bool)
    masks[0, 3:6, 3:6] = True
    document = mask_arrow_document(PointTrajectories(points), masks, [{"id": 0, "label": "", "color": "#112233"}])
    assert MaskArrowDocument.parse(document.dumps()).objects[0].is_static


@pytest.mark.parametrize("mode", ["object_and_camera", "object_only", "camera_only"])
def test_seeded_documents_replay_the_screen_boxes_with_their_camera_layer(mode, monkeypatch):
    """Under a camera pan: the documents hold the objects in the first frame's scene and the camera under "camera"
    (none for object_only); the editors' parser puts them back on screen where the video shows them. With the switch
    off they hold the screen motion and no camera."""
    clip = moving_square(frames=12, width=W, height=H, camera_step=3.0)
    motion = motion_from_video(clip.frames, clip.mask[None], points_per_object=16, frame_count=12, width=W, height=H,
                               camera_mode=mode)
    screen = motion.tracklets.to_pixels(W, H)
    for switch in (True, False):
        monkeypatch.setattr(seeding, "CAMERA_IN_DOCUMENTS", switch)
        boxes, arrows = seeding.seed_documents(motion)
        has_camera = switch and mode != "object_only"
        assert ("camera" in json.loads(boxes)) == has_camera == ("camera" in json.loads(arrows))
        if has_camera:
            assert json.loads(boxes)["camera"] == motion.camera
        replay = TrackletDocument.parse(boxes).to_tracklets().to_pixels(W, H)
        assert np.abs(replay - screen).max() < 1.0
        MaskArrowDocument.parse(arrows)
    assert with_camera({"kind": "tracklets"}, None) == {"kind": "tracklets"}


# -- bad input -----------------------------------------------------------------------------------------------------
def test_one_frame_is_refused(clip):
    with pytest.raises(TrackDiffError, match="^frames: has one frame"):
        motion_from_video(clip.frames[:1], clip.mask[None])


def test_frames_of_different_sizes_are_refused(clip):
    with pytest.raises(TrackDiffError, match="^frames: has frames of different sizes"):
        video_frames([clip.frames[0], clip.frames[1][:, :100]])


def test_ten_thousand_frames_are_refused_before_anything_is_copied(clip):
    huge = np.broadcast_to(clip.frames[:1], (10_000,) + clip.frames.shape[1:])  # no memory: a view
    with pytest.raises(TrackDiffError, match="^frames: is longer than the 1000 frames"):
        motion_from_video(huge, clip.mask[None])


def test_a_mask_of_the_wrong_size_is_refused(clip):
    with pytest.raises(TrackDiffError, match=r"^masks: is not the video's size 160×96"):
        motion_from_video(clip.frames, np.ones((1, 48, 80), dtype=np.float32))


def test_an_empty_mask_is_refused(clip):
    masks = np.stack([clip.mask, np.zeros_like(clip.mask)]).astype(np.float32)
    with pytest.raises(TrackDiffError, match=r"^masks\[1\]: has no pixel set"):
        motion_from_video(clip.frames, masks)
    with pytest.raises(TrackDiffError, match="^masks: has no labelled region"):
        object_masks(np.zeros((H, W), np.float32), "label_map", W, H)


def test_a_point_count_of_zero_is_refused(clip):
    with pytest.raises(TrackDiffError, match="^points_per_object: must be at least 1"):
        motion_from_video(clip.frames, clip.mask[None], points_per_object=0)
    with pytest.raises(TrackDiffError, match="^points_per_object"):
        query_points(None, 0, 8)


def test_too_many_objects_are_refused(clip):
    masks = np.zeros((MAX_OBJECTS + 1, H, W), dtype=np.float32)
    with pytest.raises(TrackDiffError, match=f"^masks: has more than {MAX_OBJECTS} objects"):
        motion_from_video(clip.frames, masks)


def test_an_unknown_camera_mode_is_refused(clip):
    with pytest.raises(TrackDiffError, match="^camera_mode"):
        motion_from_video(clip.frames, clip.mask[None], camera_mode="both")

"""Tracks From Video: a reference video's motion as TRACKS, TRACKLETS, seeded editor documents and a camera (the
logic lives in ``trackdiff_core/motion/video_motion.py``)."""

from __future__ import annotations

import torch
from comfy_api.latest import io, ui

from ..trackdiff_core.camera_tracks import MAX_BACKGROUND_GRID
from ..trackdiff_core.formats.tracks_dict import trajectories_to_tracks
from ..trackdiff_core.motion.seed_documents import camera_json, seed_documents
from ..trackdiff_core.motion.video_input import MASK_LAYOUTS, MAX_GRID, MAX_POINTS
from ..trackdiff_core.motion.video_motion import CAMERA_MODES, motion_from_video
from ..trackdiff_core.motion.video_preview import video_preview
from ..trackdiff_core.wan_tracks import SIZE_KEY
from .types import Tracklets, Tracks

MASKS_KEY = "trackdiff_masks"  # trackdiff_core.trackgo.guide.MASKS_KEY: each object's mask, for TrackGo's adapter


class TracksFromVideo(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TracksFromVideo",
            display_name="Tracks From Video",
            category="TrackDiff/tracks",
            description="Read the motion of a reference video with a weight-free point tracker: points inside each "
            "masked object (or a grid) tracked through the video, resampled to frame_count and scaled to width × "
            "height, as core TRACKS, box tracklets, editor documents to open and edit, the camera motion, and a "
            "preview.",
            inputs=[
                io.Image.Input("frames", tooltip="The reference video's frames (e.g. core Load Video -> Get Video "
                               "Components), at least 2 and at most 1000."),
                io.Int.Input("points_per_object", default=16, min=1, max=MAX_POINTS,
                             tooltip="Points tracked inside each masked object (spread over the mask, away from its "
                             "border). Match TrackGo's K·s when the tracks drive an adapter."),
                io.Int.Input("frame_count", default=14, min=1, max=4096,
                             tooltip="Frames of the outputs: the video's motion is resampled to it (first frame to "
                             "first, last to last). 14 for SVD, 25 for SVD-XT, 81 for Wan."),
                io.Int.Input("width", default=1024, min=16, max=16384, step=8,
                             tooltip="Output width in pixels (the generation size): TRACKS are in these pixels."),
                io.Int.Input("height", default=576, min=16, max=16384, step=8,
                             tooltip="Output height in pixels (the generation size)."),
                io.Combo.Input("camera_mode", options=list(CAMERA_MODES), default="object_and_camera",
                               tooltip="object_and_camera: the motion as the video shows it. object_only: the "
                               "estimated camera motion removed, the objects' own motion kept. camera_only: every "
                               "point moved by the camera alone, as if the objects stood still."),
                io.Int.Input("grid_size", default=8, min=2, max=MAX_GRID,
                             tooltip="Without masks: a grid_size × grid_size grid of points over the frame is "
                             "tracked (one object)."),
                io.Int.Input("background_grid", default=8, min=0, max=MAX_BACKGROUND_GRID,
                             tooltip="With masks: background points that move with the video's camera alone (held "
                             "still for object_only), as a last group, on a grid of this many cells along the frame's "
                             "shorter side, outside every mask, so Wan-Move / ATI / TrackGo move the rest of the scene "
                             "as the camera does. 0 leaves them out. Without masks the grid already covers the frame."),
                io.Combo.Input("mask_layout", options=list(MASK_LAYOUTS), default="one_per_object",
                               tooltip="How to read the masks input: one mask per object (a batch), or one label map "
                               "whose non-zero values are the objects (in increasing order)."),
                io.Mask.Input("masks", optional=True,
                              tooltip="What to track, on the video's first frame at its size: one mask per object, or "
                              "a label map. Without masks a grid is tracked and there are no boxes."),
            ],
            outputs=[
                Tracks.Output(display_name="tracks", tooltip="Point tracks in pixels of width × height, with each "
                              "point's object (for Wan-Move, ATI, TrackGo)."),
                Tracklets.Output(display_name="tracklets",
                                 tooltip="A box per masked object per frame (TrackDiffusion)."),
                io.String.Output(display_name="box_document", tooltip="A box editor document (kind tracklets) with "
                                 "keyframes where the motion bends, to open in the Tracklet Editor."),
                io.String.Output(display_name="mask_arrow_document", tooltip="A mask + arrow document: each object's "
                                 "first-frame mask and a path along its centroid."),
                io.String.Output(display_name="camera", tooltip="The estimated camera motion as a camera layer "
                                 "(pan, zoom, rotation keyframes; JSON)."),
                io.Image.Output(display_name="preview", tooltip="The tracks and boxes drawn over the video."),
            ],
        )

    @classmethod
    def execute(cls, frames, points_per_object, frame_count, width, height, camera_mode, grid_size, background_grid,
                mask_layout, masks=None) -> io.NodeOutput:
        motion = motion_from_video(frames, masks, mask_layout, points_per_object, frame_count, width, height,
                                   camera_mode, grid_size, background_grid=background_grid)
        tracks = trajectories_to_tracks(motion.trajectories, width, height, motion.objects)
        tracks[SIZE_KEY] = [width, height]
        if motion.masks is not None:
            tracks[MASKS_KEY] = torch.from_numpy(motion.group_masks())
        box_document, mask_arrow_document = seed_documents(motion)
        preview = torch.from_numpy(video_preview(motion.video, motion.trajectories, motion.tracklets,
                                                 [o["color"] for o in motion.objects]))
        return io.NodeOutput(tracks, motion.tracklets, box_document, mask_arrow_document, camera_json(motion.camera),
                             preview, ui=ui.PreviewImage(preview[:1], cls=cls))


NODES = [TracksFromVideo]

"""Preview nodes: boxes or point tracks drawn over images."""

import torch
from comfy_api.latest import io

from ..trackdiff_core.formats.tracks_dict import trajectories_from_tracks
from ..trackdiff_core.render import draw_tracklets, draw_trajectories
from .types import Tracklets, Tracks

CATEGORY = "TrackDiff/visualize"


def _image_tensor(frames) -> torch.Tensor:
    return torch.from_numpy(frames).float()


class VisualizeTracklets(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="VisualizeTracklets",
            display_name="Visualize Tracklets",
            category=CATEGORY,
            description="Draw each object's box, id and label in its colour over the images. One image is repeated "
            "for every frame; a batch of another length gets the tracklets resampled to it.",
            inputs=[
                io.Image.Input("images", tooltip="A frame or a batch of frames (e.g. the generated video)."),
                Tracklets.Input("tracklets", tooltip="Boxes per object per frame."),
                io.Int.Input("line_width", default=0, min=0, max=64,
                             tooltip="Box outline width in pixels; 0 picks one from the image size."),
                io.Boolean.Input("show_labels", default=True, tooltip="Write each object's id and label by its box."),
            ],
            outputs=[io.Image.Output(display_name="images")],
        )

    @classmethod
    def execute(cls, images, tracklets, line_width, show_labels) -> io.NodeOutput:
        drawn = draw_tracklets(images, tracklets, thickness=line_width or None, show_labels=show_labels)
        return io.NodeOutput(_image_tensor(drawn))


class VisualizeTracks(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="VisualizeTrackPoints",
            display_name="Visualize Track Points",
            category=CATEGORY,
            description="Draw point tracks (core TRACKS) over the images: a dot per visible point with a tail, "
            "coloured by the object the point belongs to.",
            inputs=[
                io.Image.Input("images", tooltip="A frame or a batch of frames."),
                Tracks.Input("tracks", tooltip="Point tracks in pixels at width × height."),
                io.Int.Input("width", default=0, min=0, max=16384,
                             tooltip="Width the track pixels refer to; 0 means the images' width."),
                io.Int.Input("height", default=0, min=0, max=16384,
                             tooltip="Height the track pixels refer to; 0 means the images' height."),
                io.Int.Input("tail", default=8, min=0, max=256, tooltip="How many past frames each point's tail shows."),
                io.Int.Input("point_radius", default=0, min=0, max=64,
                             tooltip="Dot radius in pixels; 0 picks one from the image size."),
            ],
            outputs=[io.Image.Output(display_name="images")],
        )

    @classmethod
    def execute(cls, images, tracks, width, height, tail, point_radius) -> io.NodeOutput:
        trajectories = trajectories_from_tracks(tracks, width or images.shape[2], height or images.shape[1])
        drawn = draw_trajectories(images, trajectories, tail=tail, radius=point_radius or None)
        return io.NodeOutput(_image_tensor(drawn))


NODES = [VisualizeTracklets, VisualizeTracks]

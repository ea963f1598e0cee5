"""Nodes that convert between box tracklets (``TRACKLETS``) and point tracks (core ``TRACKS``)."""

from comfy_api.latest import io

from ..trackdiff_core.formats.tracks_dict import tracklets_from_tracks, tracklets_to_tracks
from .types import Tracklets, Tracks

CATEGORY = "TrackDiff/tracks"


class TrackletsToTracks(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TrackletsToTracks",
            display_name="Tracklets To Tracks",
            category=CATEGORY,
            description="Turn box tracklets into point tracks (core TRACKS) that move and scale with their boxes, "
            "for TrackGo or core track nodes.",
            inputs=[
                Tracklets.Input("tracklets", tooltip="Boxes per object per frame."),
                io.Int.Input("width", default=1024, min=16, max=16384, step=8,
                             tooltip="Width in pixels of the video the tracks are for (TRACKS are in pixels)."),
                io.Int.Input("height", default=576, min=16, max=16384, step=8,
                             tooltip="Height in pixels of the video the tracks are for."),
                io.Combo.Input("layout", options=["grid", "corners"], default="grid",
                               tooltip="grid: points_per_box points spread inside each box (1 = the centre). "
                               "corners: the top-left and bottom-right corners, which Tracks To Tracklets turns back "
                               "into the exact boxes."),
                io.Int.Input("points_per_box", default=1, min=1, max=256,
                             tooltip="How many points each box carries in the grid layout."),
            ],
            outputs=[
                Tracks.Output(display_name="tracks"),
                io.Int.Output(display_name="track_length", tooltip="Frames in the tracks."),
            ],
        )

    @classmethod
    def execute(cls, tracklets, width, height, layout, points_per_box) -> io.NodeOutput:
        tracks = tracklets_to_tracks(tracklets, width, height, points_per_box, corners=layout == "corners")
        return io.NodeOutput(tracks, tracklets.num_frames)


class TracksToTracklets(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TracksToTracklets",
            display_name="Tracks To Tracklets",
            category=CATEGORY,
            description="Turn point tracks into box tracklets: each object's box is the bounding box of its points "
            "(each track is its own object unless the tracks carry TrackDiff's groups).",
            inputs=[
                Tracks.Input("tracks", tooltip="Point tracks (core TRACKS), in pixels at width × height."),
                io.Int.Input("width", default=1024, min=16, max=16384, step=8,
                             tooltip="Width in pixels the tracks were made at."),
                io.Int.Input("height", default=576, min=16, max=16384, step=8,
                             tooltip="Height in pixels the tracks were made at."),
                io.Float.Input("box_size", default=0.1, min=0.005, max=1.0, step=0.005,
                               tooltip="Box size (fraction of the frame) along an axis where an object's points "
                               "have no extent, e.g. a single point."),
            ],
            outputs=[Tracklets.Output(display_name="tracklets")],
        )

    @classmethod
    def execute(cls, tracks, width, height, box_size) -> io.NodeOutput:
        return io.NodeOutput(tracklets_from_tracks(tracks, width, height, box_size))


NODES = [TrackletsToTracks, TracksToTracklets]

"""Wan front ends: TrackDiff's boxes and point tracks, made exactly what core's Wan-Move and ATI nodes expect (the
conversion lives in ``trackdiff_core/wan_tracks.py``; docs/wan.md explains the choices)."""

from __future__ import annotations

from comfy_api.latest import io

from ..trackdiff_core.camera_tracks import DEFAULT_BACKGROUND_GRID, MAX_BACKGROUND_GRID
from ..trackdiff_core.wan_tracks import (
    ATI,
    DEFAULT_HEIGHT,
    DEFAULT_LENGTH,
    DEFAULT_POINTS_PER_BOX,
    DEFAULT_WIDTH,
    WAN_MOVE,
    ati_tracks_json,
    check_length,
    gather_trajectories,
    wan_move_tracks,
)
from .input_checks import early_check
from .types import Tracklets, Tracks

CATEGORY = "TrackDiff/wan"
MAX_SIZE = 16384


def _inputs(target: str) -> list:
    node = "WanMoveTrackToVideo" if target == WAN_MOVE else "WanTrackToVideo"
    return [
        io.Int.Input("width", default=DEFAULT_WIDTH, min=16, max=MAX_SIZE, step=16,
                     tooltip=f"Video width in pixels: the tracks are in these pixels. Connect the width output to "
                     f"{node}'s width (or set the same number there); 832 for Wan 2.1 480p."),
        io.Int.Input("height", default=DEFAULT_HEIGHT, min=16, max=MAX_SIZE, step=16,
                     tooltip=f"Video height in pixels (480 for Wan 2.1 480p). Connect it to {node}'s height."),
        io.Int.Input("length", default=DEFAULT_LENGTH, min=5, max=MAX_SIZE, step=4,
                     tooltip=f"Frames of the video: Wan makes 4n + 1 frames (81 = 5 s at 16 fps). Boxes and tracks "
                     f"are resampled to it, first frame to first, last to last. Connect it to {node}'s length."),
        io.Int.Input("points_per_box", default=DEFAULT_POINTS_PER_BOX[target], min=1, max=256,
                     tooltip="Points on a grid inside each box; they move and scale with the box. "
                     + ("Wan-Move moves one 8×8-pixel cell per point, so more points move more of the object."
                        if target == WAN_MOVE else
                        "ATI spreads each point over a small neighbourhood; a few points per object are enough.")),
        Tracklets.Input("tracklets", optional=True,
                        tooltip="Boxes per object per frame (e.g. from the Tracklet Editor or Load Tracklets)."),
        Tracks.Input("tracks", optional=True,
                     tooltip="Point tracks (e.g. Mask Arrow To Trajectories, or core TRACKS). Tracks from Mask Arrow "
                     "To Trajectories carry the size they were made at and are rescaled; other TRACKS are read in "
                     "pixels of width × height. For Load Tracklets, connect its tracklets output instead."),
        io.Int.Input("background_grid", default=DEFAULT_BACKGROUND_GRID, min=0, max=MAX_BACKGROUND_GRID, optional=True,
                     tooltip="For boxes with a camera layer: background tracks that move with the camera alone, on a "
                     "grid of this many cells along the shorter side (8: a step of 1/8 of it, 60 px at 832×480), kept "
                     "outside every box; 0 leaves them out. Tracks from Mask Arrow To Trajectories bring their own "
                     "(set it there). Without a camera layer there are none."),
    ]


def _size_outputs() -> list:
    return [
        io.Int.Output(display_name="width", tooltip="The width the tracks are in."),
        io.Int.Output(display_name="height", tooltip="The height the tracks are in."),
        io.Int.Output(display_name="length", tooltip="The frame count the tracks are for."),
    ]


class _TracksForWan(io.ComfyNode):
    """What both converters share: the early frame-count check and gathering the tracks; ``convert`` differs."""

    @classmethod
    def validate_inputs(cls, length=None):  # names only what it checks: ComfyUI's own checks stay on for the rest
        return early_check(length, check_length, int)  # a frame count Wan cannot make is refused when queued

    @staticmethod
    def convert(trajectories, width: int, height: int, length: int):
        raise NotImplementedError

    @classmethod
    def execute(cls, width, height, length, points_per_box, tracklets=None, tracks=None,
                background_grid=DEFAULT_BACKGROUND_GRID) -> io.NodeOutput:
        length = check_length(length)
        trajectories = gather_trajectories(tracklets, tracks, points_per_box, width, height, length, background_grid)
        return io.NodeOutput(cls.convert(trajectories, width, height, length), width, height, length)


class TracksForWanMove(_TracksForWan):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TracksForWanMove",
            display_name="Tracks For Wan-Move",
            category=CATEGORY,
            description="Boxes and/or point tracks as core TRACKS exactly as Wan-Move Track To Video reads them: "
            "length (4n + 1) frames, pixels of width × height, visibility per point; points hidden in the first "
            "frame are left out (Wan-Move copies each point's first-frame features along its track).",
            inputs=_inputs(WAN_MOVE),
            outputs=[Tracks.Output(display_name="tracks", tooltip="For WanMoveTrackToVideo's tracks input.")]
            + _size_outputs(),
        )

    @staticmethod
    def convert(trajectories, width, height, length):
        return wan_move_tracks(trajectories, width, height, length)


class TracksForATI(_TracksForWan):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TracksForATI",
            display_name="Tracks For ATI",
            category=CATEGORY,
            description="Boxes and/or point tracks as the JSON that Wan Track To Video (ATI) reads: every track with "
            "exactly 121 samples over the clip (core pads shorter tracks with invisible points, which silently turns "
            "them off), in pixels of width × height; hidden samples are written off the image.",
            inputs=_inputs(ATI),
            outputs=[io.String.Output(display_name="tracks", tooltip="For WanTrackToVideo's tracks input.")]
            + _size_outputs(),
        )

    @staticmethod
    def convert(trajectories, width, height, length):
        return ati_tracks_json(trajectories, width, height)


NODES = [TracksForWanMove, TracksForATI]

"""Motion Fidelity: how closely a generated video follows drawn tracks or boxes (ObjMC-style error in pixels; the
logic lives in ``trackdiff_core/motion/fidelity_report.py``)."""

from __future__ import annotations

import torch
from comfy_api.latest import io, ui

from ..trackdiff_core.errors import TrackDiffError
from ..trackdiff_core.formats.tracks_dict import OBJECTS_KEY, trajectories_from_tracks
from ..trackdiff_core.motion.fidelity_report import fidelity_report, plot_errors, tracklet_points
from ..trackdiff_core.validate import to_numpy
from ..trackdiff_core.wan_tracks import SIZE_KEY
from .types import Tracklets, Tracks


def _drawn(tracks, tracklets, width: int, height: int, video_size: tuple[int, int]):
    """``(normalised trajectories, objects, aspect of the drawing or None)`` from exactly one of the two inputs."""
    if (tracks is None) == (tracklets is None):
        raise TrackDiffError("tracks", "both" if tracks is not None else "neither",
                             "needs exactly one of tracks and tracklets", "connect the drawn tracks or the boxes")
    if tracklets is not None:
        trajectories, objects = tracklet_points(tracklets)
        return trajectories, objects, None
    size = tracks.get(SIZE_KEY) if isinstance(tracks, dict) else None
    if size is not None:
        w, h = (int(v) for v in to_numpy(size).reshape(-1)[:2])
    else:
        w, h = width or video_size[0], height or video_size[1]
    trajectories = trajectories_from_tracks(tracks, w, h, "tracks")
    return trajectories, tracks.get(OBJECTS_KEY), w / h


class MotionFidelity(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="MotionFidelity",
            display_name="Motion Fidelity",
            category="TrackDiff/visualize",
            is_output_node=True,
            description="Did the video follow the drawing? The drawn points' first-frame positions are tracked "
            "through the generated video and compared with the drawing (TrackGo's ObjMC): the mean distance in "
            "pixels, a plot per frame (a line per object, shown on the node) and a JSON report. Lower is better.",
            inputs=[
                io.Image.Input("video", tooltip="The generated video's frames (at least 2)."),
                Tracks.Input("tracks", optional=True,
                             tooltip="The drawn point tracks (e.g. from Mask Arrow To Trajectories or Tracks From "
                             "Video). Resampled to the video's frame count and scaled to its size."),
                Tracklets.Input("tracklets", optional=True,
                                tooltip="Or the drawn boxes: a grid of 9 points inside each box, moving with it, as "
                                "Tracklets To Tracks makes them."),
                io.Int.Input("width", default=0, min=0, max=16384,
                             tooltip="Width the tracks' pixels refer to; 0 means the size they carry, else the "
                             "video's width."),
                io.Int.Input("height", default=0, min=0, max=16384,
                             tooltip="Height the tracks' pixels refer to; 0 means the size they carry, else the "
                             "video's height."),
            ],
            outputs=[
                io.Float.Output(display_name="error_px", tooltip="Mean distance in pixels between the drawing and "
                                "where the video moves the drawn points."),
                io.Image.Output(display_name="plot", tooltip="Error per frame, a line per object."),
                io.String.Output(display_name="report", tooltip="JSON: mean, per object, per frame, and the share "
                                 "of points the tracker lost."),
            ],
        )

    @classmethod
    def execute(cls, video, width, height, tracks=None, tracklets=None) -> io.NodeOutput:
        video_size = (int(video.shape[2]), int(video.shape[1])) if video.ndim == 4 else (0, 0)
        drawn, objects, aspect = _drawn(tracks, tracklets, width, height, video_size)
        report = fidelity_report(drawn, video, objects, aspect)
        plot = torch.from_numpy(plot_errors(report))
        return io.NodeOutput(float(report.mean), plot, report.to_json(),
                             ui={**ui.PreviewImage(plot, cls=cls).as_dict(), "trackdiff_fidelity": [report.to_dict()]})


NODES = [MotionFidelity]

"""Tracks from and to files: drive generation with a tracker's annotations, and label what was generated."""

from __future__ import annotations

import json
import os
from pathlib import Path

import folder_paths
from comfy_api.latest import io, ui

from ..trackdiff_core.errors import TrackDiffError
from ..trackdiff_core.formats.coco_vid import VideoTracks, write_coco_vid, write_youtube_vis
from ..trackdiff_core.formats.mot import write_mot
from ..trackdiff_core.formats.track_files import FORMATS, read_track_file
from ..trackdiff_core.formats.tracks_dict import trajectories_to_tracks
from .types import Tracklets, Tracks

TRACK_SUFFIXES = {".txt", ".json"}


def _input_files() -> list[str]:
    root = Path(folder_paths.get_input_directory())
    if not root.is_dir():
        return []
    return sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() in TRACK_SUFFIXES)


class LoadTracklets(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LoadTracklets",
            display_name="Load Tracklets",
            category="TrackDiff/tracks",
            description="Tracks from a file in ComfyUI's input folder: MOT gt.txt, COCO-VID / YouTube-VIS JSON, a "
            "TrackDiff box document, or coordinate JSON (KJNodes / WanMoveTracksFromCoords). Outputs boxes and points.",
            inputs=[
                io.Combo.Input("file", options=_input_files(), upload=io.UploadType.model,
                               tooltip="A .txt or .json track file in ComfyUI/input/ (upload one with the button)."),
                io.Combo.Input("format", options=list(FORMATS), default="auto",
                               tooltip="auto detects it: .txt is MOT; JSON with videos/annotations is COCO-VID or "
                               "YouTube-VIS; JSON with a kind is a TrackDiff document; a JSON list is coordinates."),
                io.Int.Input("width", default=1024, min=1, max=16384,
                             tooltip="Pixel width the file's coordinates refer to (MOT and coordinate JSON; COCO "
                             "files carry their own size). Also the width of the TRACKS output."),
                io.Int.Input("height", default=576, min=1, max=16384,
                             tooltip="Pixel height the file's coordinates refer to; also the TRACKS output's height."),
                io.Int.Input("video", default=0, min=0, max=100000,
                             tooltip="Which video of a COCO-VID / YouTube-VIS file (0 = the first)."),
                io.Float.Input("box_size", default=0.1, min=0.005, max=1.0, step=0.005,
                               tooltip="Box size (fraction of the frame) for point tracks, where a track has no "
                               "extent of its own."),
            ],
            outputs=[
                Tracklets.Output(display_name="tracklets"),
                Tracks.Output(display_name="tracks", tooltip="Points: the coordinates' tracks, or the box centres."),
                io.Int.Output(display_name="frame_count"),
            ],
        )

    @classmethod
    def validate_inputs(cls, file=None, **kwargs):
        if isinstance(file, str) and not folder_paths.exists_annotated_filepath(file):
            return f"file: {file!r} is not in ComfyUI's input folder. Fix: upload it, or pick another file"
        return True

    @classmethod
    def execute(cls, file, format, width, height, video, box_size) -> io.NodeOutput:
        loaded = read_track_file(folder_paths.get_annotated_filepath(file), format, width, height, video, box_size)
        tracks = trajectories_to_tracks(loaded.points, width, height)
        return io.NodeOutput(loaded.tracklets, tracks, loaded.tracklets.num_frames)


class SaveTrackletLabels(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="SaveTrackletLabels",
            display_name="Save Tracklet Labels",
            category="TrackDiff/tracks",
            description="Write box labels for a generated video into ComfyUI's output folder, as MOT gt.txt, "
            "COCO-VID and YouTube-VIS JSON, resampled to the video's frame count and at its size.",
            inputs=[
                Tracklets.Input("tracklets", tooltip="The boxes the video was generated with."),
                io.Image.Input("images", tooltip="The generated frames (their count and size set the labels')."),
                io.String.Input("filename_prefix", default="trackdiff/labels",
                                tooltip="Where in the output folder (a prefix; a counter is added so nothing is "
                                "overwritten)."),
            ],
            outputs=[],
            is_output_node=True,
        )

    @classmethod
    def execute(cls, tracklets, images, filename_prefix) -> io.NodeOutput:
        frames, height, width = int(images.shape[0]), int(images.shape[1]), int(images.shape[2])
        labels = tracklets.resample(frames)
        folder, name, counter, subfolder, _ = folder_paths.get_save_image_path(
            filename_prefix, folder_paths.get_output_directory(), width, height)
        stem = f"{name}_{counter:05}"
        video = VideoTracks(stem, width, height, labels)
        files = {f"{stem}.mot.txt": write_mot(labels, width, height),
                 f"{stem}.coco_vid.json": json.dumps(write_coco_vid([video])),
                 f"{stem}.youtube_vis.json": json.dumps(write_youtube_vis([video]))}
        for filename, text in files.items():
            path = os.path.join(folder, filename)
            if os.path.exists(path):
                raise TrackDiffError("filename_prefix", filename_prefix, f"would overwrite {filename}",
                                     "choose another prefix")
            with open(path, "w") as handle:
                handle.write(text)
        report = f"{len(files)} label files for {frames} frames at {width}×{height}: " + ", ".join(
            os.path.join(subfolder, f) for f in files)
        return io.NodeOutput(ui=ui.PreviewText(report))


NODES = [LoadTracklets, SaveTrackletLabels]

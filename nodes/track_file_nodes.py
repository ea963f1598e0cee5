"""Tracks from and to files: drive generation with a tracker's annotations, and label what was generated."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import folder_paths
from comfy_api.latest import io, ui

from ..trackdiff_core.errors import TrackDiffError
from ..trackdiff_core.file_names import relative_prefix, resolve_inside
from ..trackdiff_core.formats.coco_vid import VideoTracks, write_coco_vid, write_youtube_vis
from ..trackdiff_core.formats.mot import write_mot
from ..trackdiff_core.formats.track_files import FORMATS, read_track_file
from ..trackdiff_core.formats.tracks_dict import trajectories_to_tracks
from .input_checks import early_check
from .types import Tracklets, Tracks

TRACK_SUFFIXES = {".txt", ".json"}
LABEL_SUFFIXES = (".mot.txt", ".coco_vid.json", ".youtube_vis.json")
FILE_FIX = "copy the track file into ComfyUI/input/ (or a folder in it), refresh (R), and pick it from the list"
PREFIX_FIX = "use a relative prefix such as trackdiff/labels"
_FOLDERS = {"[input]": "ComfyUI's input folder", "[output]": "ComfyUI's output folder",
            "[temp]": "ComfyUI's temp folder"}


def _input_files() -> list[str]:
    """The track files the dropdown lists: those in the input folder, links leading out of it left out."""
    root = Path(folder_paths.get_input_directory())
    if not root.is_dir():
        return []
    real_root = os.path.realpath(root)
    return sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*")
                  if p.suffix.lower() in TRACK_SUFFIXES and p.is_file()
                  and os.path.commonpath([real_root, os.path.realpath(p)]) == real_root)


def track_file_path(file) -> str:
    """The real path of the picked file: inside the input folder (or the folder a ``name [output]`` / ``[temp]``
    annotation names), refused by name before anything is opened."""
    if not isinstance(file, str):
        raise TrackDiffError("file", file, "is not a file name", FILE_FIX)
    name, folder = folder_paths.annotated_filepath(file)
    annotation = next((a for a in _FOLDERS if file.endswith(a)), "[input]")
    try:
        return resolve_inside(folder or folder_paths.get_input_directory(), name, "file", _FOLDERS[annotation],
                              FILE_FIX)
    except TrackDiffError as exc:  # name the value as given, annotation included
        raise TrackDiffError("file", file, exc.problem, exc.fix) from None


def label_prefix(filename_prefix) -> list[str]:
    """The checked parts of SaveTrackletLabels' prefix (``%year%`` and the other ComfyUI date/size tokens allowed)."""
    return relative_prefix("filename_prefix", filename_prefix, PREFIX_FIX, extra="%")


def next_counter(folder: str, name: str) -> int:
    """One more than the highest ``<name>_<counter>`` among the label files already in ``folder``."""
    pattern = re.compile(re.escape(name) + r"_(\d+)(" + "|".join(re.escape(s) for s in LABEL_SUFFIXES) + r")$",
                         re.IGNORECASE)
    try:
        names = os.listdir(folder)
    except OSError:
        return 1
    return max((int(m.group(1)) for m in map(pattern.match, names) if m), default=0) + 1


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
                io.Combo.Input("file", options=_input_files(),
                               tooltip="A .txt or .json track file in ComfyUI/input/ or a folder in it (copy it "
                               "there and refresh with R; files outside the input folder are refused)."),
                io.Combo.Input("format", options=list(FORMATS), default="auto",
                               tooltip="auto detects it: .txt is MOT; JSON with videos/annotations is COCO-VID or "
                               "YouTube-VIS; JSON with a kind is a TrackDiff document; a JSON list is coordinates."),
                io.Int.Input("width", default=1024, min=1, max=16384,
                             tooltip="Pixel width the file's coordinates refer to (MOT, whose pixels count from 1 "
                             "as in MOTChallenge, and coordinate JSON; COCO files carry their own size). Also the "
                             "width of the TRACKS output."),
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
    def validate_inputs(cls, file=None):
        return early_check(file, track_file_path)

    @classmethod
    def execute(cls, file, format, width, height, video, box_size) -> io.NodeOutput:
        loaded = read_track_file(track_file_path(file), format, width, height, video, box_size, name=file)
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
    def validate_inputs(cls, filename_prefix=None):
        return early_check(filename_prefix, label_prefix)

    @classmethod
    def execute(cls, tracklets, images, filename_prefix) -> io.NodeOutput:
        label_prefix(filename_prefix)
        if tracklets.num_objects == 0:
            raise TrackDiffError("tracklets", "0 objects", "hold no object to label",
                                 "draw or load at least one box track")
        frames, height, width = int(images.shape[0]), int(images.shape[1]), int(images.shape[2])
        labels = tracklets.resample(frames)
        try:
            folder, name, counter, subfolder, _ = folder_paths.get_save_image_path(
                filename_prefix, folder_paths.get_output_directory(), width, height)
        except OSError as exc:
            raise TrackDiffError("filename_prefix", filename_prefix, f"cannot be made ({exc.strerror or 'error'})",
                                 "check that ComfyUI's output folder is writable, or choose another prefix") from None
        counter = max(counter, next_counter(folder, name))
        for _ in range(100):  # another run may take a counter between our look and our write
            written = _write_labels(folder, f"{name}_{counter:05}", labels, width, height, filename_prefix)
            if written:
                break
            counter += 1
        else:
            raise TrackDiffError("filename_prefix", filename_prefix, "has no free counter left in its folder",
                                 "choose another prefix")
        report = f"{len(written)} label files for {frames} frames at {width}×{height}: " + ", ".join(
            "/".join(p for p in (subfolder.replace(os.sep, "/"), f) if p) for f in written)
        return io.NodeOutput(ui=ui.PreviewText(report))


def _write_labels(folder: str, stem: str, labels, width: int, height: int, prefix: str) -> list[str] | None:
    """Write the three label files named ``stem``.*; ``None`` (nothing written) when one of the names is taken."""
    video = VideoTracks(stem, width, height, labels)
    files = {f"{stem}.mot.txt": write_mot(labels, width, height),
             f"{stem}.coco_vid.json": json.dumps(write_coco_vid([video])),
             f"{stem}.youtube_vis.json": json.dumps(write_youtube_vis([video]))}
    if any(os.path.exists(os.path.join(folder, f)) for f in files):
        return None
    for filename, text in files.items():
        try:
            with open(os.path.join(folder, filename), "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            return None
        except OSError as exc:
            raise TrackDiffError("filename_prefix", prefix, f"cannot be written ({exc.strerror or 'write error'})",
                                 "check that ComfyUI's output folder is writable, or choose another prefix") from None
    return list(files)


NODES = [LoadTracklets, SaveTrackletLabels]

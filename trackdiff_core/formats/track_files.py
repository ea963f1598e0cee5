"""Read tracks from a file in any format TrackDiff speaks, detecting the format from its content.

======================== ================================================ ==========================================
format                   recognised by                                    becomes
======================== ================================================ ==========================================
``mot``                  a ``.txt`` file (``frame,id,left,top,w,h,…``)     boxes, pixels at ``width`` × ``height``
``coco_vid``             JSON with ``videos`` and ``annotations``          boxes of video ``video`` (its own size)
``trackdiff_document``   JSON with ``"kind": "tracklets"``                 boxes (the editor document)
``coordinates``          a JSON list of ``{"x","y"}`` tracks               point tracks, pixels at ``width`` × ``height``
======================== ================================================ ==========================================

Point tracks become boxes the way :func:`~trackdiff_core.formats.tracks_dict.tracklets_from_tracks` makes them (one
object per track, ``box_size`` where a track has no extent); boxes become points at their centres.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import TrackDiffError
from ..tracklet_document import TrackletDocument
from ..tracklets import Tracklets
from ..trajectories import PointTrajectories
from ..trackgo_points import tracklets_to_trajectories
from .coco_vid import read_coco_vid
from .coords_json import trajectories_from_coords
from .mot import read_mot
from .tracks_dict import tracklets_from_tracks, trajectories_to_tracks

FORMATS = ("auto", "mot", "coco_vid", "trackdiff_document", "coordinates")


@dataclass(frozen=True)
class LoadedTracks:
    tracklets: Tracklets
    points: PointTrajectories
    format: str
    source_size: tuple[int, int] | None  # the pixel size the file's coordinates refer to, when it says


def detect_format(path: Path, text: str) -> str:
    if path.suffix.lower() == ".txt":
        return "mot"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TrackDiffError("file", path.name, f"is neither MOT text nor valid JSON ({exc.msg} at line {exc.lineno})",
                             "give a MOT gt.txt, a COCO-VID / YouTube-VIS JSON, a TrackDiff document or "
                             "coordinate JSON") from None
    if isinstance(data, dict) and "videos" in data and "annotations" in data:
        return "coco_vid"
    if isinstance(data, dict) and "kind" in data:
        return "trackdiff_document"
    if isinstance(data, list):
        return "coordinates"
    raise TrackDiffError("file", path.name, "is JSON of no known track format",
                         "give COCO-VID / YouTube-VIS, a TrackDiff tracklets document or coordinate JSON")


def read_track_file(path, fmt: str = "auto", width: int = 1024, height: int = 576, video: int = 0,
                    box_size: float = 0.1) -> LoadedTracks:
    """Tracks from ``path``. ``width`` × ``height`` is the pixel size MOT and coordinate files refer to."""
    path = Path(path)
    if fmt not in FORMATS:
        raise TrackDiffError("format", fmt, "is not a track format", f"use one of {', '.join(FORMATS)}")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrackDiffError("file", str(path), f"cannot be read ({exc})", "pick a text file") from None
    fmt = detect_format(path, text) if fmt == "auto" else fmt
    size = None
    if fmt == "mot":
        tracklets = read_mot(text, width, height, field=path.name)
        size = (width, height)
    elif fmt == "coco_vid":
        videos = read_coco_vid(text, path.name)
        if not 0 <= video < len(videos):
            raise TrackDiffError("video", video, f"is not one of the file's {len(videos)} videos",
                                 f"use 0 … {len(videos) - 1}")
        tracklets, size = videos[video].tracklets, (videos[video].width, videos[video].height)
    elif fmt == "trackdiff_document":
        tracklets = TrackletDocument.parse(text, path.name).to_tracklets()
    else:
        points = trajectories_from_coords(text, width, height, path.name)
        tracklets = tracklets_from_tracks(trajectories_to_tracks(points, width, height), width, height, box_size)
        return LoadedTracks(tracklets, points, fmt, (width, height))
    return LoadedTracks(tracklets, tracklets_to_trajectories(tracklets, 1), fmt, size)

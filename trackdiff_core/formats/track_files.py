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


def detect_format(path: Path, text: str, name: str | None = None) -> str:
    """The format of ``text`` read from ``path`` (messages call the file ``name``)."""
    name = name or path.name
    if path.suffix.lower() == ".txt":
        return "mot"
    try:
        data = json.loads(text)
    except RecursionError:
        raise TrackDiffError("file", name, "is JSON nested too deeply to read", "give a track file") from None
    except json.JSONDecodeError as exc:
        raise TrackDiffError("file", name, f"is neither MOT text nor valid JSON ({exc.msg} at line {exc.lineno})",
                             "give a MOT gt.txt, a COCO-VID / YouTube-VIS JSON, a TrackDiff document or "
                             "coordinate JSON") from None
    if isinstance(data, dict) and "videos" in data and "annotations" in data:
        return "coco_vid"
    if isinstance(data, dict) and "kind" in data:
        return "trackdiff_document"
    if isinstance(data, list):
        return "coordinates"
    raise TrackDiffError("file", name, "is JSON of no known track format",
                         "give COCO-VID / YouTube-VIS, a TrackDiff tracklets document or coordinate JSON")


def read_track_file(path, fmt: str = "auto", width: int = 1024, height: int = 576, video: int = 0,
                    box_size: float = 0.1, name: str | None = None) -> LoadedTracks:
    """Tracks from ``path``. ``width`` × ``height`` is the pixel size MOT and coordinate files refer to. Messages call
    the file ``name`` (what the person picked; default the file's own name), never its full path."""
    path = Path(path)
    name = name or path.name
    if fmt not in FORMATS:
        raise TrackDiffError("format", fmt, "is not a track format", f"use one of {', '.join(FORMATS)}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TrackDiffError("file", name, "is not UTF-8 text", "pick a .txt or .json track file") from None
    except OSError as exc:
        raise TrackDiffError("file", name, f"cannot be read ({exc.strerror or 'read error'})",
                             "pick a readable track file") from None
    if not text.strip():
        raise TrackDiffError("file", name, "is empty", "pick a file with tracks in it (a MOT gt.txt has one line per "
                             "box: frame,id,left,top,width,height,…)")
    fmt = detect_format(path, text, name) if fmt == "auto" else fmt
    loaded = _read(text, fmt, name, width, height, video, box_size)
    if loaded.tracklets.num_objects == 0:
        raise TrackDiffError("file", name, f"holds no tracks (read as {fmt})",
                             "pick a file with at least one object, or check the format")
    return loaded


def _read(text: str, fmt: str, name: str, width: int, height: int, video: int, box_size: float) -> LoadedTracks:
    size = None
    if fmt == "mot":
        tracklets = read_mot(text, width, height, field=name)
        size = (width, height)
    elif fmt == "coco_vid":
        videos = read_coco_vid(text, name)
        if not videos:
            raise TrackDiffError("file", name, "lists no videos", "pick a file with at least one video")
        if not 0 <= video < len(videos):
            raise TrackDiffError("video", video, f"is not one of the file's {len(videos)} videos",
                                 f"use 0 … {len(videos) - 1}")
        tracklets, size = videos[video].tracklets, (videos[video].width, videos[video].height)
    elif fmt == "trackdiff_document":
        tracklets = TrackletDocument.parse(text, name).to_tracklets()
    else:
        points = trajectories_from_coords(text, width, height, name)
        tracklets = tracklets_from_tracks(trajectories_to_tracks(points, width, height), width, height, box_size)
        return LoadedTracks(tracklets, points, fmt, (width, height))
    return LoadedTracks(tracklets, tracklets_to_trajectories(tracklets, 1), fmt, size)

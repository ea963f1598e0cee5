"""The coordinate JSON of KJNodes' spline editor and core ``WanMoveTracksFromCoords``.

One track is a list of ``{"x": .., "y": ..}`` per frame, in pixels of the editor's coordinate space; a document is one
track or a list of tracks (``[[{"x","y"}, ...], ...]``). Like core's parser, single quotes are accepted and a list of
such strings is joined. All tracks must have the same length. Every point is visible except where it lies outside the
``width`` × ``height`` frame.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..errors import TrackDiffError
from ..trajectories import PointTrajectories
from ..validate import frame_size


def _decode(text: str, field: str):
    try:
        return json.loads(text.replace("'", '"'))
    except RecursionError:
        raise TrackDiffError(field, text, "is JSON nested too deeply to read",
                             'give tracks like [[{"x": 10, "y": 20}, ...], ...]') from None
    except json.JSONDecodeError as exc:
        raise TrackDiffError(
            field, text, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            'give tracks like [[{"x": 10, "y": 20}, ...], ...]',
        ) from None


def parse_coords(value, field: str = "coordinates", equal_lengths: bool = True) -> list[list[tuple[float, float]]]:
    """``[[(x, y) per frame] per track]`` from a JSON string, a list of strings, or decoded JSON (``equal_lengths``:
    every track must have the same number of points; off for paths, where each entry is its own polyline)."""
    if isinstance(value, str):
        if not value.strip():
            raise TrackDiffError(field, value, "is empty", 'give tracks like [[{"x": 10, "y": 20}, ...]]')
        data = _decode(value, field)
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        data = []
        for index, text in enumerate(value):
            part = _decode(text, f"{field}[{index}]")
            data.extend(part if part and isinstance(part[0], list) else [part])
    else:
        data = value
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = [data]  # one track
    if not isinstance(data, list) or not data:
        raise TrackDiffError(field, data, "holds no track", 'give tracks like [[{"x": 10, "y": 20}, ...]]')
    tracks = []
    for t_index, track in enumerate(data):
        t_field = f"{field}[{t_index}]"
        if not isinstance(track, list) or not track:
            raise TrackDiffError(t_field, track, "must be a non-empty list of {x, y} points", "give one point per frame")
        points = []
        for p_index, point in enumerate(track):
            p_field = f"{t_field}[{p_index}]"
            if not isinstance(point, dict) or "x" not in point or "y" not in point:
                raise TrackDiffError(p_field, point, 'must be {"x": .., "y": ..}', "give both coordinates")
            xy = []
            for key in ("x", "y"):
                v = point[key]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise TrackDiffError(f"{p_field}.{key}", v, "is not a finite number", "give pixel coordinates")
                xy.append(float(v))
            points.append((xy[0], xy[1]))
        tracks.append(points)
    lengths = {len(t) for t in tracks}
    if equal_lengths and len(lengths) != 1:
        raise TrackDiffError(
            field, [len(t) for t in tracks], "tracks have different lengths",
            "give every track the same number of points (one per frame)",
        )
    return tracks


def trajectories_from_coords(value, width: int, height: int, field: str = "coordinates") -> PointTrajectories:
    """Point trajectories from coordinate JSON in pixels of a ``width`` × ``height`` frame (one group per track)."""
    w, h = frame_size(width, height)
    tracks = parse_coords(value, field)
    path = np.asarray(tracks, dtype=np.float32).transpose(1, 0, 2)  # [T, P, 2]
    points = path / np.array([w, h], dtype=np.float32)
    visible = ((points >= 0.0) & (points <= 1.0)).all(axis=-1)
    return PointTrajectories(points, visible, np.arange(points.shape[1]))


def trajectories_to_coords(trajectories: PointTrajectories, width: int, height: int) -> str:
    """Coordinate JSON (a list of tracks) in pixels at ``width`` × ``height``; hidden points keep their position."""
    px = trajectories.to_pixels(width, height)
    tracks = [
        [{"x": round(float(px[t, p, 0]), 3), "y": round(float(px[t, p, 1]), 3)} for t in range(px.shape[0])]
        for p in range(px.shape[1])
    ]
    return json.dumps(tracks, separators=(",", ":"))

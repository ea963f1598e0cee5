"""Training clips: frames with the point tracks, masks and box tracklets of their objects, and their file format.

A clip file is a safetensors file (never pickle) with

=================  ===================  ===========================================================================
``frames``         ``uint8[T, H, W, 3]``  RGB video
``points``         ``float32[T, P, 2]``   point tracks, normalised ``x, y``
``visible``        ``bool[T, P]``         point visibility (occluded or off-frame points are hidden)
``groups``         ``int64[P]``           the object each point belongs to
``masks``          ``bool[N, H, W]``      each object's visible region in frame 0
``boxes``          ``float32[T, N, 4]``   each object's box per frame, normalised ``x1, y1, x2, y2``
``box_visible``    ``bool[T, N]``         whether the object is present in the frame
``colors``         ``float32[N, 3]``      object colours (0-1 RGB)
``ids``            ``int64[N]``           object ids
=================  ===================  ===========================================================================

and metadata ``format = "trackdiff.clip"``, ``format_version = "1"``, ``labels`` (a JSON list of N strings).
Points are what TrackGo trains on, boxes what TrackDiffusion's Instance Enhancer trains on.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TrackDiffError
from ..tracklets import Tracklets
from ..trajectories import PointTrajectories

FORMAT = "trackdiff.clip"
FORMAT_VERSION = "1"


@dataclass(frozen=True)
class Clip:
    """One training clip (validated: shapes agree, one mask per object, groups index the objects)."""

    frames: np.ndarray  # uint8[T, H, W, 3]
    trajectories: PointTrajectories
    masks: np.ndarray  # bool[N, H, W]
    tracklets: Tracklets

    def __post_init__(self):
        frames = np.asarray(self.frames)
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
            raise TrackDiffError("frames", frames, "must be uint8 [T, H, W, 3]", "give RGB frames as bytes")
        count = len(self.masks)
        if self.trajectories.num_frames != frames.shape[0] or self.tracklets.num_frames != frames.shape[0]:
            raise TrackDiffError("clip", (frames.shape[0], self.trajectories.num_frames, self.tracklets.num_frames),
                                 "frames, points and boxes have different frame counts", "give one entry per frame")
        if self.masks.shape[1:] != frames.shape[1:3] or self.tracklets.num_objects != count:
            raise TrackDiffError("masks", self.masks.shape, f"must be one [H, W] mask per object ({count})",
                                 "give one frame-0 mask per object, at the frames' size")
        if self.trajectories.num_points and (self.trajectories.groups.max() >= count):
            raise TrackDiffError("groups", self.trajectories.groups.max(), f"must index the {count} objects",
                                 "number points' objects from 0")

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])


def save_clip(clip: Clip, path: str) -> str:
    import torch
    from safetensors.torch import save_file

    tensors = {
        "frames": torch.from_numpy(np.ascontiguousarray(clip.frames)),
        "points": torch.from_numpy(np.array(clip.trajectories.points, order="C")),
        "visible": torch.from_numpy(np.array(clip.trajectories.visible, order="C")),
        "groups": torch.from_numpy(np.array(clip.trajectories.groups, order="C")),
        "masks": torch.from_numpy(np.array(clip.masks, order="C")),
        "boxes": torch.from_numpy(np.array(clip.tracklets.boxes, order="C")),
        "box_visible": torch.from_numpy(np.array(clip.tracklets.visible, order="C")),
        "colors": torch.from_numpy(np.array(clip.tracklets.colors, dtype=np.float32, order="C")),
        "ids": torch.tensor(list(clip.tracklets.ids), dtype=torch.int64),
    }
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION, "labels": json.dumps(list(clip.tracklets.labels))}
    save_file(tensors, path, metadata=metadata)
    return path


def load_clip(path: str) -> Clip:
    from ..trackgo.weights import read_safetensors

    name = os.path.basename(path)
    tensors, metadata = read_safetensors(path, name)
    if metadata.get("format") != FORMAT or metadata.get("format_version") != FORMAT_VERSION:
        raise TrackDiffError("clip file", name, f"is not a TrackDiff clip (format {metadata.get('format')!r}, version "
                             f"{metadata.get('format_version')!r})", "write clips with python -m trackdiff_core.training "
                             "synth, or in the format of docs/training.md")
    needed = ("frames", "points", "visible", "groups", "masks", "boxes", "box_visible", "colors", "ids")
    missing = [k for k in needed if k not in tensors]
    if missing:
        raise TrackDiffError("clip file", name, f"lacks tensor {missing[0]}", "re-write the clip")
    try:
        labels = json.loads(metadata.get("labels", "[]"))
    except json.JSONDecodeError:
        raise TrackDiffError("clip file", name, "has unreadable labels metadata", "re-write the clip") from None
    n = lambda key: tensors[key].numpy()  # noqa: E731
    trajectories = PointTrajectories(n("points"), n("visible"), n("groups"))
    tracklets = Tracklets(n("boxes"), n("box_visible"), n("ids").tolist(), labels, n("colors"))
    return Clip(n("frames"), trajectories, n("masks").astype(bool), tracklets)


class ClipFolder:
    """The clip files (``*.safetensors``) of a folder, sorted by name."""

    def __init__(self, folder: str):
        self.paths = sorted(str(p) for p in Path(folder).glob("*.safetensors"))
        if not self.paths:
            raise TrackDiffError("data", folder, "holds no .safetensors clip", "generate clips with python -m "
                                 "trackdiff_core.training synth --out FOLDER, or point --data at your clips")

    def __len__(self) -> int:
        return len(self.paths)

    def clip(self, index: int) -> Clip:
        return load_clip(self.paths[index % len(self.paths)])

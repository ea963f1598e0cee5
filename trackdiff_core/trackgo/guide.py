"""What drives TrackGo at run time: point trajectories (and, when known, each object's mask).

A :class:`TrackGoGuide` holds either normalised :class:`PointTrajectories` or a core ``TRACKS`` dict in pixels. Pixels
need the size they refer to: TRACKS made by ``MaskArrowToTrajectories`` carry it (``"trackdiff_size"``); any other
TRACKS (core's ``GenerateTracks``, KJNodes, …) are in pixels of the generation size, which is only known when the model
runs, so :meth:`TrackGoGuide.resolve` takes it then.

Extra keys TrackDiff puts in a TRACKS dict (core nodes ignore them), next to ``trackdiff_groups`` and
``trackdiff_objects`` of :mod:`trackdiff_core.formats.tracks_dict`:

* ``"trackdiff_size"``: ``[width, height]``, the pixel size ``track_path`` refers to;
* ``"trackdiff_masks"``: ``bool[N, H, W]``, object ``i``'s mask at frame 0 (its points have group ``i``).
"""

from __future__ import annotations

import numpy as np

from ..errors import TrackDiffError
from ..formats.tracks_dict import GROUPS_KEY, trajectories_from_tracks
from ..masks import as_masks
from ..trajectories import PointTrajectories
from ..validate import frame_size, to_numpy

SIZE_KEY = "trackdiff_size"
MASKS_KEY = "trackdiff_masks"


def _check_masks(masks, groups: int, field: str) -> np.ndarray | None:
    if masks is None:
        return None
    masks = as_masks(masks, field)
    if len(masks) != groups:
        raise TrackDiffError(field, f"{len(masks)} masks for {groups} objects", "must hold one mask per object",
                             "rebuild the tracks with Mask Arrow To Trajectories, or drop the masks")
    return masks


class TrackGoGuide:
    """Trajectories for TrackGo, resolved to normalised coordinates at a pixel size when the model runs."""

    def __init__(self, trajectories: PointTrajectories | None = None, masks=None, tracks: dict | None = None,
                 field: str = "tracks"):
        if (trajectories is None) == (tracks is None):
            raise TrackDiffError(field, None, "needs trajectories or TRACKS (exactly one)", "connect tracks")
        self.field = field
        self._trajectories = trajectories
        self._tracks = tracks
        self._size: tuple[int, int] | None = None
        if tracks is not None:
            if not isinstance(tracks, dict) or "track_path" not in tracks:
                raise TrackDiffError(field, tracks, 'is not a TRACKS dict with a "track_path"', "connect a TRACKS output")
            size = tracks.get(SIZE_KEY)
            if size is not None:
                values = to_numpy(size).reshape(-1).tolist()
                if len(values) != 2:
                    raise TrackDiffError(f"{field}.{SIZE_KEY}", size, "must be [width, height]", "drop the key")
                self._size = frame_size(*(int(v) for v in values))
            path = to_numpy(tracks["track_path"])
            self._count = int(path.shape[1]) if path.ndim == 3 else 0
            groups = tracks.get(GROUPS_KEY)
            self._groups = int(to_numpy(groups).max()) + 1 if groups is not None and self._count else self._count
            self._masks = _check_masks(tracks.get(MASKS_KEY), self._groups, f"{field}.{MASKS_KEY}")
        else:
            self._count = trajectories.num_points
            self._masks = _check_masks(masks, trajectories.num_groups, "masks")
        self._resolved: tuple[tuple[int, int], PointTrajectories] | None = None

    @property
    def num_points(self) -> int:
        return self._count

    @property
    def masks(self) -> np.ndarray | None:
        return self._masks

    @property
    def size(self) -> tuple[int, int] | None:
        """The pixel size the tracks refer to, when they say."""
        return self._size

    def is_empty(self) -> bool:
        """True when no point is visible at any frame (TrackGo then leaves the model as it is)."""
        if self._count == 0:
            return True
        if self._trajectories is not None:
            return not bool(self._trajectories.visible.any())
        visible = self._tracks.get("track_visibility")
        return visible is not None and not bool(to_numpy(visible).astype(bool).any())

    def resolve(self, width: int, height: int) -> PointTrajectories:
        """Normalised trajectories; TRACKS without ``trackdiff_size`` are read as pixels of ``width`` × ``height``."""
        if self._trajectories is not None:
            return self._trajectories
        size = self._size or frame_size(width, height)
        if self._resolved is None or self._resolved[0] != size:
            self._resolved = (size, trajectories_from_tracks(self._tracks, size[0], size[1], self.field))
        return self._resolved[1]

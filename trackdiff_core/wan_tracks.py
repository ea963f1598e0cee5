"""Point tracks in exactly the form ComfyUI's Wan trajectory nodes expect (Wan-Move and ATI).

Both models copy first-frame features along point tracks; they differ in how the tracks arrive. Facts from ComfyUI 0.8.0
(``comfy_extras/nodes_wanmove.py`` and ``comfy_extras/nodes_wan.py``), which this module targets:

**Wan-Move** (``WanMoveTrackToVideo``, arXiv 2512.08765, github.com/ali-vilab/Wan-Move) takes core ``TRACKS``:
``track_path`` ``float[T, N, 2]`` in pixels of the generation ``width`` × ``height`` and ``track_visibility``
``bool[T, N]``. It keeps ``track_path[:length]``, reads every 4th frame (0, 4, 8, … — Wan's VAE folds 4 frames into one
latent frame), and for each visible point copies the latent cell under the point at frame 0 (``x // 8``, ``y // 8``)
into the cell under it at that frame. Points outside ``0 <= x < width``, ``0 <= y < height`` are skipped there. So:

* the tracks must have ``length`` frames, where ``length`` is Wan's frame count, ``4n + 1`` (81 by default);
* a point hidden at frame 0 has no source cell: core then reads index ``-1`` (the bottom-right latent cell) as its
  source. Such points are dropped here, with a warning (an object that appears later cannot be driven by either model);
* each point drives one 8 × 8-pixel cell per latent frame: density sets how much of an object moves with it.

**ATI** (``WanTrackToVideo``, arXiv 2505.22944, github.com/bytedance/ATI) takes a JSON string ``[[{"x", "y"}, ...], ...]``
in pixels of ``width`` × ``height``. ATI's tracks are sampled at 24 fps for 121 samples over the clip (81 frames at 16
fps); core pads every track to exactly 121 samples with *invisible* points and then resamples those 121 samples to the
clip. A short track (say 2 points, as a spline editor may give) is therefore visible only in the first instants and is
almost a no-op. Here every track is written with exactly :data:`ATI_SAMPLES` samples spanning the whole clip. The JSON
has no visibility field: a frame where a point is hidden is written one frame width to the left of the image
(``x = -width``), where core's Gaussian splat (``exp(-d² · temperature)``) gives it no weight.
"""

from __future__ import annotations

import json
import logging

import numpy as np

from .camera import apply_to_points
from .camera_tracks import DEFAULT_BACKGROUND_GRID, background_grid_points, compose_with_camera, outside_boxes
from .errors import TrackDiffError
from .formats.tracks_dict import trajectories_from_tracks, trajectories_to_tracks
from .trackgo_points import tracklets_to_trajectories
from .tracklets import Tracklets
from .trajectories import PointTrajectories
from .validate import frame_size, integer

log = logging.getLogger(__name__)

WAN_MOVE, ATI = "Wan-Move", "ATI"
ATI_SAMPLES = 121  # WanTrackToVideo's FIXED_LENGTH: ATI's 121 samples at 24 fps span the whole clip
DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_LENGTH = 832, 480, 81  # Wan 2.1 480p, 5 s at 16 fps
# Points per box, per target (see docs/wan.md): Wan-Move moves one latent cell per point, so a box carries a grid that
# covers it; ATI splats each point over a Gaussian of about a latent cell's radius and was shown with a few points per
# object in its editor.
DEFAULT_POINTS_PER_BOX = {WAN_MOVE: 16, ATI: 4}
SIZE_KEY = "trackdiff_size"  # trackgo.guide.SIZE_KEY (not imported: that package pulls in the adapter's torch modules)


def check_length(length, field: str = "length") -> int:
    """Wan's frame count: ``4n + 1`` and at least 5 (one latent frame after the first, so tracks can act)."""
    value = integer(length, field, 1, fix="give Wan's frame count, e.g. 81")
    if value < 5 or (value - 1) % 4:
        below = max(1, (value - 1) // 4 * 4 + 1)
        options = f"{below} or {below + 4}" if below >= 5 else "5"
        raise TrackDiffError(
            field, value, "is not a Wan frame count (Wan makes 4n + 1 frames, at least 5, so that a track can move)",
            f"use {options} (81 = 5 s at 16 fps is Wan 2.1's default)",
        )
    return value


def _drop_hidden_at_start(trajectories: PointTrajectories, target: str) -> PointTrajectories:
    keep = trajectories.visible[0]
    dropped = int((~keep).sum())
    if dropped:
        log.warning(
            "%s: %d of %d track point(s) are hidden (or outside the frame) at frame 0 and are left out: %s copies each "
            "point's first-frame features along its track, so a point needs a place in the first frame.",
            target, dropped, trajectories.num_points, target,
        )
    if not keep.any():
        empty = np.zeros((trajectories.num_frames, 0, 2), np.float32)
        return PointTrajectories(empty, groups=np.zeros(0, np.int64))
    groups = trajectories.groups[keep]
    # Renumber groups densely so object indices stay 0..K-1.
    _, dense = np.unique(groups, return_inverse=True)
    return PointTrajectories(trajectories.points[:, keep], trajectories.visible[:, keep], dense.astype(np.int64))


def gather_trajectories(
    tracklets: Tracklets | None = None,
    tracks: dict | None = None,
    points_per_box: int = 16,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    frames: int = DEFAULT_LENGTH,
    background_grid: int = DEFAULT_BACKGROUND_GRID,
) -> PointTrajectories:
    """Boxes and/or point tracks as one set of normalised trajectories over ``frames`` frames.

    Boxes become ``points_per_box`` points on a grid inside each box that move and scale with it. Boxes that carry a
    camera layer (a Tracklet Editor document with a camera) also bring a background group after them: grid points
    (``background_grid`` cells along the shorter side of ``width`` × ``height``; 0 for none) outside every box visible
    at frame 0, moved by the camera alone (:mod:`trackdiff_core.camera_tracks`). ``tracks`` (core ``TRACKS``) are read
    in pixels of the size they carry (TrackDiff's ``trackdiff_size``), else of ``width`` × ``height``; tracks from
    Mask Arrow To Trajectories already hold their background group. All are resampled to ``frames`` (first frame to
    first, last to last).
    """
    parts = []
    if tracklets is not None:
        resampled = tracklets.resample(frames)
        parts.append(tracklets_to_trajectories(resampled, points_per_box))
        if resampled.camera is not None and background_grid:
            parts.append(_box_background(resampled, width, height, background_grid))
    if tracks is not None:
        size = tracks.get(SIZE_KEY) if isinstance(tracks, dict) else None
        w, h = (int(size[0]), int(size[1])) if size is not None else (width, height)
        parts.append(trajectories_from_tracks(tracks, w, h, "tracks").resample(frames))
    if not parts:
        raise TrackDiffError("tracklets / tracks", None, "neither is connected",
                             "connect boxes (a Tracklet Editor) or point tracks (Mask Arrow To Trajectories, core TRACKS)")
    return parts[0] if len(parts) == 1 else PointTrajectories.concatenate(parts)


def _box_background(tracklets: Tracklets, width: int, height: int, grid: int) -> PointTrajectories:
    """The camera's background group for boxes: grid points (scene) whose frame-0 screen position lies outside every
    box visible at frame 0, moved by the tracklets' camera alone."""
    scene = background_grid_points(width, height, grid)
    first = apply_to_points(tracklets.camera[:1], scene)[0]
    scene = scene[outside_boxes(first, tracklets.boxes[0][tracklets.visible[0]])]
    frames = tracklets.num_frames
    screen, visible = compose_with_camera(np.broadcast_to(scene[None], (frames,) + scene.shape), tracklets.camera)
    return PointTrajectories(screen, visible, np.zeros(len(scene), np.int64))


def wan_move_tracks(trajectories: PointTrajectories, width: int, height: int, length: int, objects=None) -> dict:
    """Core ``TRACKS`` for ``WanMoveTrackToVideo``: ``length`` frames, pixels of ``width`` × ``height``."""
    w, h = frame_size(width, height)
    length = check_length(length)
    ready = _drop_hidden_at_start(trajectories.resample(length), WAN_MOVE)
    return trajectories_to_tracks(ready, w, h, objects)


def ati_tracks(trajectories: PointTrajectories, width: int, height: int) -> list[list[dict]]:
    """ATI's tracks: per point, :data:`ATI_SAMPLES` ``{"x", "y"}`` pixel samples spanning the clip."""
    w, h = frame_size(width, height)
    ready = _drop_hidden_at_start(trajectories.resample(ATI_SAMPLES), ATI)
    pixels = ready.to_pixels(w, h).astype(np.float64)
    pixels[..., 0] = np.where(ready.visible, pixels[..., 0], -float(w))
    return [
        [{"x": round(float(x), 3), "y": round(float(y), 3)} for x, y in pixels[:, p]]
        for p in range(ready.num_points)
    ]


def ati_tracks_json(trajectories: PointTrajectories, width: int, height: int) -> str:
    """:func:`ati_tracks` as the JSON string ``WanTrackToVideo`` reads."""
    return json.dumps(ati_tracks(trajectories, width, height), separators=(",", ":"))

"""``TrackerConfig``: every parameter of the point tracker and the camera estimate, documented in one place."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TrackDiffError


@dataclass(frozen=True)
class TrackerConfig:
    """Parameters of :func:`~trackdiff_core.motion.track_points` and :func:`~trackdiff_core.motion.estimate_camera`.

    The defaults are the ones measured in ``python -m bench tracking`` (see ``docs/motion-from-video.md``).

    Attributes:
        window: side of the Lucas–Kanade window in pixels (odd).
        pyramid_levels: pyramid levels above full size for Lucas–Kanade (each halves the image), so motions of about
            ``window * 2**pyramid_levels / 2`` pixels between two frames are still found.
        fine_levels: pyramid levels of a second Lucas–Kanade try from the same prior, where the first is not sure. At
            the coarse levels the window of a point on a small object holds mostly its surroundings, which drag the
            point back to their motion (the camera's) when the object moves unlike them; the prior already holds most
            of the step, so the fine levels alone can follow it.
        fb_threshold: forward–backward check in pixels: a step whose backward track lands farther than this from
            where it started is rejected (the point is hidden until it is found again).
        template_size: side in pixels of the patch kept from each point's query frame, used to refine positions
            against the query frame (no drift) and to re-detect a point when it comes back after occlusion.
        match_threshold: normalised cross-correlation a patch must reach against the point's template to count as
            the same point (visibility test and re-detection).
        redetect_threshold: normalised cross-correlation a lost point's template must reach in the search window to
            be found again (higher than ``match_threshold``: a search has more chances of a false match).
        scene_threshold: normalised cross-correlation a point that moves with the camera must reach at the camera's
            position to count as visible (lower than ``match_threshold``: its position comes from the camera, so the
            patch only has to tell its own surface from an occluder).
        search_radius: half-side in pixels of the window, around the position the camera predicts, searched for a
            lost point.
        camera_grid: points per side of the background grid on which the camera homography is estimated.
        ransac_threshold: RANSAC reprojection threshold in pixels for the homographies.
        max_frames: longest video accepted; longer ones are refused with a message to resample (bounded time; memory
            is bounded anyway: only two frames' pyramids are alive at once).
        max_points: most query points in one call (the tracker keeps a points × points table of which points move
            alike: 4096 points need 128 MiB); split larger sets into several calls.
        threads: OpenCV threads used during a call (1 makes results identical across machines and runs); the
            previous setting is restored afterwards.
        seed: OpenCV's RNG seed for RANSAC, set at each call, so the same input gives the same output.
    """

    window: int = 21
    pyramid_levels: int = 3
    fine_levels: int = 1
    fb_threshold: float = 1.0
    template_size: int = 15
    match_threshold: float = 0.7
    redetect_threshold: float = 0.8
    scene_threshold: float = 0.5
    search_radius: int = 32
    camera_grid: int = 24
    ransac_threshold: float = 2.0
    max_frames: int = 2000
    max_points: int = 4096
    threads: int = 1
    seed: int = 0

    def __post_init__(self):
        checks = (
            ("window", self.window, 5, 101),
            ("pyramid_levels", self.pyramid_levels, 0, 8),
            ("fine_levels", self.fine_levels, 0, 8),
            ("template_size", self.template_size, 5, 101),
            ("search_radius", self.search_radius, 0, 512),
            ("camera_grid", self.camera_grid, 4, 128),
            ("max_frames", self.max_frames, 2, 1_000_000),
            ("max_points", self.max_points, 1, 1_000_000),
            ("threads", self.threads, 1, 256),
        )
        for name, value, low, high in checks:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise TrackDiffError(f"config.{name}", value, f"must be a whole number in [{low}, {high}]",
                                     f"set {name} between {low} and {high}")
        for name in ("window", "template_size"):
            if getattr(self, name) % 2 == 0:
                raise TrackDiffError(f"config.{name}", getattr(self, name), "must be odd", f"use {getattr(self, name) + 1}")
        for name, value, low, high in (("fb_threshold", self.fb_threshold, 0.0, 100.0),
                                       ("match_threshold", self.match_threshold, -1.0, 1.0),
                                       ("redetect_threshold", self.redetect_threshold, -1.0, 1.0),
                                       ("scene_threshold", self.scene_threshold, -1.0, 1.0),
                                       ("ransac_threshold", self.ransac_threshold, 0.0, 100.0)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= high:
                raise TrackDiffError(f"config.{name}", value, f"must be a number in ({low}, {high}]",
                                     f"set {name} in ({low}, {high}]")

"""``track_points``: the pack's weight-free point tracker (see ``docs/motion-from-video.md`` for the design and
its measurement).

One sweep forward and one backward over the video; in each, a point joins at its query frame. Per frame step:

1. **Camera.** A grid tracked by Lucas–Kanade (forward–backward checked) gives the step homography by RANSAC.
2. **Track.** Visible points are tracked by pyramidal Lucas–Kanade with a forward–backward check, from up to four
   priors: the point's own last velocity, the camera's step, the median step of nearby points that succeeded, and a
   template search (normalised correlation within ``search_radius``). From the velocity and neighbour priors, a result
   that is not sure is tried again with only the pyramid's fine levels (``fine_levels``): the coarse levels see mostly
   a small object's surroundings and drag its points back to the camera's motion. Each result is refined against the
   point's query frame (Lucas–Kanade from the query image: no drift) and must still look like the point (correlation
   with its query or most recent patch ≥ ``match_threshold``).
3. **Classify.** Each point learns whether it moves with the camera (its steps agree with the homography, or the
   camera's position looks as good as Lucas–Kanade's) and which points move like it (coherence). Points without
   texture or history take the class of their query-frame neighbours; points without texture and without a textured
   neighbour (inside a flat-coloured shape) take it from their region's silhouette, and a moving one moves with that
   region (:mod:`.flat_regions`; a DIS dense flow where the region is not found).
4. **Camera-bound points** follow a pure camera track (composed homographies) refined against their query frame; they
   are visible where they still look like themselves (a textureless patch: where it is still textureless).
5. **Moving points that lost their track** are carried by the median step of their coherent neighbours (or their
   query-frame neighbours), placed back at their last offsets from visible neighbours, and searched for around that
   and where they were last seen; they are visible again when their template matches (``redetect_threshold``). A
   moving point carried by its neighbours stays visible while it was.
"""

from __future__ import annotations

import numpy as np

import cv2

from .camera import apply_matrix, grid_points, step_homography
from .config import TrackerConfig
from .flat_regions import FlatRegions
from .frames import grey_frame, raw_grey
from .inputs import check_frames, check_queries
from .lost_points import NEIGHBOURS, LostPointCarrying
from .lucas_kanade import lk_step
from .opencv_state import deterministic_opencv
from .point_classes import PointClasses
from .result import TrackResult
from .templates import ncc, patches, search


#: Raw grey-level standard deviation under which a template counts as flat (no texture to correlate).
FLAT_CONTRAST = 4.0
#: Largest change of a flat point's raw grey level in one step that still counts as the same surface (an occluder
#: of another colour or a shape's edge arriving changes it more; a lighting change less).
FLAT_LEVEL_STEP = 10.0
#: Correlation above which the first Lucas–Kanade result of a step is taken without trying the other priors.
CONFIDENT = 0.9


def _sample(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``float32[N, 2]``: a dense ``float32[H, W, 2]`` field read at sub-pixel ``points`` (bilinear, borders
    replicated)."""
    if len(points) == 0:
        return np.zeros((0, 2), np.float32)
    where = np.ascontiguousarray(points, np.float32).reshape(1, -1, 2)
    return cv2.remap(field, where[..., 0].copy(), where[..., 1].copy(), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).reshape(-1, 2)


class _Sweep(PointClasses, LostPointCarrying):
    """State of one sweep (forward or backward) over the frames; what it learns of each point is in
    :class:`.point_classes.PointClasses`, how it carries and finds lost points in :class:`.lost_points.LostPointCarrying`."""

    def __init__(self, queries: np.ndarray, config: TrackerConfig, width: int, height: int):
        self.queries = queries
        self.config = config
        self.width, self.height = width, height
        count = len(queries)
        self.query_frame = queries[:, 0].astype(np.int64)
        self.position = queries[:, 1:].astype(np.float32).copy()
        self.last_seen = self.position.copy()
        self.velocity = np.zeros_like(self.position)
        self.flat = np.zeros(count, bool)
        self.camera_shared = np.zeros(count, np.int32)
        self.camera_agree = np.zeros(count, np.int32)
        self.background = np.ones(count, bool)
        self.failed_unknown = np.zeros(count, bool)
        self.flow_shared = np.zeros(count, np.int32)  # flat points: steps with a consistent dense flow
        self.flow_agree = np.zeros(count, np.int32)  # ... of which the flow moved like the camera
        self.level = np.zeros(count, np.float32)  # flat points: raw grey level of the patch where last seen
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self.regions = FlatRegions(config.search_radius)
        self.region = np.full(count, -1, np.int64)  # flat points: their flat-coloured region (-1: none)
        self.frame = None  # the current RGB frame
        self.raw = None
        self.image = None  # the current normalised grey frame
        self.shared = np.zeros((count, count), np.int32)
        self.agree = np.zeros((count, count), np.int32)
        self.neighbour_radius = 0.25 * min(width, height)
        self.neighbour_reach = 0.12 * min(width, height)
        self.neighbours = np.full((count, NEIGHBOURS), -1, np.int64)
        self.offsets = np.zeros((count, NEIGHBOURS, 2), np.float32)
        self.offset_known = np.zeros((count, NEIGHBOURS), bool)
        self.visible = np.zeros(count, bool)
        self.started = np.zeros(count, bool)
        size = config.template_size
        self.query_template = np.zeros((count, size, size), np.float32)
        self.recent_template = np.zeros((count, size, size), np.float32)
        self.query_grey: dict[int, np.ndarray] = {}
        self.cumulative = np.eye(3)  # the camera from the sweep's first frame to the current one
        self.query_camera: dict[int, np.ndarray] = {}
        self.grid = grid_points(width, height, config.camera_grid)

    def inside(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        return ((points[:, 0] >= margin - 0.5) & (points[:, 0] <= self.width - 0.5 - margin)
                & (points[:, 1] >= margin - 0.5) & (points[:, 1] <= self.height - 0.5 - margin))

    def anchor(self, grey: np.ndarray, index: np.ndarray, tracked: np.ndarray, reach: float = 2.0) -> np.ndarray:
        """Refine ``tracked`` positions against each point's query frame (kept when within ``reach`` px of
        ``tracked``)."""
        refined = tracked.copy()
        for frame in np.unique(self.query_frame[index]):
            chosen = self.query_frame[index] == frame
            moved, ok = lk_step(self.query_grey[int(frame)], grey, self.queries[index[chosen], 1:].astype(np.float32),
                                self.config, tracked[chosen], levels=1)
            close = ok & (np.linalg.norm(moved - tracked[chosen], axis=1) < reach)
            refined[chosen] = np.where(close[:, None], moved, tracked[chosen])
        return refined

    def step(self, previous: np.ndarray, grey: np.ndarray) -> None:
        config = self.config
        camera, _ = step_homography(previous, grey, self.grid, config)
        self.cumulative = camera @ self.cumulative
        self.cumulative /= self.cumulative[2, 2]
        flowing = np.zeros(len(self.position), bool)
        flowing[self.follow_flow(previous, grey, camera)] = True
        live = np.flatnonzero(self.started & self.visible & ~flowing)
        tracked = np.zeros(len(self.position), bool)
        step = np.zeros_like(self.position)
        on_camera = apply_matrix(camera, self.position)
        if len(live):
            moved, ok, seen, looks = self.track_live(previous, grey, live, camera)
            scene = self.scene_positions(live)
            camera_looks = self.looks(live, scene, patches(self.image, scene, config.template_size))
            good = ok & (looks >= config.match_threshold) & self.inside(moved)
            self.failed_unknown[live[~ok & ~self.flat[live] & (self.camera_shared[live] == 0)]] = True
            # Evidence only from steps where the point still looked like itself: an occluder sliding over a
            # background point drags Lucas–Kanade along, and that step says nothing about the point.
            self.learn_background(live[good], moved[good], on_camera[live[good]] - self.position[live[good]],
                                  camera_looks[good] >= looks[good] - 0.05)
            step[live[good]] = moved[good] - self.position[live[good]]
            tracked[live[good]] = True
            self.recent_template[live[good]] = seen[good]
        self.learn_coherence(tracked, step)
        need = np.flatnonzero(self.started & ~tracked & ~flowing)
        predicted, carried = self.predict(need, tracked, step, camera)
        self.position[tracked] += step[tracked]
        self.last_seen[tracked] = self.position[tracked]
        self.velocity[tracked] = step[tracked]
        self.visible[tracked] = True
        if len(need):
            self.velocity[need] = predicted - self.position[need]
            self.position[need] = predicted
            self.last_seen[need] = apply_matrix(camera, self.last_seen[need])
            was_visible = self.visible[need].copy()
            self.visible[need] = False
            self.recheck(grey, need[carried])
            # A moving point that lost its own track but is carried by its fellows stays visible while it was.
            keep = need[carried & was_visible & ~self.background[need]]
            keep = keep[self.inside(self.position[keep], margin=4.0)]
            self.visible[keep] = True
            undecided = self.camera_shared[need] == 0  # no evidence of its own yet: it may well be moving
            self.rejoin(grey, need[~self.visible[need] & (~self.background[need] | undecided)])
            for i in need[~self.visible[need] & ~self.background[need]]:
                self.redetect(grey, int(i))
        self.check_against_fellows(np.flatnonzero(tracked & ~self.background))
        self.learn_offsets()
        # Points that move with the camera follow it exactly (precise even without texture); their visibility is
        # whether they still look like themselves there.
        background = np.flatnonzero(self.started & self.background & ~flowing)
        if len(background):
            # Where the composed homography from the point's query frame puts it (so a point that was dragged off for
            # a while comes back where the scene is), refined against the query frame within half a pixel, which
            # removes the small drift of composing.
            self.position[background] = self.anchor(grey, background, self.scene_positions(background), reach=0.5)
            self.visible[background] = False
            self.recheck(grey, background, self.config.scene_threshold, anchor=False)

    def follow_flow(self, previous: np.ndarray, grey: np.ndarray, camera: np.ndarray) -> np.ndarray:
        """Points without texture and without a textured neighbour to take their class from (the inside of a
        flat-coloured shape), where Lucas–Kanade and correlation say nothing, take their step from their flat region
        (its silhouette matched as a whole, :mod:`.flat_regions`), or else from a dense flow (DIS, which fills a flat
        region from its edges). Each learns from these steps whether it moves with the camera (consistent steps that
        agree with the camera's); those that do not are moved by them here. Such a point is visible while its step is
        consistent and its patch keeps its grey level and stays flat (an occluder or the region's edge arriving changes
        them); a hidden one coasts at its last velocity until its grey level is back. Returns the indices of the points
        moved here."""
        flat = np.flatnonzero(self.started & self.flat & ~self.textured_fellows())
        if len(flat) == 0:
            return flat
        step = np.zeros((len(flat), 2), np.float32)
        consistent = np.zeros(len(flat), bool)
        in_region = self.region[flat] >= 0
        if in_region.any():
            self.regions.step(self.frame, np.unique(self.region[flat[in_region]]))
            step[in_region], consistent[in_region] = self.regions.shift(self.region[flat[in_region]])
        region_found = consistent.copy()
        length = np.linalg.norm(step, axis=1)
        # A region's step is its silhouette's: compared with what the camera does at the region's centre. Only a
        # region's silhouette is evidence of moving unlike the camera: a dense flow inside a flat area of a photograph
        # is too weak (such points keep the class of the camera, as without this step).
        at = self.position[flat].copy()
        if region_found.any():
            at[region_found] = self.regions.previous_centres(self.region[flat[region_found]])
        camera_step = apply_matrix(camera, at) - at
        agree = np.linalg.norm(step - camera_step, axis=1) < 1.0 + 0.1 * length
        evidence = region_found & self.visible[flat]
        self.flow_shared[flat[evidence]] += 1
        self.flow_agree[flat[evidence]] += agree[evidence]
        self.classify_flat()
        rows = np.flatnonzero(~self.background[flat])
        rest = rows[~consistent[rows]]
        if len(rest):  # moving points without a region, or whose region was not found: the dense flow
            forward = self.dis.calc(previous, grey, None)
            backward = self.dis.calc(grey, previous, None)
            step[rest] = _sample(forward, self.position[flat[rest]])
            back = _sample(backward, self.position[flat[rest]] + step[rest])
            tolerance = 1.0 + 0.1 * np.linalg.norm(step[rest], axis=1)
            consistent[rest] = np.linalg.norm(step[rest] + back, axis=1) <= tolerance
        moved = self.position[flat] + step
        index = flat[rows]
        if len(index) == 0:
            return index
        was = self.visible[index]
        candidate = np.where(was[:, None], moved[rows], self.position[index] + self.velocity[index])
        raw = patches(self.raw, candidate, self.config.template_size).reshape(len(index), -1)
        same = (np.abs(raw.mean(axis=1) - self.level[index]) <= FLAT_LEVEL_STEP) & (raw.std(axis=1) < 2 * FLAT_CONTRAST)
        seen = same & self.inside(candidate) & (consistent[rows] | ~was)
        self.velocity[index] = np.where(was[:, None], candidate - self.position[index], self.velocity[index])
        self.position[index] = candidate
        self.visible[index] = seen
        self.level[index[seen]] = raw.mean(axis=1)[seen]
        self.last_seen[index[seen]] = candidate[seen]
        return index

    def scene_positions(self, index: np.ndarray) -> np.ndarray:
        """Where the camera alone puts each point now: its query position moved by the composed homography from its
        query frame (what a point of the static scene does, whatever the point's own track did)."""
        out = np.zeros((len(index), 2), np.float32)
        for frame in np.unique(self.query_frame[index]):
            rows = np.flatnonzero(self.query_frame[index] == frame)
            since_query = self.cumulative @ np.linalg.inv(self.query_camera[int(frame)])
            out[rows] = apply_matrix(since_query, self.queries[index[rows], 1:].astype(np.float32))
        return out

    def recheck(self, grey: np.ndarray, index: np.ndarray, threshold: float | None = None, anchor: bool = True) -> None:
        """Points carried by their neighbours are visible again where they look like themselves at that position."""
        if len(index) == 0:
            return
        inside = self.inside(self.position[index])
        index = index[inside]
        if len(index) == 0:
            return
        refined = self.anchor(grey, index, self.position[index]) if anchor else self.position[index]
        seen = patches(self.image, refined, self.config.template_size)
        looks = self.looks(index, refined, seen)
        back = looks >= (self.config.redetect_threshold if threshold is None else threshold)
        self.position[index[back]] = refined[back]
        self.last_seen[index[back]] = refined[back]
        self.visible[index[back]] = True

    def track_live(self, previous, grey, live, camera):
        """Lucas–Kanade from several priors; for each point the result that passes the forward–backward check and
        looks most like the point wins (each is first anchored to the query frame). The priors: the point's own last
        velocity, the camera's step, and then, for points still failing, the median step of their nearest points that
        succeeded (an object moving fast carries its harder points along), and last, for points no prior explains, the
        best match of the point's recent template within ``config.search_radius`` pixels. From the velocity and
        neighbour priors, a result that is not sure is tried again with only ``config.fine_levels`` pyramid levels."""
        config = self.config
        best = None

        def attempt(index, guess, levels=None):
            moved, ok = lk_step(previous, grey, self.position[live[index]], config, guess, levels=levels)
            moved = self.anchor(grey, live[index], moved)
            seen = patches(self.image, moved, config.template_size)
            looks = self.looks(live[index], moved, seen)
            return [moved, ok, seen, looks, np.where(ok, looks, -2.0)]

        def keep_better(index, candidate):
            better = candidate[4] > best[4][index]
            for k, value in enumerate(candidate):
                mask = better.reshape((-1,) + (1,) * (value.ndim - 1))
                best[k][index] = np.where(mask, value, best[k][index])

        def retry_fine(index, guess):
            # Where the result is not sure, Lucas–Kanade again from the same guess with only the pyramid's finest
            # levels: at the coarse levels a small object's window holds mostly its surroundings, which pull a point
            # that moves unlike them back to their motion (the guess already holds the large part of the step).
            unsure = np.flatnonzero(best[4][index] < CONFIDENT)
            if len(unsure):
                keep_better(index[unsure], attempt(index[unsure], guess[unsure], levels=config.fine_levels))

        def from_guess(index, guess):
            keep_better(index, attempt(index, guess))
            retry_fine(index, guess)

        everyone = np.arange(len(live))
        own_velocity = self.position[live] + self.velocity[live]
        best = attempt(everyone, own_velocity)
        retry_fine(everyone, own_velocity)
        unsure = np.flatnonzero(best[4] < CONFIDENT)  # a sure result needs no second opinion (saves time)
        if len(unsure):
            keep_better(unsure, attempt(unsure, apply_matrix(camera, self.position[live[unsure]])))
        passed = (best[4] >= config.match_threshold) & self.inside(best[0])
        failing = np.flatnonzero(~passed)
        if len(failing) and passed.sum() >= 2:
            steps = best[0][passed] - self.position[live[passed]]
            anchors = self.position[live[passed]]
            distance = np.linalg.norm(self.position[live[failing]][:, None] - anchors[None], axis=-1)
            nearest = np.argsort(distance, axis=1, kind="stable")[:, :5]
            guess = self.position[live[failing]] + np.median(steps[nearest], axis=1)
            from_guess(failing, guess)
            # The same from the nearest points that moved unlike the camera (a moving object's own points).
            camera_steps = apply_matrix(camera, self.position[live[passed]]) - self.position[live[passed]]
            moving = np.linalg.norm(steps - camera_steps, axis=1) > 2.0
            if moving.any():
                far = np.where(moving[None, :], distance, np.inf)
                nearest = np.argsort(far, axis=1, kind="stable")[:, :5]
                usable = np.isfinite(np.take_along_axis(far, nearest, axis=1))
                near_moving = np.take_along_axis(far, nearest[:, :1], axis=1)[:, 0] < self.neighbour_radius
                rows = np.flatnonzero(near_moving)
                if len(rows):
                    picked = [steps[nearest[r][usable[r]]] for r in rows]
                    guess = self.position[live[failing[rows]]] + np.array([np.median(p, axis=0) for p in picked])
                    from_guess(failing[rows], guess)
        failing = np.flatnonzero(~((best[4] >= config.match_threshold) & self.inside(best[0])))
        if len(failing):  # fast motion that no prior explains: search for the recent template, then refine there
            guess = self.position[live[failing]] + self.velocity[live[failing]]
            for row, i in enumerate(live[failing]):
                found, score = search(self.image, self.recent_template[i], guess[row], config.search_radius)
                if score >= config.redetect_threshold:
                    guess[row] = found
            keep_better(failing, attempt(failing, guess))
        return best[0], best[1], best[2], best[3]

    def contrast(self, points: np.ndarray) -> np.ndarray:
        """Standard deviation of the raw (smoothed) grey levels in each point's template window."""
        raw = patches(self.raw, points, self.config.template_size)
        return raw.reshape(len(points), -1).std(axis=1)

    def looks(self, index: np.ndarray, positions: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """How much the patch at ``positions`` looks like each point: the better normalised correlation with its
        query and its most recent template. A point whose query patch was flat (no texture to correlate) looks like
        itself wherever the patch is still flat, and not where texture appeared (an occluder); this only for points
        that move with the camera (whose position does not rest on the patch)."""
        score = np.maximum(ncc(seen, self.query_template[index]), ncc(seen, self.recent_template[index]))
        flat = self.flat[index] & self.background[index]
        if flat.any():
            still_flat = self.contrast(positions[flat]) < 2.0 * FLAT_CONTRAST
            score[flat] = np.where(still_flat, 1.0, 0.0)
        return score

    def join(self, grey: np.ndarray, t: int) -> None:
        joining = np.flatnonzero(self.query_frame == t)
        if len(joining) == 0:
            return
        self.query_grey[t] = grey
        self.query_camera[t] = self.cumulative.copy()
        self.position[joining] = self.queries[joining, 1:]
        self.last_seen[joining] = self.queries[joining, 1:]
        self.visible[joining] = True
        self.velocity[joining] = 0.0
        self.started[joining] = True
        template = patches(self.image, self.position[joining], self.config.template_size)
        raw = patches(self.raw, self.position[joining], self.config.template_size).reshape(len(joining), -1)
        self.flat[joining] = raw.std(axis=1) < FLAT_CONTRAST
        self.level[joining] = raw.mean(axis=1)
        flat = joining[self.flat[joining]]
        if len(flat):
            self.region[flat] = self.regions.add(self.frame, self.position[flat])
        self.query_template[joining] = template
        self.recent_template[joining] = template
        self.remember_neighbours(joining)


def _sweep(frames: np.ndarray, queries: np.ndarray, order: range, config: TrackerConfig,
           points: np.ndarray, visible: np.ndarray) -> None:
    """Track every point through the frames in ``order`` starting at its query frame (writes ``points``/``visible``
    from the query frame on, in sweep order)."""
    height, width = frames.shape[1:3]
    state = _Sweep(queries, config, width, height)
    previous = None
    joins = set(np.unique(queries[:, 0].astype(np.int64)).tolist())
    for t in order:
        if not state.started.any() and t not in joins:
            continue  # no point has reached its query frame yet in this direction: nothing to track
        state.image = grey = grey_frame(frames[t])
        state.raw = raw_grey(frames[t])
        state.frame = frames[t]
        if previous is not None and state.started.any():
            state.step(previous, grey)
        state.join(grey, t)
        points[t, state.started] = state.position[state.started]
        visible[t, state.started] = state.visible[state.started]
        previous = grey


def track_points(frames, queries, config: TrackerConfig | None = None) -> TrackResult:
    """Track query points through a video.

    Args:
        frames: ``uint8[T, H, W, 3]`` RGB, ``T >= 2``.
        queries: ``float[N, 3]`` rows ``(frame_index, x, y)`` in pixels of ``frames`` (pixel centres at integers).
        config: :class:`TrackerConfig` (defaults when None).

    Returns:
        :class:`TrackResult` with ``points float32[T, N, 2]`` and ``visible bool[T, N]``. Each point is tracked
        forward from its query frame to the end and backward from it to frame 0; at its query frame it is exactly the
        query position and visible. Deterministic: the same input gives the same output.

    Raises:
        TrackDiffError: naming ``frames`` or ``queries`` for bad input (one frame, wrong shape or dtype, more frames
        than ``config.max_frames``, no queries, NaN, a query frame or position outside the video).
    """
    config = config or TrackerConfig()
    frames = check_frames(frames, config)
    count, height, width = frames.shape[:3]
    queries = check_queries(queries, count, width, height, max_points=config.max_points)
    points = np.zeros((count, len(queries), 2), dtype=np.float32)
    visible = np.zeros((count, len(queries)), dtype=bool)
    with deterministic_opencv(config.threads, config.seed):
        _sweep(frames, queries, range(count), config, points, visible)
        _sweep(frames, queries, range(count - 1, -1, -1), config, points, visible)
    return TrackResult(points, visible)

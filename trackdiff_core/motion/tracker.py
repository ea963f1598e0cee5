"""``track_points``: the pack's weight-free point tracker (see ``docs/motion-from-video.md`` for the design and
its measurement).

One sweep forward and one backward over the video; in each, a point joins at its query frame. Per frame step:

1. **Camera.** A grid tracked by Lucas–Kanade (forward–backward checked) gives the step homography by RANSAC.
2. **Track.** Visible points are tracked by pyramidal Lucas–Kanade with a forward–backward check, from up to four
   priors: the point's own last velocity, the camera's step, the median step of nearby points that succeeded, and a
   template search (normalised correlation within ``search_radius``). Each result is refined against the point's query
   frame (Lucas–Kanade from the query image: no drift) and must still look like the point (correlation with its query
   or most recent patch ≥ ``match_threshold``).
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

from .camera import grid_points, step_homography
from .config import TrackerConfig
from .flat_regions import FlatRegions
from .frames import grey_frame, raw_grey
from .inputs import check_frames, check_queries
from .lucas_kanade import lk_step
from .opencv_state import deterministic_opencv
from .result import TrackResult
from .templates import ncc, patches, search


#: Raw grey-level standard deviation under which a template counts as flat (no texture to correlate).
FLAT_CONTRAST = 4.0
#: How many query-frame neighbours each point remembers (for points without texture or history).
NEIGHBOURS = 6
#: Largest change of a flat point's raw grey level in one step that still counts as the same surface (an occluder
#: of another colour or a shape's edge arriving changes it more; a lighting change less).
FLAT_LEVEL_STEP = 10.0
#: Correlation above which the first Lucas–Kanade result of a step is taken without trying the other priors.
CONFIDENT = 0.9


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    homogeneous = np.concatenate([points.astype(np.float64), np.ones((len(points), 1))], axis=1) @ matrix.T
    return (homogeneous[:, :2] / homogeneous[:, 2:3]).astype(np.float32)


def _sample(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``float32[N, 2]``: a dense ``float32[H, W, 2]`` field read at sub-pixel ``points`` (bilinear, borders
    replicated)."""
    if len(points) == 0:
        return np.zeros((0, 2), np.float32)
    where = np.ascontiguousarray(points, np.float32).reshape(1, -1, 2)
    return cv2.remap(field, where[..., 0].copy(), where[..., 1].copy(), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).reshape(-1, 2)


class _Sweep:
    """State of one sweep (forward or backward) over the frames."""

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
        on_camera = _apply(camera, self.position)
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
            self.last_seen[need] = _apply(camera, self.last_seen[need])
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
        camera_step = _apply(camera, at) - at
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
            out[rows] = _apply(since_query, self.queries[index[rows], 1:].astype(np.float32))
        return out

    def learn_offsets(self) -> None:
        """Remember, for each visible point, where it lies relative to each visible query-frame neighbour."""
        valid = self.neighbours >= 0
        fellows = np.where(valid, self.neighbours, 0)
        both = valid & self.visible[:, None] & self.visible[fellows]
        offsets = self.position[:, None, :] - self.position[fellows]
        self.offsets = np.where(both[..., None], offsets, self.offsets)
        self.offset_known |= both

    def rejoin(self, grey: np.ndarray, index: np.ndarray) -> None:
        """Place lost moving points where their coherent query-frame neighbours that are visible now put them (each
        neighbour's position plus the offset last seen between them), and check whether they are visible there. Unlike
        stepping along, this is absolute: once the neighbours are found again, the point is where it belongs."""
        for i in index:
            fellows = self.neighbours[i]
            use = (fellows >= 0) & self.offset_known[i]
            use &= np.where(use, self.visible[np.maximum(fellows, 0)], False)
            if use.sum() < 2:
                continue
            chosen = fellows[use]
            shared = self.shared[i, chosen]
            agree = (shared == 0) | (self.agree[i, chosen] >= 0.85 * shared)
            if agree.sum() < 2:
                continue
            self.position[i] = np.median(self.position[chosen[agree]] + self.offsets[i, use][agree], axis=0)
        self.recheck(grey, index)

    def fellow_position(self, i: int) -> np.ndarray | None:
        """Where point ``i``'s coherent, visible query-frame neighbours put it (their positions plus the offsets last
        seen), or None with fewer than 3 of them."""
        fellows = self.neighbours[i]
        use = (fellows >= 0) & self.offset_known[i]
        use &= np.where(use, self.visible[np.maximum(fellows, 0)], False)
        chosen = fellows[use]
        if len(chosen) < 3:
            return None
        shared = self.shared[i, chosen]
        agree = (shared > 0) & (self.agree[i, chosen] >= 0.85 * shared)
        if agree.sum() < 3:
            return None
        return np.median(self.position[chosen[agree]] + self.offsets[i, use][agree], axis=0)

    def check_against_fellows(self, index: np.ndarray) -> None:
        """A tracked moving point more than 3 px from where its fellows put it, and that looks no better there than at
        their position, has slid (an edge, a boundary, a repeated texture): it takes its fellows' position."""
        for i in index:
            expected = self.fellow_position(int(i))
            if expected is None or np.linalg.norm(expected - self.position[i]) <= 3.0:
                continue
            both = np.stack([self.position[i], expected]).astype(np.float32)
            seen = patches(self.image, both, self.config.template_size)
            looks = self.looks(np.array([i, i]), both, seen)
            if looks[1] >= looks[0] - 0.05:
                self.position[i] = expected

    def learn_coherence(self, tracked: np.ndarray, step: np.ndarray) -> None:
        """Count, for each pair of points tracked in this step, whether they moved alike (the same object)."""
        index = np.flatnonzero(tracked)
        if len(index) < 2:
            return
        moves = step[index]
        difference = np.linalg.norm(moves[:, None] - moves[None], axis=-1)
        tolerance = 1.0 + 0.1 * np.linalg.norm(moves, axis=1)
        grid = np.ix_(index, index)
        self.shared[grid] += 1
        self.agree[grid] += difference < np.maximum(tolerance[:, None], tolerance[None])

    def predict(self, need: np.ndarray, tracked: np.ndarray, step: np.ndarray, camera: np.ndarray):
        """Where the points in ``need`` (not tracked in this step) went: the median step of their nearest *coherent*
        neighbours (points that have moved like them so far and were tracked now), else the camera's step.

        Returns ``(positions, carried)``; ``carried`` is True where coherent neighbours gave the prediction."""
        positions = _apply(camera, self.position[need]) if len(need) else np.zeros((0, 2), np.float32)
        carried = np.zeros(len(need), bool)
        index = np.flatnonzero(tracked)
        if len(need) == 0:
            return positions, carried
        shared = self.shared[np.ix_(need, index)]
        coherent = (shared >= 1) & (self.agree[np.ix_(need, index)] >= 0.85 * shared)
        distance = np.linalg.norm(self.position[need][:, None] - self.position[index][None], axis=-1)
        coherent &= distance < self.neighbour_radius
        for row in np.flatnonzero(coherent.sum(axis=1) >= 2):
            chosen = np.flatnonzero(coherent[row])
            nearest = chosen[np.argsort(distance[row, chosen], kind="stable")[:8]]
            positions[row] = self.position[need[row]] + np.median(step[index[nearest]], axis=0)
            carried[row] = True
        for row in np.flatnonzero(~carried & ~self.background[need]):
            fellows = self.neighbours[need[row]]
            fellows = fellows[(fellows >= 0)]
            fellows = fellows[tracked[fellows]] if len(fellows) else fellows
            if len(fellows) >= 2:  # no history yet: the points that were next to it at its query frame carry it
                positions[row] = self.position[need[row]] + np.median(step[fellows], axis=0)
                carried[row] = True
        return positions, carried

    def learn_background(self, index: np.ndarray, moved: np.ndarray, camera_step: np.ndarray,
                         camera_as_good: np.ndarray) -> None:
        """Count whether each tracked point moved with the camera: its Lucas–Kanade step agreed with the camera's, or
        the patch where the camera alone puts it (from its query frame) looks as much like the point as the patch
        where Lucas–Kanade put it (an edge, a repeated texture or a passing occluder lets Lucas–Kanade slide). Not for points without texture: Lucas–Kanade's step means
        nothing there, and the camera is the better guess."""
        textured = ~self.flat[index]
        index, moved, camera_step = index[textured], moved[textured], camera_step[textured]
        step = moved - self.position[index]
        agree = np.linalg.norm(step - camera_step, axis=1) < 1.0 + 0.1 * np.linalg.norm(step, axis=1)
        agree |= camera_as_good[textured]
        self.camera_shared[index] += 1
        self.camera_agree[index] += agree
        self.background = self.camera_agree >= 0.65 * self.camera_shared  # no evidence yet: the camera
        self.classify_flat()

    def textured_fellows(self) -> np.ndarray:
        """``bool[N]``: whether a point has a query-frame neighbour with texture and evidence of its own."""
        fellows = np.maximum(self.neighbours, 0)
        return ((self.neighbours >= 0) & ~self.flat[fellows] & (self.camera_shared[fellows] > 0)).any(axis=1)

    def classify_flat(self) -> None:
        """A point without evidence of its own (no texture, or never tracked yet) moves with the camera or not as most
        of its query-frame neighbours with evidence do; with no such neighbour, a textured point whose first
        Lucas–Kanade step failed counts as moving (the camera-prior step rarely fails on the static scene)."""
        own_flow = self.flat & (self.flow_shared > 0) & ~self.textured_fellows()
        self.background[own_flow] = self.flow_agree[own_flow] >= 0.65 * self.flow_shared[own_flow]
        unknown = self.started & (self.flat | (self.camera_shared == 0)) & ~own_flow
        for i in np.flatnonzero(unknown):
            fellows = self.neighbours[i]
            fellows = fellows[fellows >= 0]
            fellows = fellows[~self.flat[fellows] & (self.camera_shared[fellows] > 0)] if len(fellows) else fellows
            if len(fellows):
                self.background[i] = self.background[fellows].mean() >= 0.5
            elif self.failed_unknown[i]:
                self.background[i] = False

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
        best match of the point's recent template within ``config.search_radius`` pixels."""
        config = self.config
        best = None

        def attempt(index, guess):
            moved, ok = lk_step(previous, grey, self.position[live[index]], config, guess)
            moved = self.anchor(grey, live[index], moved)
            seen = patches(self.image, moved, config.template_size)
            looks = self.looks(live[index], moved, seen)
            return [moved, ok, seen, looks, np.where(ok, looks, -2.0)]

        def keep_better(index, candidate):
            better = candidate[4] > best[4][index]
            for k, value in enumerate(candidate):
                mask = better.reshape((-1,) + (1,) * (value.ndim - 1))
                best[k][index] = np.where(mask, value, best[k][index])

        everyone = np.arange(len(live))
        best = attempt(everyone, self.position[live] + self.velocity[live])
        unsure = np.flatnonzero(best[4] < CONFIDENT)  # a sure first result needs no second opinion (saves time)
        if len(unsure):
            keep_better(unsure, attempt(unsure, _apply(camera, self.position[live[unsure]])))
        passed = (best[4] >= config.match_threshold) & self.inside(best[0])
        failing = np.flatnonzero(~passed)
        if len(failing) and passed.sum() >= 2:
            steps = best[0][passed] - self.position[live[passed]]
            anchors = self.position[live[passed]]
            distance = np.linalg.norm(self.position[live[failing]][:, None] - anchors[None], axis=-1)
            nearest = np.argsort(distance, axis=1, kind="stable")[:, :5]
            guess = self.position[live[failing]] + np.median(steps[nearest], axis=1)
            keep_better(failing, attempt(failing, guess))
            # The same from the nearest points that moved unlike the camera (a moving object's own points).
            camera_steps = _apply(camera, self.position[live[passed]]) - self.position[live[passed]]
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
                    keep_better(failing[rows], attempt(failing[rows], guess))
        failing = np.flatnonzero(~((best[4] >= config.match_threshold) & self.inside(best[0])))
        if len(failing):  # fast motion that no prior explains: search for the recent template, then refine there
            guess = self.position[live[failing]] + self.velocity[live[failing]]
            for row, i in enumerate(live[failing]):
                found, score = search(self.image, self.recent_template[i], guess[row], config.search_radius)
                if score >= config.redetect_threshold:
                    guess[row] = found
            keep_better(failing, attempt(failing, guess))
        return best[0], best[1], best[2], best[3]

    def redetect(self, grey: np.ndarray, i: int) -> None:
        """Search for lost point ``i`` near the camera's prediction and near where it was last seen."""
        config = self.config
        best, score = None, -1.0
        centres = [self.position[i]]
        if np.linalg.norm(self.last_seen[i] - self.position[i]) > config.search_radius:
            centres.append(self.last_seen[i])
        for centre in centres:
            for template in (self.query_template[i], self.recent_template[i]):
                found, value = search(self.image, template, centre, config.search_radius)
                if value > score:
                    best, score = found, value
        if best is not None and score >= config.redetect_threshold and self.inside(best[None])[0]:
            refined = self.anchor(grey, np.array([i]), best[None])[0]
            self.position[i] = refined
            self.last_seen[i] = refined
            self.visible[i] = True

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

    def remember_neighbours(self, joining: np.ndarray) -> None:
        """Each joining point's nearest started points at its query frame (its likely fellow members of one surface)."""
        others = np.flatnonzero(self.started)
        distance = np.linalg.norm(self.position[joining][:, None] - self.position[others][None], axis=-1)
        distance[others[None, :] == joining[:, None]] = np.inf
        order = np.argsort(distance, axis=1, kind="stable")[:, :NEIGHBOURS]
        near = np.take_along_axis(distance, order, axis=1) < self.neighbour_reach
        self.neighbours[joining, :order.shape[1]] = np.where(near, others[order], -1)
        fellows = np.maximum(self.neighbours[joining], 0)
        self.offsets[joining] = self.position[joining][:, None, :] - self.position[fellows]
        self.offset_known[joining] = self.neighbours[joining] >= 0


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

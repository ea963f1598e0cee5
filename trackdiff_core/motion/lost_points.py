"""How the tracker's sweep carries and finds again points it lost (step 5 of :mod:`.tracker`'s design): by the steps
of their coherent neighbours, by the offsets last seen from their query-frame neighbours, and by template search. A
mixin of the sweep's state; it reads and writes that state's arrays."""

from __future__ import annotations

import numpy as np

from .camera import apply_matrix
from .templates import patches, search

#: How many query-frame neighbours each point remembers (for points without texture or history).
NEIGHBOURS = 6


class LostPointCarrying:
    """Neighbour offsets, prediction of untracked points, re-joining and re-detection."""

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

    def predict(self, need: np.ndarray, tracked: np.ndarray, step: np.ndarray, camera: np.ndarray):
        """Where the points in ``need`` (not tracked in this step) went: the median step of their nearest *coherent*
        neighbours (points that have moved like them so far and were tracked now), else the camera's step.

        Returns ``(positions, carried)``; ``carried`` is True where coherent neighbours gave the prediction."""
        positions = apply_matrix(camera, self.position[need]) if len(need) else np.zeros((0, 2), np.float32)
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

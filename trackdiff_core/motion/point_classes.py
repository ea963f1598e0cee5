"""How the tracker's sweep learns what each point is: whether it moves with the camera, and which points move like it
(step 3 of :mod:`.tracker`'s design). A mixin of the sweep's state; it reads and writes that state's arrays."""

from __future__ import annotations

import numpy as np


class PointClasses:
    """Camera-bound or moving, and coherence between points, from the evidence of each frame step."""

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

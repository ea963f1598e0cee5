"""One pyramidal Lucas–Kanade step with a forward–backward check."""

from __future__ import annotations

import cv2
import numpy as np

from .config import TrackerConfig

_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)


def lk_step(previous: np.ndarray, current: np.ndarray, points: np.ndarray, config: TrackerConfig,
            guess: np.ndarray | None = None, levels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Track ``points`` (``float32[N, 2]``) from grey image ``previous`` to ``current``.

    Returns ``(new_points, ok)``: ``ok`` is False where LK failed or the backward track from the new position lands
    more than ``config.fb_threshold`` pixels from the start (the forward–backward check). ``guess`` (optional) is an
    initial position in ``current`` (e.g. the camera's prediction), which lets LK find large motions; ``levels``
    overrides ``config.pyramid_levels``."""
    levels = config.pyramid_levels if levels is None else levels
    if len(points) == 0:
        return points.copy(), np.zeros(0, dtype=bool)
    start = np.ascontiguousarray(points, dtype=np.float32).reshape(-1, 1, 2)
    size = (config.window, config.window)
    flags = 0
    init = None
    if guess is not None:
        init = np.ascontiguousarray(guess, dtype=np.float32).reshape(-1, 1, 2).copy()
        flags = cv2.OPTFLOW_USE_INITIAL_FLOW
    forward, status, _ = cv2.calcOpticalFlowPyrLK(previous, current, start, init, winSize=size,
                                                  maxLevel=levels, criteria=_CRITERIA, flags=flags)
    # The backward track starts from the inverse of the guessed motion (or none), never from the answer itself.
    back_init = forward - (init - start) if init is not None else forward.copy()
    back, status_back, _ = cv2.calcOpticalFlowPyrLK(current, previous, forward, back_init, winSize=size,
                                                    maxLevel=levels, criteria=_CRITERIA,
                                                    flags=cv2.OPTFLOW_USE_INITIAL_FLOW)
    error = np.linalg.norm(back.reshape(-1, 2) - start.reshape(-1, 2), axis=1)
    ok = (status.reshape(-1) == 1) & (status_back.reshape(-1) == 1) & (error <= config.fb_threshold)
    return forward.reshape(-1, 2), ok

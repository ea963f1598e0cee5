"""Run OpenCV with a fixed thread count and RNG seed (deterministic results), restoring the thread count after."""

from __future__ import annotations

from contextlib import contextmanager

import cv2


@contextmanager
def deterministic_opencv(threads: int, seed: int):
    """Within the block OpenCV uses ``threads`` threads and its RNG (RANSAC) starts from ``seed``."""
    previous = cv2.getNumThreads()
    cv2.setNumThreads(int(threads))
    cv2.setRNGSeed(int(seed))
    try:
        yield
    finally:
        cv2.setNumThreads(previous)

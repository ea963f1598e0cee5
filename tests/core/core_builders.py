"""Builders of valid test data shared by the core tests (a uniquely named module, so test files can import it
whatever other test folders are collected in the same run)."""

import numpy as np


def box_document(frame_count=14, objects=None):
    """A valid tracklet document dict with two moving objects unless ``objects`` is given."""
    if objects is None:
        objects = [
            {
                "id": 1, "label": "car", "color": "#1f77b4", "interpolation": "linear",
                "keyframes": [{"frame": 0, "box": [0.1, 0.2, 0.3, 0.4]}, {"frame": frame_count - 1, "box": [0.6, 0.5, 0.8, 0.7]}],
            },
            {
                "id": 2, "label": "dog", "color": "#ff7f0e", "interpolation": "ease_in_out",
                "visibility": [[2, frame_count - 3]],
                "keyframes": [{"frame": 0, "box": [0.5, 0.5, 0.9, 0.9]}, {"frame": 6, "box": [0.1, 0.1, 0.4, 0.4]}],
            },
        ]
    return {"version": 1, "kind": "tracklets", "frame_count": frame_count, "objects": objects}


def random_tracklets(rng, frames=9, objects=3):
    from trackdiff_core import Tracklets

    lo = rng.uniform(0.0, 0.5, size=(frames, objects, 2))
    size = rng.uniform(0.05, 0.45, size=(frames, objects, 2))
    boxes = np.concatenate([lo, lo + size], axis=-1)
    visible = rng.uniform(size=(frames, objects)) > 0.2
    return Tracklets(boxes, visible, ids=[3 * i + 1 for i in range(objects)], labels=[f"obj{i}" for i in range(objects)])

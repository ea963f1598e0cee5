"""How MaskArrowToTrajectories reads motion from core TRACKS and from an arrows STRING, through /prompt: objects whose
points hide do not move, paths of any lengths, even pixel speed on a non-square frame, one position per frame."""

from __future__ import annotations

import json

import numpy as np

W, H = 96, 64


def box_tracks(node: str, box, visibility=None) -> dict:
    """A static box from the Tracklet Editor as TRACKS (its 4 corners), optionally visible only on some frames."""
    obj = {"id": 1, "color": "#ff0000", "keyframes": [{"frame": 0, "box": box}]}
    if visibility is not None:
        obj["visibility"] = visibility
    doc = {"version": 1, "kind": "tracklets", "frame_count": 6, "objects": [obj]}
    return {f"{node}a": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": json.dumps(doc)}},
            f"{node}": {"class_type": "TrackletsToTracks", "inputs": {"tracklets": [f"{node}a", 0], "width": W,
                                                                     "height": H, "layout": "corners",
                                                                     "points_per_box": 4}}}


def full_masks(count: int) -> dict:
    prompt = {"m1": {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": W, "height": H}},
              "m2": {"class_type": "MaskToImage", "inputs": {"mask": ["m1", 0]}},
              "m3": {"class_type": "ImageToMask", "inputs": {"image": ["m2", 0], "channel": "red"}}}
    if count == 2:
        prompt["m4"] = {"class_type": "ImageBatch", "inputs": {"image1": ["m2", 0], "image2": ["m2", 0]}}
        prompt["m3"]["inputs"]["image"] = ["m4", 0]
    return prompt


def node(frame_count=6, **inputs) -> dict:
    empty = json.dumps({"version": 1, "kind": "mask_arrows", "frame_count": frame_count, "objects": []})
    return {"class_type": "MaskArrowToTrajectories", "inputs": {
        "mask_arrows_json": empty, "frame_count": frame_count, "K": 2, "s": 1, "point_seed": 0, "timing": "linear",
        "width": W, "height": H, "mask_layout": "one_per_object", "masks": ["m3", 0], **inputs}}


def run_tracks(server, prompt) -> np.ndarray:
    prompt["r"] = {"class_type": "TrackDiffTestTracks", "inputs": {"tracks": ["n", 0]}}
    return np.asarray(server.run(prompt)["r"]["trackdiff_tracks"][0]["path"])  # [T, P, 2] pixels


def test_an_object_whose_points_partly_hide_stays_still(comfy_server):
    """Two static boxes' corners as one object; one box hides from frame 3 on. Old rule (mean of the visible
    positions): the object jumped. Displacements of points visible on both frames: it stays."""
    prompt = {**box_tracks("t1", [0.1, 0.1, 0.3, 0.3]), **box_tracks("t2", [0.5, 0.5, 0.9, 0.9], [[0, 2]]),
              "cat": {"class_type": "WanMoveConcatTrack", "inputs": {"tracks_1": ["t1", 0], "tracks_2": ["t2", 0]}},
              **full_masks(1), "n": node(tracks=["cat", 0])}
    path = run_tracks(comfy_server, prompt)
    assert path.shape == (6, 2, 2)
    np.testing.assert_allclose(path - path[:1], 0.0, atol=1e-4)


def test_arrows_of_different_lengths_each_move_their_mask(comfy_server):
    arrows = json.dumps([[{"x": 10, "y": 10}, {"x": 50, "y": 10}],
                         [{"x": 20, "y": 20}, {"x": 40, "y": 20}, {"x": 40, "y": 40}]])
    path = run_tracks(comfy_server, {**full_masks(2), "n": node(arrows=arrows)})
    moved = path[-1] - path[0]  # points 0, 1: the first mask; 2, 3: the second
    np.testing.assert_allclose(moved, [[40, 0], [40, 0], [20, 20], [20, 20]], atol=1e-3)


def test_a_path_runs_at_even_pixel_speed_on_a_non_square_frame(comfy_server):
    """80 px across then 50 px down on 96 × 64, over 14 frames: 13 steps of 10 px each (normalised arc length gave
    steps off by up to 1.15 px)."""
    arrows = json.dumps([[{"x": 10, "y": 10}, {"x": 90, "y": 10}, {"x": 90, "y": 60}]])
    path = run_tracks(comfy_server, {**full_masks(1), "n": node(frame_count=14, arrows=arrows)})
    steps = np.linalg.norm(np.diff(path[:, 0], axis=0), axis=-1)
    np.testing.assert_allclose(steps, 10.0, atol=1e-3)


def test_one_position_per_frame_keeps_its_own_timing(comfy_server):
    """Every entry has exactly frame_count points: read as positions per frame, not as a path at even speed."""
    arrows = json.dumps([[{"x": 10, "y": 10}, {"x": 11, "y": 10}, {"x": 40, "y": 10}, {"x": 41, "y": 10}]])
    path = run_tracks(comfy_server, {**full_masks(1), "n": node(frame_count=4, arrows=arrows)})
    np.testing.assert_allclose(path[:, 0, 0] - path[0, 0, 0], [0, 1, 30, 31], atol=1e-3)

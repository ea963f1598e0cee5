"""Fixtures that pin the JavaScript editor to Python's meaning of the editor documents.

``python3 tests/js/parity_fixtures.py`` writes ``tests/js/fixtures/python_parity.json``; ``tests/js/parity.test.mjs``
(Node) checks the JS against it, and ``tests/js/test_parity_fixtures.py`` (pytest) checks the committed file still is
what Python computes, so neither side can drift silently.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from trackdiff_core.camera import apply_to_points, normalized_matrices, parse_camera  # noqa: E402
from trackdiff_core.errors import TrackDiffError  # noqa: E402
from trackdiff_core.mask_arrow_document import MaskArrowDocument  # noqa: E402
from trackdiff_core.masks import rle_encode  # noqa: E402
from trackdiff_core.trackgo_points import path_displacements  # noqa: E402
from trackdiff_core.tracklet_document import TrackletDocument  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "python_parity.json"
CURVES = ["linear", "ease_in", "ease_out", "ease_in_out", "hold"]


def tracklet_documents() -> list[dict]:
    docs = []
    for index, curve in enumerate(CURVES):
        docs.append({
            "version": 1, "kind": "tracklets", "frame_count": 14,
            "objects": [
                {"id": 0, "label": "car", "color": "#1f77b4", "interpolation": curve,
                 "keyframes": [{"frame": 0, "box": [0.1, 0.2, 0.3, 0.4]}, {"frame": 7, "box": [0.42, 0.25, 0.61, 0.47]},
                               {"frame": 13, "box": [0.6, 0.5, 0.8, 0.7]}]},
                {"id": 3, "label": "", "color": "#ff7f0e", "interpolation": "linear", "visibility": [[2, 5], [9, 11]],
                 "keyframes": [{"frame": 4, "box": [0.5, 0.5, 0.9, 0.9], "interpolation": CURVES[(index + 1) % 5]},
                               {"frame": 6, "box": [0.11, 0.13, 0.37, 0.41]},
                               {"frame": 12, "box": [0.2, 0.6, 0.3, 0.9], "interpolation": "hold"}]},
                {"id": 7, "label": "still", "color": "#2ca02c", "static": True,
                 "keyframes": [{"frame": 0, "box": [0.3, 0.3, 0.35, 0.36]}, {"frame": 5, "box": [0.9, 0.9, 1.0, 1.0]}]},
            ],
        })
    docs.append({"version": 1, "kind": "tracklets", "frame_count": 1, "objects": [
        {"id": 0, "color": "#d62728", "keyframes": [{"frame": 0, "box": [0, 0, 1, 1]}]}]})
    return docs


def mask_arrow_objects() -> list[dict]:
    return [
        {"path": [[0.3, 0.4], [0.55, 0.3], [0.8, 0.4]], "timing": "ease_in_out", "start_frame": 0, "end_frame": 13},
        {"path": [[0.2, 0.2], [0.2, 0.2], [0.6, 0.9]], "timing": "linear", "start_frame": 3, "end_frame": 10},
        {"path": [[0.7, 0.7]], "timing": "ease_in", "start_frame": 0, "end_frame": 13},
        {"path": [[0.1, 0.9], [0.9, 0.1]], "timing": "hold", "start_frame": 5, "end_frame": 5},
        {"path": [[0.5, 0.5], [0.9, 0.5], [0.9, 0.9], [0.5, 0.9]], "timing": "ease_out", "start_frame": 2, "end_frame": 11},
    ]


INVALID = [
    ("tracklets", "{not json"),
    ("tracklets", '{"version": 2, "kind": "tracklets", "frame_count": 14, "objects": []}'),
    ("tracklets", '{"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": []}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 0, "objects": []}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [], "extra": 1}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "red", "keyframes": []}]}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", "keyframes": []}]}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                  '"keyframes": [{"frame": 0, "box": [0.5, 0.1, 0.2, 0.3]}]}]}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                  '"keyframes": [{"frame": 14, "box": [0.1, 0.1, 0.2, 0.3]}]}]}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                  '"keyframes": [{"frame": 1, "box": [0.1, 0.1, 1.2, 0.3]}]}]}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                  '"visibility": [[5, 2]], "keyframes": [{"frame": 1, "box": [0.1, 0.1, 0.2, 0.3]}]}]}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                  '"interpolation": "bounce", "keyframes": [{"frame": 1, "box": [0.1, 0.1, 0.2, 0.3]}]}]}'),
    ("tracklets", '{"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                  '"keyframes": [{"frame": 1, "box": [0.1, 0.1, 0.2, 0.3]}]}, {"id": 0, "color": "#000000", '
                  '"keyframes": [{"frame": 1, "box": [0.1, 0.1, 0.2, 0.3]}]}]}'),
    ("mask_arrows", '{"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                    '"path": []}]}'),
    ("mask_arrows", '{"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                    '"path": [[0.1, 1.5]]}]}'),
    ("mask_arrows", '{"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                    '"mask": {"size": [2, 2], "counts": [4]}, "path": [[0.1, 0.5]]}]}'),
    ("mask_arrows", '{"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                    '"mask": {"size": [2, 2], "counts": [1, 2]}, "path": [[0.1, 0.5]]}]}'),
    ("mask_arrows", '{"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [{"id": 0, "color": "#000000", '
                    '"path": [[0.1, 0.5]], "start_frame": 9, "end_frame": 3}]}'),
]


CAMERAS = [
    {"version": 1, "keyframes": [{"frame": 0}]},
    {"version": 1, "center": [0.3, 0.6], "interpolation": "ease_in_out", "keyframes": [
        {"frame": 0, "pan": [0.0, 0.0], "zoom": 1.0, "rotation": 0.0},
        {"frame": 6, "pan": [-0.1, 0.05], "zoom": 1.25, "rotation": 7.5, "interpolation": "hold"},
        {"frame": 9, "pan": [0.2, -0.3], "zoom": 0.8, "rotation": -12.0, "interpolation": "ease_out"},
        {"frame": 13, "pan": [0.15, 0.1], "zoom": 2.5, "rotation": 30.0}]},
    {"version": 1, "keyframes": [{"frame": 4, "pan": [0.25, 0.0], "zoom": 1.5}, {"frame": 2, "rotation": -90}]},
]
SIZES = [(1024, 576), (832, 480), (512, 512)]

CAMERA_INVALID = [
    ('{"version": 2, "keyframes": [{"frame": 0}]}'),
    ('{"version": 1, "keyframes": []}'),
    ('{"version": 1, "keyframes": [{"frame": 14}]}'),
    ('{"version": 1, "keyframes": [{"frame": 0, "zoom": 0.01}]}'),
    ('{"version": 1, "keyframes": [{"frame": 0, "pan": [0, 2.5]}]}'),
    ('{"version": 1, "keyframes": [{"frame": 0, "pan": [0, "a"]}]}'),
    ('{"version": 1, "keyframes": [{"frame": 0, "rotation": 400}]}'),
    ('{"version": 1, "keyframes": [{"frame": 0}, {"frame": 3, "interpolation": "bounce"}]}'),
    ('{"version": 1, "keyframes": [{"frame": 3}, {"frame": 3}]}'),
    ('{"version": 1, "center": [1.5, 0.5], "keyframes": [{"frame": 0}]}'),
    ('{"version": 1, "keyframes": [{"frame": 0, "tilt": 3}]}'),
    ('[1, 2]'),
]


def camera_fixtures() -> dict:
    """The camera's matrices, boxes and points as Python computes them (trackdiff_core/camera.py)."""
    cameras = []
    positions = [0.0, 0.5, 2.0, 3.25, 6.0, 6.999, 8.5, 9.0, 12.1, 13.0, 20.0]
    for raw in CAMERAS:
        camera = parse_camera(raw, "camera", 14)
        for width, height in SIZES:
            pixels = camera.matrices(positions, width, height)
            cameras.append({"camera": raw, "width": width, "height": height, "positions": positions,
                            "pixels": pixels[:, :2].tolist(),
                            "normalized": normalized_matrices(pixels, width, height)[:, :2].tolist(),
                            "canonical": camera.to_json()})
    box_docs = []
    for index, raw in enumerate(CAMERAS[1:]):
        doc = tracklet_documents()[index]
        doc = {**doc, "camera": raw}
        parsed = TrackletDocument.parse(json.dumps(doc))
        for width, height in SIZES[:2]:
            resampled = {}
            for n in (1, 5, 14, 25):
                t = parsed.to_tracklets(n, width, height)
                resampled[str(n)] = {"boxes": [[[float(v) for v in box] for box in frame] for frame in t.boxes],
                                     "visible": t.visible.tolist()}
            box_docs.append({"document": doc, "width": width, "height": height, "resampled": resampled,
                             "canonical": parsed.dumps()})
    points = []
    scene = np.array([[0.1, 0.2], [0.5, 0.5], [0.9, 0.75], [0.0, 1.0]])
    for raw in CAMERAS[1:]:
        camera = parse_camera(raw, "camera", 14)
        for obj in mask_arrow_objects()[:3]:
            for anchor in (None, "scene", "screen"):
                path = obj["path"][:1] if anchor else obj["path"]
                moves = path_displacements(np.asarray(path, np.float64), 14, obj["timing"], 14,
                                           obj["start_frame"], obj["end_frame"])
                moved = scene[None] + moves[:, None]
                if anchor != "screen":
                    width, height = SIZES[1]
                    matrices = normalized_matrices(camera.matrices(np.arange(14.0), width, height), width, height)
                    moved = apply_to_points(matrices, moved)
                points.append({"camera": raw, "object": {**obj, "anchor": anchor}, "scene": scene.tolist(),
                               "width": SIZES[1][0], "height": SIZES[1][1], "points": moved.tolist()})
    invalid = []
    for text in CAMERA_INVALID:
        for kind, parser in (("tracklets", TrackletDocument), ("mask_arrows", MaskArrowDocument)):
            document = f'{{"version": 1, "kind": "{kind}", "frame_count": 14, "objects": [], "camera": {text}}}'
            try:
                parser.parse(document)
            except TrackDiffError as exc:
                invalid.append({"kind": kind, "text": document, "field": exc.field})
            else:
                raise AssertionError(f"Python accepted an invalid camera: {text}")
    return {"cameras": cameras, "boxes": box_docs, "points": points, "invalid": invalid}


def build() -> dict:
    tracklets = []
    for doc in tracklet_documents():
        parsed = TrackletDocument.parse(json.dumps(doc))
        resampled = {}
        for n in sorted({1, 2, 5, parsed.frame_count, 14, 25, 31}):
            t = parsed.to_tracklets(n)
            resampled[str(n)] = {"boxes": [[[float(v) for v in box] for box in frame] for frame in t.boxes],
                                 "visible": t.visible.tolist()}
        tracklets.append({"document": doc, "canonical": parsed.dumps(), "resampled": resampled})
    arrows = []
    for obj in mask_arrow_objects():
        out = {"object": obj, "displacements": {}}
        for n in (1, 7, 14, 25):
            moves = path_displacements(np.asarray(obj["path"], np.float32).astype(np.float64), n, obj["timing"], 14,
                                       obj["start_frame"], obj["end_frame"])
            out["displacements"][str(n)] = [[float(v) for v in row] for row in moves]
        arrows.append(out)
    rng = np.random.default_rng(0)
    masks = []
    for shape in [(3, 4), (17, 23), (1, 1)]:
        mask = rng.random(shape) > 0.6
        mask[0, 0] = bool(len(masks) % 2)
        masks.append({"mask": mask.astype(int).ravel().tolist(), "height": shape[0], "width": shape[1], "rle": rle_encode(mask)})
    mask_doc = {"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [
        {"id": 0, "label": "ball", "color": "#2ca02c", "mask": rle_encode(np.eye(6, dtype=bool)), "path": [[0.3, 0.4], [0.8, 0.4]],
         "timing": "ease_in_out", "start_frame": 0, "end_frame": 13},
        {"id": 4, "label": "", "color": "#FF7F0E", "mask": None, "path": [[0.7, 0.7]]},
        {"id": 5, "label": "pin", "color": "#9467bd", "path": [[0.2, 0.3], [0.4, 0.3]], "anchor": "screen", "shape": "point"},
        {"id": 6, "label": "", "color": "#8c564b", "path": [[0.6, 0.1]], "anchor": "scene"},
    ], "camera": CAMERAS[1]}
    invalid = []
    for kind, text in INVALID:
        parser = TrackletDocument if kind == "tracklets" else MaskArrowDocument
        try:
            parser.parse(text)
        except TrackDiffError as exc:
            invalid.append({"kind": kind, "text": text, "field": exc.field})
        else:
            raise AssertionError(f"Python accepted an invalid fixture: {text}")
    return {
        "tracklets": tracklets, "arrows": arrows, "masks": masks,
        "mask_document": {"document": mask_doc, "canonical": MaskArrowDocument.parse(mask_doc).dumps()},
        "invalid": invalid,
        "camera": camera_fixtures(),
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    FIXTURE.write_text(render())
    print(f"wrote {FIXTURE}")

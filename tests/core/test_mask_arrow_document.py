import json

import numpy as np
import pytest

from trackdiff_core import MaskArrowDocument, TrackDiffError
from trackdiff_core.masks import rle_encode


def doc(**changes):
    mask = np.zeros((8, 8), bool)
    mask[2:5, 2:6] = True
    obj = {"id": 3, "label": "ball", "color": "#2ca02c", "mask": rle_encode(mask), "path": [[0.3, 0.4], [0.8, 0.4]],
           "timing": "ease_in_out", "start_frame": 2, "end_frame": 10}
    obj.update(changes)
    return {"version": 1, "kind": "mask_arrows", "frame_count": 14, "objects": [obj]}


def test_round_trip():
    d = MaskArrowDocument.parse(json.dumps(doc()))
    assert d.objects[0].path == ((0.3, 0.4), (0.8, 0.4)) and d.objects[0].decoded_mask().sum() == 12
    assert MaskArrowDocument.parse(d.dumps()) == d


def test_defaults_and_static_anchor():
    d = MaskArrowDocument.parse(doc(path=[[0.5, 0.5]], timing="linear", start_frame=0, end_frame=13))
    assert d.objects[0].is_static and d.end_frame(d.objects[0]) == 13


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"path": []}, "path: must be a non-empty list"),
        ({"path": [[0.3, 1.4]]}, r"path\[0\]: lies outside the frame"),
        ({"path": [[0.3]]}, r"path\[0\]: must be \[x, y\]"),
        ({"mask": {"size": [8, 8], "counts": [64]}}, "mask: has no pixel set"),
        ({"mask": {"size": [8, 8], "counts": [60]}}, "must add up"),
        ({"timing": "wobble"}, "timing"),
        ({"start_frame": 9, "end_frame": 3}, "comes before start_frame"),
        ({"end_frame": 14}, "end_frame: must be at most 13"),
    ],
)
def test_bad_objects(changes, match):
    with pytest.raises(TrackDiffError, match=match):
        MaskArrowDocument.parse(doc(**changes))


def test_kind_is_checked():
    with pytest.raises(TrackDiffError, match='must be "mask_arrows"'):
        MaskArrowDocument.parse({**doc(), "kind": "tracklets"})

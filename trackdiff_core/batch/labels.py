"""Labels for a generated video: the item's tracks resampled to the generated frames, as boxes.

Box documents give their boxes directly. For mask + arrow documents the box of an object is its mask's bounding box
moved by the object's path displacement (the same displacement its points get), clipped to the frame and hidden once
it has left the frame; objects whose mask comes from a MASK input cannot be labelled from the document alone.
"""

from __future__ import annotations

import numpy as np

from ..colors import hex_to_rgb
from ..errors import TrackDiffError
from ..mask_arrow_document import MaskArrowDocument
from ..tracklet_document import TrackletDocument
from ..tracklets import Tracklets
from ..trackgo_points import path_displacements


def mask_arrow_tracklets(document: MaskArrowDocument, num_frames: int) -> Tracklets:
    count = len(document.objects)
    boxes = np.zeros((num_frames, count, 4), dtype=np.float32)
    visible = np.zeros((num_frames, count), dtype=bool)
    for n, obj in enumerate(document.objects):
        mask = obj.decoded_mask(f"objects[{n}].mask")
        if mask is None:
            raise TrackDiffError(
                f"objects[{n}].mask", None, "comes from a MASK input, so the batch cannot know the object's box",
                "paint the mask in the editor (or use box tracks) for batch labelling",
            )
        ys, xs = np.nonzero(mask)
        h, w = mask.shape
        box = np.array([xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h], dtype=np.float32)
        move = path_displacements(np.asarray(obj.path), num_frames, obj.timing, document.frame_count,
                                  obj.start_frame, document.end_frame(obj))
        moved = box[None, :] + np.concatenate([move, move], axis=1)
        clipped = np.clip(moved, 0.0, 1.0)
        boxes[:, n] = clipped
        visible[:, n] = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
    return Tracklets(boxes, visible, [o.id for o in document.objects], [o.label for o in document.objects],
                     [hex_to_rgb(o.color) for o in document.objects] if count else None)


def item_tracklets(document, num_frames: int) -> Tracklets:
    """The boxes to label ``num_frames`` generated frames with."""
    if isinstance(document, TrackletDocument):
        return document.to_tracklets(num_frames)
    return mask_arrow_tracklets(document, num_frames)

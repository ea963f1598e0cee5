"""Labels for a generated video: the item's tracks resampled to the generated frames, as boxes.

Box documents give their boxes directly. For mask + arrow documents the box of an object is its mask's bounding box
moved by the object's path displacement (the same displacement its points get), clipped to the frame and hidden once
it has left the frame; objects whose mask comes from a MASK input cannot be labelled from the document alone. An anchor
follows only its first path point; a ``"point"`` object has no region and gets no label. With a camera layer the box is
then moved by the camera as boxes are (its 4 corners, the bounds, clipped; a screen anchor is not moved).
"""

from __future__ import annotations

import numpy as np

from ..camera import normalized_matrices, transform_boxes
from ..colors import hex_to_rgb
from ..errors import TrackDiffError
from ..mask_arrow_document import MaskArrowDocument
from ..tracklet_document import TrackletDocument
from ..tracklets import Tracklets
from ..timing import frame_positions
from ..trackgo_points import path_displacements


def mask_arrow_tracklets(document: MaskArrowDocument, num_frames: int) -> Tracklets:
    regions = [(n, obj) for n, obj in enumerate(document.objects) if obj.shape == "mask"]
    count = len(regions)
    boxes = np.zeros((num_frames, count, 4), dtype=np.float32)
    visible = np.zeros((num_frames, count), dtype=bool)
    camera = None
    if document.camera is not None:  # drawn at the masks' size: a rotation turns in their aspect ratio
        sizes = [obj.decoded_mask().shape for _, obj in regions if obj.mask is not None]
        h, w = sizes[0] if sizes else (576, 1024)
        positions = frame_positions(document.frame_count, num_frames)
        camera = normalized_matrices(document.camera.matrices(positions, w, h), w, h)
    for index, (n, obj) in enumerate(regions):
        mask = obj.decoded_mask(f"objects[{n}].mask")
        if mask is None:
            raise TrackDiffError(
                f"objects[{n}].mask", None, "comes from a MASK input, so the batch cannot know the object's box",
                "paint the mask in the editor (or use box tracks) for batch labelling",
            )
        ys, xs = np.nonzero(mask)
        h, w = mask.shape
        box = np.array([xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h], dtype=np.float32)
        move = path_displacements(np.asarray(obj.motion_path), num_frames, obj.timing, document.frame_count,
                                  obj.start_frame, document.end_frame(obj))
        moved = box[None, :] + np.concatenate([move, move], axis=1)
        if camera is not None and obj.moves_with_camera:
            clipped, on_screen = transform_boxes(camera, moved[:, None])
            clipped, shown = clipped[:, 0], on_screen[:, 0]
        else:
            clipped = np.clip(moved, 0.0, 1.0)
            shown = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
        boxes[:, index] = clipped
        visible[:, index] = shown
    kept = [obj for _, obj in regions]
    return Tracklets(boxes, visible, [o.id for o in kept], [o.label for o in kept],
                     [hex_to_rgb(o.color) for o in kept] if count else None, camera)


def item_tracklets(document, num_frames: int) -> Tracklets:
    """The boxes to label ``num_frames`` generated frames with."""
    if isinstance(document, TrackletDocument):
        return document.to_tracklets(num_frames)
    return mask_arrow_tracklets(document, num_frames)

"""MOT-Challenge ground truth (``gt/gt.txt``): one comma-separated line per box.

Columns: ``frame, id, bb_left, bb_top, bb_width, bb_height, conf, class, visibility``. Frames count from 1, and so do
pixels: MOTChallenge's ``bb_left, bb_top`` are 1-based (its devkit, TrackEval and py-motmetrics subtract 1), so the
frame's left edge is ``bb_left = 1``. TrackDiff reads and writes them that way; a box whose left edge is at 0 in
TrackDiff's normalised coordinates is written with ``bb_left`` 1. Files with 6 to 10 columns are read (detection files
carry ``x, y, z = -1`` in columns 8-10, and then no class).

Import policy, so that a tracker file always becomes valid :class:`Tracklets`:

* rows whose ``conf`` (the "consider" flag of MOT16/17/20 ground truth) is 0 are skipped unless ``keep_ignored``;
* boxes are clipped to the frame; a box left with no area is hidden at that frame;
* frames where an id has no row are hidden for it, and the box is held from its nearest visible frame;
* the class column becomes the label (MOT17 class names where known, else the number; -1 or none gives "").

Export writes every visible box with ``conf`` 1, the class from the label (a MOT17 class name or a number; any other
label is written as ``-1``, so it is lost) and visibility 1.
"""

from __future__ import annotations

import math

import numpy as np

from ..colors import hex_to_rgb, palette_color
from ..errors import TrackDiffError
from ..tracklets import Tracklets, hold_hidden_boxes
from ..validate import frame_size, integer

MOT17_CLASSES = {
    1: "pedestrian",
    2: "person_on_vehicle",
    3: "car",
    4: "bicycle",
    5: "motorbike",
    6: "non_mot_vehicle",
    7: "static_person",
    8: "distractor",
    9: "occluder",
    10: "occluder_on_ground",
    11: "occluder_full",
    12: "reflection",
    13: "crowd",
}
_CLASS_IDS = {name: cid for cid, name in MOT17_CLASSES.items()}


def read_mot(
    text: str, width: int, height: int, num_frames: int | None = None, keep_ignored: bool = False, field: str = "mot"
) -> Tracklets:
    """Tracklets from the text of a MOT ``gt.txt`` whose boxes are in 1-based pixels of a ``width`` × ``height``
    frame."""
    w, h = frame_size(width, height)
    rows: dict[tuple[int, int], tuple[float, float, float, float]] = {}
    classes: dict[int, int] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{field} line {line_no}"
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 6:
            raise TrackDiffError(where, line, "has fewer than 6 columns", "use frame,id,left,top,width,height[,conf,class,vis]")
        try:
            values = [float(p) for p in parts[:10]]
        except ValueError:
            raise TrackDiffError(where, line, "has a column that is not a number", "fix or remove the line") from None
        if not all(math.isfinite(v) for v in values):
            raise TrackDiffError(where, line, "contains NaN or infinity", "fix or remove the line")
        frame, obj_id = int(values[0]), int(values[1])
        if frame < 1 or values[0] != frame or values[1] != obj_id:
            raise TrackDiffError(where, line, "frame and id must be whole numbers, frames from 1", "fix the line")
        if obj_id < 0:
            continue  # detections without identity (id -1) are not tracks
        if len(values) >= 7 and values[6] == 0 and not keep_ignored:
            continue
        left, top, bw, bh = values[2] - 1.0, values[3] - 1.0, values[4], values[5]  # 1-based pixels to 0-based
        if bw <= 0 or bh <= 0:
            raise TrackDiffError(where, line, "has a box with no width or height", "fix or remove the line")
        if (frame, obj_id) in rows:
            raise TrackDiffError(where, line, f"id {obj_id} appears twice on frame {frame}", "keep one box per id and frame")
        rows[(frame, obj_id)] = (left, top, left + bw, top + bh)
        if 8 <= len(parts) <= 9 and values[7] != -1:  # 10 columns is the detection layout, with no class
            classes.setdefault(obj_id, int(values[7]))
    last = max((f for f, _ in rows), default=0)
    if num_frames is None:
        num_frames = max(last, 1)
    num_frames = integer(num_frames, "num_frames", 1)
    if last > num_frames:
        raise TrackDiffError(field, f"frame {last}", f"is beyond the sequence length {num_frames}", "give the right length")
    ids = sorted({i for _, i in rows})
    column = {obj_id: n for n, obj_id in enumerate(ids)}
    boxes = np.zeros((num_frames, len(ids), 4), dtype=np.float32)
    visible = np.zeros((num_frames, len(ids)), dtype=bool)
    for (frame, obj_id), (x1, y1, x2, y2) in rows.items():
        clipped = np.clip([x1 / w, y1 / h, x2 / w, y2 / h], 0.0, 1.0)
        if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
            boxes[frame - 1, column[obj_id]] = clipped
            visible[frame - 1, column[obj_id]] = True
    labels = [MOT17_CLASSES.get(classes.get(i, 0), str(classes[i]) if i in classes else "") for i in ids]
    colors = [hex_to_rgb(palette_color(n)) for n in range(len(ids))] if ids else None
    return Tracklets(hold_hidden_boxes(boxes, visible), visible, ids, labels, colors)


def write_mot(tracklets: Tracklets, width: int, height: int) -> str:
    """MOT ``gt.txt`` text for ``tracklets`` in 1-based pixels at ``width`` × ``height`` (visible boxes only)."""
    px = tracklets.to_pixels(width, height)
    lines = []
    for t in range(tracklets.num_frames):
        for n in range(tracklets.num_objects):
            if not tracklets.visible[t, n]:
                continue
            x1, y1, x2, y2 = (float(v) for v in px[t, n])
            label = tracklets.labels[n]
            cls = _CLASS_IDS.get(label, int(label) if label.lstrip("-").isdigit() else -1)
            lines.append(f"{t + 1},{tracklets.ids[n]},{x1 + 1:.4f},{y1 + 1:.4f},{x2 - x1:.4f},{y2 - y1:.4f},1,{cls},1")
    return "\n".join(lines) + ("\n" if lines else "")

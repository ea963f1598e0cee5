"""``python -m trackdiff_core.training prepare``: real videos → training clip files (the format of ``docs/training.md``).

* :mod:`.sources` — the four kinds of source (YouTube-VIS / OVIS JSON, DAVIS folders, MOT sequences, plain videos);
* :mod:`.rle` — COCO run-length encodings and polygons → masks;
* :mod:`.moving_objects` — objects of unlabelled videos: points that move against the estimated camera;
* :mod:`.clip_maker` — one window → a clip: resize and crop, point tracks from the pack's tracker, boxes, filters;
* :mod:`.runner` — all windows of all videos, in parallel processes, resumable, with a summary.
"""

from .clip_maker import PrepareOptions, make_clip
from .runner import PrepareSummary, run_prepare
from .sources import KINDS

__all__ = ["KINDS", "PrepareOptions", "PrepareSummary", "make_clip", "run_prepare"]

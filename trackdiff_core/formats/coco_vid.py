"""COCO-VID and YouTube-VIS annotation JSON (boxes ``[x, y, w, h]`` in pixels, with each video's frame size).

* **COCO-VID** (ImageNet-VID / TAO style, as mmtracking writes it): ``videos``, ``images`` (``video_id``, ``frame_id``
  from 0, ``width``, ``height``, ``file_name``), ``annotations`` (``image_id``, ``video_id``, ``instance_id``,
  ``category_id``, ``bbox``) and ``categories``. An instance is an object; its id is ``instance_id``.
* **YouTube-VIS**: ``videos`` (``width``, ``height``, ``length``, ``file_names``), ``annotations`` (``video_id``,
  ``category_id``, ``bboxes``: one ``[x, y, w, h]`` or ``null`` per frame) and ``categories``. An annotation is an
  object; its id is the annotation's ``instance_id`` when present (TrackDiff writes one, since annotation ids must be
  unique across videos), else the annotation ``id``.

Reading detects the layout. Boxes are clipped to the frame like MOT import; a frame without a box is hidden. Writing
produces either layout from :class:`VideoTracks`, so a generated video can be labelled for tracker training; an object
with an empty label is written under the category ``"object"``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..colors import hex_to_rgb, palette_color
from ..errors import TrackDiffError
from ..tracklets import Tracklets, hold_hidden_boxes
from ..validate import frame_size, integer


@dataclass(frozen=True)
class VideoTracks:
    """One video's tracklets, with the frame size its pixel boxes refer to and optional frame file names."""

    name: str
    width: int
    height: int
    tracklets: Tracklets
    file_names: tuple[str, ...] | None = None


def _load(value: Any, field: str) -> dict:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except RecursionError:
            raise TrackDiffError(field, value, "is JSON nested too deeply to read", "load a COCO-VID / YouTube-VIS file") from None
        except json.JSONDecodeError as exc:
            raise TrackDiffError(field, value, f"is not valid JSON ({exc.msg} at line {exc.lineno})", "fix the file") from None
    if not isinstance(value, dict) or not isinstance(value.get("videos"), list) or not isinstance(value.get("annotations"), list):
        raise TrackDiffError(field, value, 'is not a COCO-VID / YouTube-VIS file (needs "videos" and "annotations")', "load such a file")
    return value


def _box(raw: Any, field: str) -> tuple[float, float, float, float]:
    if not isinstance(raw, (list, tuple)) or len(raw) != 4:
        raise TrackDiffError(field, raw, "must be [x, y, width, height]", "fix the annotation")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in raw):
        raise TrackDiffError(field, raw, "must hold four finite numbers", "fix the annotation")
    x, y, w, h = (float(v) for v in raw)
    return x, y, x + w, y + h


def _categories(data: dict) -> dict[int, str]:
    return {int(c["id"]): str(c.get("name", c["id"])) for c in data.get("categories", []) if "id" in c}


def _assemble(
    name: str, width: int, height: int, frames: int, boxes_by_object: dict[int, dict[int, tuple]], labels: dict[int, str],
    file_names: Sequence[str] | None,
) -> VideoTracks:
    ids = sorted(boxes_by_object)
    boxes = np.zeros((frames, len(ids), 4), dtype=np.float32)
    visible = np.zeros((frames, len(ids)), dtype=bool)
    for n, obj_id in enumerate(ids):
        for frame, (x1, y1, x2, y2) in boxes_by_object[obj_id].items():
            clipped = np.clip([x1 / width, y1 / height, x2 / width, y2 / height], 0.0, 1.0)
            if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
                boxes[frame, n] = clipped
                visible[frame, n] = True
    colors = [hex_to_rgb(palette_color(n)) for n in range(len(ids))] if ids else None
    tracklets = Tracklets(hold_hidden_boxes(boxes, visible), visible, ids, [labels[i] for i in ids], colors)
    return VideoTracks(name, width, height, tracklets, tuple(file_names) if file_names else None)


def read_coco_vid(value: Any, field: str = "annotations") -> list[VideoTracks]:
    """Every video of a COCO-VID or YouTube-VIS file (JSON text or decoded dict), in the file's order."""
    data = _load(value, field)
    categories = _categories(data)
    annotations = data["annotations"]
    if annotations and "bboxes" in annotations[0]:
        return _read_youtube_vis(data, categories, field)
    return _read_coco_vid(data, categories, field)


def _read_youtube_vis(data: dict, categories: dict[int, str], field: str) -> list[VideoTracks]:
    out = []
    for v_index, video in enumerate(data["videos"]):
        v_field = f"{field}.videos[{v_index}]"
        width, height = frame_size(video.get("width"), video.get("height"))
        files = video.get("file_names")
        frames = integer(video.get("length", len(files) if files else None), f"{v_field}.length", 1)
        objects: dict[int, dict[int, tuple]] = {}
        labels: dict[int, str] = {}
        for a_index, ann in enumerate(data["annotations"]):
            if ann.get("video_id") != video.get("id"):
                continue
            a_field = f"{field}.annotations[{a_index}]"
            per_frame = ann.get("bboxes")
            if not isinstance(per_frame, list) or len(per_frame) != frames:
                raise TrackDiffError(
                    f"{a_field}.bboxes", per_frame, f"must hold one box or null for each of the {frames} frames", "fix it"
                )
            obj_id = integer(ann.get("instance_id", ann.get("id")), f"{a_field}.id", 0)
            objects[obj_id] = {
                t: _box(b, f"{a_field}.bboxes[{t}]") for t, b in enumerate(per_frame) if b is not None
            }
            labels[obj_id] = categories.get(ann.get("category_id"), str(ann.get("category_id", "")))
        name = str(video.get("name") or (files[0].split("/")[0] if files else video.get("id")))
        out.append(_assemble(name, width, height, frames, objects, labels, files))
    return out


def _read_coco_vid(data: dict, categories: dict[int, str], field: str) -> list[VideoTracks]:
    images = data.get("images")
    if not isinstance(images, list):
        raise TrackDiffError(f"{field}.images", images, "is missing (COCO-VID lists every frame there)", "load a full file")
    by_image = {image.get("id"): image for image in images}
    out = []
    for v_index, video in enumerate(data["videos"]):
        frames_of = sorted(
            (img for img in images if img.get("video_id") == video.get("id")), key=lambda img: img.get("frame_id", 0)
        )
        if not frames_of:
            raise TrackDiffError(f"{field}.videos[{v_index}]", video, "has no images", "list its frames under images")
        width, height = frame_size(frames_of[0].get("width", video.get("width")), frames_of[0].get("height", video.get("height")))
        frames = max(integer(img.get("frame_id", 0), f"{field}.images.frame_id", 0) for img in frames_of) + 1
        objects: dict[int, dict[int, tuple]] = {}
        labels: dict[int, str] = {}
        for a_index, ann in enumerate(data["annotations"]):
            image = by_image.get(ann.get("image_id"))
            if image is None or image.get("video_id") != video.get("id"):
                continue
            a_field = f"{field}.annotations[{a_index}]"
            obj_id = integer(ann.get("instance_id", ann.get("track_id")), f"{a_field}.instance_id", 0)
            frame = int(image.get("frame_id", 0))
            if frame in objects.setdefault(obj_id, {}):
                raise TrackDiffError(a_field, ann, f"instance {obj_id} has two boxes on frame {frame}", "keep one")
            objects[obj_id][frame] = _box(ann.get("bbox"), f"{a_field}.bbox")
            labels[obj_id] = categories.get(ann.get("category_id"), str(ann.get("category_id", "")))
        files = [img.get("file_name", "") for img in frames_of]
        out.append(_assemble(str(video.get("name", video.get("id"))), width, height, frames, objects, labels, files))
    return out


def _category_table(videos: Sequence[VideoTracks]) -> dict[str, int]:
    names = sorted({label or "object" for v in videos for label in v.tracklets.labels})
    return {name: i + 1 for i, name in enumerate(names)}


def _xywh(box) -> list[float]:
    x1, y1, x2, y2 = (float(v) for v in box)
    return [round(x1, 4), round(y1, 4), round(x2 - x1, 4), round(y2 - y1, 4)]


def _file_names(video: VideoTracks) -> list[str]:
    if video.file_names is not None:
        if len(video.file_names) != video.tracklets.num_frames:
            raise TrackDiffError("file_names", len(video.file_names), f"must name all {video.tracklets.num_frames} frames", "fix")
        return list(video.file_names)
    return [f"{video.name}/{t:05d}.png" for t in range(video.tracklets.num_frames)]


def write_coco_vid(videos: Sequence[VideoTracks]) -> dict:
    """A COCO-VID document for ``videos`` (ids numbered from 1 in order)."""
    table = _category_table(videos)
    out: dict[str, list] = {"videos": [], "images": [], "annotations": [], "categories": []}
    out["categories"] = [{"id": cid, "name": name} for name, cid in table.items()]
    for v_index, video in enumerate(videos, start=1):
        out["videos"].append({"id": v_index, "name": video.name, "width": video.width, "height": video.height})
        px = video.tracklets.to_pixels(video.width, video.height)
        for t, file_name in enumerate(_file_names(video)):
            image_id = len(out["images"]) + 1
            out["images"].append(
                {"id": image_id, "video_id": v_index, "frame_id": t, "file_name": file_name,
                 "width": video.width, "height": video.height}
            )
            for n in np.flatnonzero(video.tracklets.visible[t]):
                bbox = _xywh(px[t, n])
                out["annotations"].append(
                    {"id": len(out["annotations"]) + 1, "image_id": image_id, "video_id": v_index,
                     "instance_id": video.tracklets.ids[n], "category_id": table[video.tracklets.labels[n] or "object"],
                     "bbox": bbox, "area": round(bbox[2] * bbox[3], 4), "iscrowd": 0, "occluded": False}
                )
    return out


def write_youtube_vis(videos: Sequence[VideoTracks]) -> dict:
    """A YouTube-VIS document for ``videos`` (boxes only: ``segmentations`` are null)."""
    table = _category_table(videos)
    out: dict[str, list] = {"videos": [], "annotations": [], "categories": []}
    out["categories"] = [{"id": cid, "name": name} for name, cid in table.items()]
    for v_index, video in enumerate(videos, start=1):
        frames = video.tracklets.num_frames
        out["videos"].append(
            {"id": v_index, "name": video.name, "width": video.width, "height": video.height, "length": frames,
             "file_names": _file_names(video)}
        )
        px = video.tracklets.to_pixels(video.width, video.height)
        for n in range(video.tracklets.num_objects):
            bboxes = [_xywh(px[t, n]) if video.tracklets.visible[t, n] else None for t in range(frames)]
            out["annotations"].append(
                {"id": len(out["annotations"]) + 1, "instance_id": video.tracklets.ids[n], "video_id": v_index,
                 "category_id": table[video.tracklets.labels[n] or "object"], "bboxes": bboxes,
                 "areas": [b[2] * b[3] if b else None for b in bboxes], "segmentations": [None] * frames, "iscrowd": 0}
            )
    return out

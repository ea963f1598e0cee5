"""Where ``prepare`` reads videos and their objects from: four kinds of source, each listed as items (one video or
sequence each, small and picklable, for the worker processes) and read as :class:`Sequence` frames on demand.

* ``youtube-vis`` — a YouTube-VIS / OVIS JSON (``videos`` with ``file_names``, ``annotations`` with one RLE or polygon
  segmentation per frame, ``categories``) and the folder its file names are relative to;
* ``davis`` — DAVIS-style folders: ``JPEGImages/…/<sequence>/*.jpg`` and ``Annotations/…/<sequence>/*.png`` (per-frame
  instance masks: palette or colour PNGs, one colour per object, black the background; or single-channel index PNGs);
* ``mot`` — MOT Challenge sequences: ``<sequence>/img1/*.jpg`` and ``<sequence>/gt/gt.txt`` (``frame, id, x, y, w, h,
  flag, ...``; rows with flag 0 are ignored); boxes only, so each object's mask is its box;
* ``videos`` — a folder of video files (``.mp4 .webm .mov .mkv .avi``) decoded with PyAV, with no annotation.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ...errors import TrackDiffError
from .rle import decode_segmentation

KINDS = ("youtube-vis", "davis", "mot", "videos")
VIDEO_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv", ".avi")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class Item:
    """One video of a source: what a worker needs to read it."""

    kind: str
    name: str
    path: str  # the video file, or the frames' folder
    frames: tuple[str, ...] = ()  # the frame files, in order (image-folder sources)
    info: dict = field(default_factory=dict, compare=False)  # source-specific (annotations, mask folder, boxes file)


@dataclass
class Sequence:
    """Frames of one window of a video and what is known of its objects, in the source's pixels."""

    frames: np.ndarray  # uint8[T, H, W, 3]
    masks: np.ndarray | None = None  # bool[T, N, H, W]: each object's region per frame (None: unknown)
    mask_known: np.ndarray | None = None  # bool[T]: frames whose masks are annotated
    boxes: np.ndarray | None = None  # float64[T, N, 4] pixels x1, y1, x2, y2 (MOT)
    box_visible: np.ndarray | None = None  # bool[T, N]
    ids: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS) if folder.is_dir() else []


def read_image(path: str, field_name: str = "frame") -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise TrackDiffError(field_name, path, "cannot be read as an image", "replace the file, or remove its video")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


# -- listing -----------------------------------------------------------------------------------------------------------
def list_items(kind: str, root: str, annotations: str | None = None) -> list[Item]:
    """Every video of the source, in a stable order."""
    if kind not in KINDS:
        raise TrackDiffError("--source", kind, "is not a source kind", f"use one of {', '.join(KINDS)}")
    base = Path(root)
    if not base.is_dir():
        raise TrackDiffError("--root", root, "is not a folder", "point --root at the dataset's folder")
    return {"youtube-vis": _youtube_vis_items, "davis": _davis_items, "mot": _mot_items,
            "videos": _video_items}[kind](base, annotations)


def _youtube_vis_items(root: Path, annotations: str | None) -> list[Item]:
    if not annotations or not os.path.isfile(annotations):
        raise TrackDiffError("--annotations", annotations, "is not a file", "give the YouTube-VIS / OVIS JSON")
    try:
        data = json.loads(Path(annotations).read_text(encoding="utf-8"))
        videos, notes = data["videos"], data.get("annotations", [])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise TrackDiffError("--annotations", annotations, f"is not a YouTube-VIS JSON ({exc})",
                             "give the JSON with videos, annotations and categories") from None
    categories = {c["id"]: c.get("name", str(c["id"])) for c in data.get("categories", [])}
    by_video: dict = {}
    for note in notes:
        by_video.setdefault(note["video_id"], []).append(note)
    items = []
    for video in videos:
        names = tuple(video["file_names"])
        name = str(Path(names[0]).parent) if names and Path(names[0]).parent != Path(".") else str(video["id"])
        items.append(Item("youtube-vis", name.replace("/", "_"), str(root), names,
                          {"video": {k: video[k] for k in ("id", "height", "width")},
                           "annotations": by_video.get(video["id"], []), "categories": categories}))
    return items


def _davis_items(root: Path, _annotations) -> list[Item]:
    masks_root, images_root = root / "Annotations", root / "JPEGImages"
    if not masks_root.is_dir() or not images_root.is_dir():
        raise TrackDiffError("--root", str(root), "has no Annotations/ and JPEGImages/ folders",
                             "point --root at a DAVIS-style dataset")
    items = []
    for folder in sorted({p.parent for p in masks_root.rglob("*.png")}):
        relative = folder.relative_to(masks_root)
        frames = _images(images_root / relative)
        items.append(Item("davis", str(relative).replace("/", "_"), str(images_root / relative),
                          tuple(p.name for p in frames), {"masks": str(folder)}))
    return items


def _mot_items(root: Path, _annotations) -> list[Item]:
    folders = [root] if (root / "img1").is_dir() else sorted(p for p in root.iterdir() if (p / "img1").is_dir())
    items = []
    for folder in folders:
        gt = folder / "gt" / "gt.txt"
        if not gt.is_file():
            raise TrackDiffError("--root", str(folder), "has no gt/gt.txt", "give MOT sequences with ground truth")
        items.append(Item("mot", folder.name, str(folder / "img1"), tuple(p.name for p in _images(folder / "img1")),
                          {"gt": str(gt)}))
    return items


def _video_items(root: Path, _annotations) -> list[Item]:
    return [Item("videos", p.stem, str(p)) for p in sorted(root.iterdir())
            if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS]


# -- reading -----------------------------------------------------------------------------------------------------------
def decode_video(path: str) -> np.ndarray:
    """Every frame of a video file, ``uint8[T, H, W, 3]`` RGB (PyAV); a named error if it cannot be decoded."""
    import av

    name = os.path.basename(path)
    try:
        with av.open(path) as container:
            frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    except (av.error.FFmpegError, ValueError, IndexError, OSError) as exc:
        raise TrackDiffError("video", name, f"cannot be decoded ({exc})", "re-encode it, or remove it from the folder") \
            from None
    if len(frames) < 2:
        raise TrackDiffError("video", name, f"has {len(frames)} decodable frames", "give videos of 2 frames or more")
    return np.stack(frames)


def item_length(item: Item) -> int:
    return len(item.frames)


def read_window(item: Item, indices: list[int], video: np.ndarray | None = None) -> Sequence:
    """Frames ``indices`` of ``item`` with its objects (``video``: the decoded frames of a ``videos`` item)."""
    if item.kind == "videos":
        return Sequence(video[indices])
    paths = [os.path.join(item.path, item.frames[i]) for i in indices]
    for path in paths:
        if not os.path.isfile(path):
            raise TrackDiffError("annotations", f"{item.kind} video {item.name}", f"names frame {path}, which does not "
                                 "exist", "give the frames the annotations name, or remove the video from them")
    frames = np.stack([read_image(path) for path in paths])
    reader = {"youtube-vis": _youtube_vis_window, "davis": _davis_window, "mot": _mot_window}[item.kind]
    return reader(item, indices, frames)


def _youtube_vis_window(item: Item, indices: list[int], frames: np.ndarray) -> Sequence:
    height, width = int(item.info["video"]["height"]), int(item.info["video"]["width"])
    if frames.shape[1:3] != (height, width):
        raise TrackDiffError("annotations", f"video {item.info['video']['id']}", f"says {width}×{height} but its "
                             f"frames are {frames.shape[2]}×{frames.shape[1]}", "give the JSON of these frames")
    notes = item.info["annotations"]
    masks = np.zeros((len(indices), len(notes), height, width), dtype=bool)
    for n, note in enumerate(notes):
        segmentations = note.get("segmentations") or []
        if len(segmentations) != len(item.frames):
            raise TrackDiffError("annotations", f"object {note.get('id')} of video {item.info['video']['id']}",
                                 f"has {len(segmentations)} segmentations for {len(item.frames)} frames",
                                 "give one segmentation (or null) per frame")
        for t, index in enumerate(indices):
            mask = decode_segmentation(segmentations[index], height, width,
                                       f"annotations: object {note.get('id')}, frame {index}")
            if mask is not None:
                masks[t, n] = mask
    labels = [item.info["categories"].get(note.get("category_id"), "") for note in notes]
    return Sequence(frames, masks, np.ones(len(indices), bool), ids=[int(note.get("id", n)) for n, note in
                                                                     enumerate(notes)], labels=labels)


def _palette_ids(image: np.ndarray) -> np.ndarray:
    """A mask PNG as object numbers (0 = background): index PNGs as they are, colour PNGs one number per colour."""
    if image.ndim == 2:
        return image.astype(np.int64)
    packed = (image[..., 0].astype(np.int64) << 16) | (image[..., 1].astype(np.int64) << 8) | image[..., 2]
    return packed


def _davis_window(item: Item, indices: list[int], frames: np.ndarray) -> Sequence:
    folder = Path(item.info["masks"])
    pngs = {p.stem: p for p in folder.glob("*.png")}
    stems = {Path(f).stem for f in item.frames}
    missing = sorted(set(pngs) - stems)
    if missing:
        raise TrackDiffError("annotations", str(pngs[missing[0]]), "names a frame that is not in " + item.path,
                             "remove the stray mask, or add its frame")
    raw = []
    for t, index in enumerate(indices):
        png = pngs.get(Path(item.frames[index]).stem)
        if png is None:
            raw.append(None)
            continue
        image = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise TrackDiffError("mask", str(png), "cannot be read as an image", "replace the file")
        if image.shape[:2] != frames.shape[1:3]:
            raise TrackDiffError("mask", str(png), f"is {image.shape[1]}×{image.shape[0]} but its frame is "
                                 f"{frames.shape[2]}×{frames.shape[1]}", "give masks at the size of their frames")
        raw.append(_palette_ids(image))
    if raw[0] is None:
        raise TrackDiffError("annotations", item.name, f"has no mask for frame {indices[0]}, where a clip starts",
                             "annotate that frame, or use a --stride that starts clips on annotated frames")
    values = sorted({int(v) for ids in raw if ids is not None for v in np.unique(ids)} - {0})
    masks = np.zeros((len(indices), len(values), *frames.shape[1:3]), dtype=bool)
    for t, ids in enumerate(raw):
        if ids is not None:
            for n, value in enumerate(values):
                masks[t, n] = ids == value
    known = np.array([ids is not None for ids in raw])
    return Sequence(frames, masks, known, ids=list(range(1, len(values) + 1)), labels=[""] * len(values))


def _mot_window(item: Item, indices: list[int], frames: np.ndarray) -> Sequence:
    try:
        rows = np.loadtxt(item.info["gt"], delimiter=",", ndmin=2)
    except ValueError as exc:
        raise TrackDiffError("annotations", item.info["gt"], f"is not a MOT gt.txt ({exc})",
                             "give rows frame, id, x, y, w, h, flag, ...") from None
    if rows.size and rows.shape[1] < 6:
        raise TrackDiffError("annotations", item.info["gt"], f"has {rows.shape[1]} columns", "give frame, id, x, y, w, h")
    if rows.shape[1] >= 7:
        rows = rows[rows[:, 6] != 0]
    if rows.size and rows[:, 0].max() > len(item.frames):
        raise TrackDiffError("annotations", item.info["gt"], f"names frame {int(rows[:, 0].max())}, which is not in "
                             f"{item.path} ({len(item.frames)} frames)", "give the gt.txt of this sequence")
    wanted = {index + 1: t for t, index in enumerate(indices)}  # MOT frames count from 1
    rows = rows[np.isin(rows[:, 0], list(wanted))]
    ids = sorted({int(i) for i in rows[:, 1]})
    column = {i: n for n, i in enumerate(ids)}
    boxes = np.zeros((len(indices), len(ids), 4))
    visible = np.zeros((len(indices), len(ids)), dtype=bool)
    for row in rows:
        t, n = wanted[int(row[0])], column[int(row[1])]
        boxes[t, n] = [row[2], row[3], row[2] + row[4], row[3] + row[5]]
        visible[t, n] = True
    return Sequence(frames, boxes=boxes, box_visible=visible, ids=ids, labels=["pedestrian"] * len(ids))

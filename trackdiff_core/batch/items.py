"""Batch items: a first frame plus the motion to generate, read from a folder, a MOT sequence or a COCO-VID file.

* **A folder**: every image (``.png``, ``.jpg``, ``.jpeg``, ``.webp``) with a same-stem tracks file beside it:
  ``<stem>.json`` (a TrackDiff editor document, boxes or masks + arrows) or ``<stem>.txt`` (MOT ``gt.txt`` lines, in
  pixels of that image).
* **A MOT sequence** folder (``gt/gt.txt``, ``img1/``, optional ``seqinfo.ini``): one item, the first frame and all of
  the sequence's tracks.
* **A COCO-VID or YouTube-VIS file**: one item per video, the video's first frame (its file name resolved against
  ``images_root``) and its tracks.
"""

from __future__ import annotations

import configparser
import json
import re
from dataclasses import dataclass
from pathlib import Path

import cv2

from ..errors import TrackDiffError
from ..formats.coco_vid import read_coco_vid
from ..formats.mot import read_mot
from ..mask_arrow_document import MaskArrowDocument
from ..tracklet_document import TrackletDocument
from ..tracklets import Tracklets

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class BatchItem:
    name: str  # unique and safe as a folder name
    image_path: Path
    document: TrackletDocument | MaskArrowDocument  # the tracks, normalised to the whole image
    size: tuple[int, int] = (0, 0)  # the image's width × height (read when the items are loaded)

    @property
    def kind(self) -> str:
        return "tracklets" if isinstance(self.document, TrackletDocument) else "mask_arrows"


def safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return name or "item"


def image_size(path: Path) -> tuple[int, int]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise TrackDiffError("image", str(path), "cannot be read as an image", "give a PNG, JPEG or WebP file")
    return int(image.shape[1]), int(image.shape[0])


def read_document(path: Path):
    text = path.read_text()
    try:
        kind = json.loads(text).get("kind")
    except (json.JSONDecodeError, AttributeError):
        kind = None
    if kind == "mask_arrows":
        return MaskArrowDocument.parse(text, str(path))
    return TrackletDocument.parse(text, str(path))


def items_from_folder(folder: Path) -> list[BatchItem]:
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise TrackDiffError("items", str(folder), "holds no image", "put first frames (.png/.jpg/.webp) there")
    items = []
    for image in images:
        doc_path, mot_path = image.with_suffix(".json"), image.with_suffix(".txt")
        if doc_path.exists():
            document = read_document(doc_path)
        elif mot_path.exists():
            width, height = image_size(image)
            document = TrackletDocument.from_tracklets(read_mot(mot_path.read_text(), width, height, field=str(mot_path)))
        else:
            raise TrackDiffError(
                "items", str(image), "has no tracks file beside it",
                f"add {doc_path.name} (a TrackDiff editor document) or {mot_path.name} (MOT lines)",
            )
        items.append(BatchItem(safe_name(image.stem), image, document))
    return items


def items_from_mot_sequence(sequence: Path) -> list[BatchItem]:
    gt = sequence / "gt" / "gt.txt"
    frames = sorted(p for p in (sequence / "img1").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if (
        sequence / "img1").is_dir() else []
    if not gt.exists() or not frames:
        raise TrackDiffError("items", str(sequence), "is not a MOT sequence (needs gt/gt.txt and img1/)", "point at one")
    width, height = image_size(frames[0])
    length = len(frames)
    info = sequence / "seqinfo.ini"
    if info.exists():
        parser = configparser.ConfigParser()
        try:
            parser.read(info)
            length = int(parser.get("Sequence", "seqLength", fallback=length))
        except (configparser.Error, ValueError) as exc:
            raise TrackDiffError("items", str(info), f"is not a readable seqinfo.ini ({type(exc).__name__})",
                                 "fix seqLength under [Sequence], or remove the file") from None
    tracklets = read_mot(gt.read_text(), width, height, num_frames=length, field=str(gt))
    return [BatchItem(safe_name(sequence.name), frames[0], TrackletDocument.from_tracklets(tracklets))]


def items_from_coco(path: Path, images_root: Path) -> list[BatchItem]:
    items = []
    for video in read_coco_vid(path.read_text(), str(path)):
        if not video.file_names:
            raise TrackDiffError("annotations", video.name, "lists no frame files", "include file names per frame")
        parts = re.split(r"[\\/]", video.file_names[0])
        if Path(video.file_names[0]).is_absolute() or ".." in parts:
            raise TrackDiffError("annotations", video.file_names[0], "names a frame outside --images-root",
                                 "give frame paths relative to --images-root, without '..'")
        first = images_root.joinpath(*parts)
        if not first.is_file():
            raise TrackDiffError("images_root", str(first), "does not exist", "point --images-root at the frames")
        tracklets: Tracklets = video.tracklets
        items.append(BatchItem(safe_name(video.name), first, TrackletDocument.from_tracklets(tracklets)))
    return items


def load_items(source: Path, images_root: Path | None = None) -> list[BatchItem]:
    """Items from a folder, a MOT sequence folder or a COCO-VID / YouTube-VIS JSON file; names must be unique."""
    source = Path(source)
    if source.is_dir():
        items = items_from_mot_sequence(source) if (source / "gt" / "gt.txt").exists() else items_from_folder(source)
    elif source.suffix.lower() == ".json":
        items = items_from_coco(source, Path(images_root) if images_root else source.parent)
    else:
        raise TrackDiffError("items", str(source), "is not a folder or a .json annotation file", "see --help")
    for item in items:
        if not item.document.objects:
            raise TrackDiffError("items", item.image_path.name, "has tracks with no object in them",
                                 "give every first frame at least one track, or leave it out")
    # Every image is read once now, so an unreadable one stops the batch before anything is generated.
    items = [BatchItem(i.name, i.image_path, i.document, image_size(i.image_path)) for i in items]
    names = [i.name for i in items]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise TrackDiffError("items", duplicate, "two items share this name", "rename one of the files")
    return items

"""One generated video as a MOTChallenge sequence, so that TrackEval, py-motmetrics and MOT dataset loaders read it as
it is::

    <name>/seqinfo.ini        [Sequence] name, imDir, frameRate, seqLength, imWidth, imHeight, imExt
    <name>/img1/000001.png …  the frames, numbered from 1
    <name>/gt/gt.txt          the labels: MOT ground truth, frames and pixels counted from 1

COCO-VID / YouTube-VIS files list the same frames by :func:`frame_names`.
"""

from __future__ import annotations

from pathlib import Path

from ..formats.mot import write_mot
from ..tracklets import Tracklets

IMAGE_FOLDER = "img1"
IMAGE_SUFFIX = ".png"


def frame_name(index: int) -> str:
    """The file of 0-based frame ``index`` inside a sequence folder (MOTChallenge numbers frames from 1)."""
    return f"{IMAGE_FOLDER}/{index + 1:06d}{IMAGE_SUFFIX}"


def frame_names(sequence: str, count: int) -> tuple[str, ...]:
    return tuple(f"{sequence}/{frame_name(t)}" for t in range(count))


def seqinfo(name: str, frames: int, width: int, height: int, frame_rate: int) -> str:
    return (f"[Sequence]\nname={name}\nimDir={IMAGE_FOLDER}\nframeRate={frame_rate}\nseqLength={frames}\n"
            f"imWidth={width}\nimHeight={height}\nimExt={IMAGE_SUFFIX}\n")


def write_frame(folder: Path, index: int, png: bytes) -> None:
    path = Path(folder) / frame_name(index)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)


def write_labels(folder: Path, name: str, tracklets: Tracklets, width: int, height: int, frame_rate: int) -> None:
    """``gt/gt.txt`` and ``seqinfo.ini`` for a sequence whose frames are already in ``img1/``."""
    folder = Path(folder)
    (folder / "gt").mkdir(parents=True, exist_ok=True)
    (folder / "gt" / "gt.txt").write_text(write_mot(tracklets, width, height))
    (folder / "seqinfo.ini").write_text(seqinfo(name, tracklets.num_frames, width, height, frame_rate))

"""A reference clip with exact motion written as an mp4 (PyAV, H.264 at near-lossless quality) and its first-frame
object mask as a PNG, for tests that load it through core Load Video. The clip is ``tests/core/moving_square_clips``'
moving square: its boxes on every frame are known exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from moving_square_clips import MovingSquare, moving_square  # noqa: E402

TEST_VIDEO = "trackdiff_reference.mp4"
TEST_VIDEO_MASK = "trackdiff_reference_mask.png"
VIDEO_W, VIDEO_H, VIDEO_FRAMES = 160, 96, 12


def reference_clip() -> MovingSquare:
    return moving_square(frames=VIDEO_FRAMES, width=VIDEO_W, height=VIDEO_H)


def write_video(path: Path, frames: np.ndarray, fps: int = 8) -> Path:
    """``uint8[T, H, W, 3]`` RGB as an H.264 mp4 (even sizes)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv444p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_reference_files(folder: Path) -> MovingSquare:
    """The reference clip and its first-frame mask (white on black) into ``folder`` (a ComfyUI input folder)."""
    from PIL import Image

    clip = reference_clip()
    if not (folder / TEST_VIDEO).exists():
        write_video(folder / TEST_VIDEO, clip.frames)
    if not (folder / TEST_VIDEO_MASK).exists():
        Image.fromarray((clip.mask * 255).astype(np.uint8)).convert("RGB").save(folder / TEST_VIDEO_MASK)
    return clip

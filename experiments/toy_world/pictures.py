"""Pictures for docs/toy-world.md: drawn tracks over generated frames, with and without control, side by side.

Each row is one video of a held-out clip (the ground truth first, then the conditions sampled by ``sample
--keep-frames``), its frames left to right, upscaled; every object's drawn path is drawn over each frame in the
object's colour, with a dot where the drawing puts it in that frame.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .measure import drawn_motion, mask_centroids

SCALE = 2
ROW_LABEL_WIDTH = 120


def _overlay(frame: np.ndarray, where: np.ndarray, colours: np.ndarray, t: int) -> np.ndarray:
    image = cv2.resize(frame, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_NEAREST)
    for path, colour in zip(where, colours):
        bgr = tuple(int(c * 255) for c in colour[::-1])
        points = [(int(x * SCALE), int(y * SCALE)) for x, y in path if np.isfinite(x)]
        for a, b in zip(points, points[1:]):
            cv2.line(image, a, b, (255, 255, 255), 3, cv2.LINE_AA)
            cv2.line(image, a, b, bgr, 1, cv2.LINE_AA)
        if t < len(path) and np.isfinite(path[t][0]):
            centre = (int(path[t][0] * SCALE), int(path[t][1] * SCALE))
            cv2.circle(image, centre, 4, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(image, centre, 3, bgr, -1, cv2.LINE_AA)
    return image


def clip_sheet(dataset, index: int, frames_dir: Path, conditions: list[str], motion_of: dict[str, str],
               other_index: int | None = None, seed: int = 0) -> np.ndarray:
    """One clip: a row per condition (ground truth first), drawn tracks over every frame (``uint8`` BGR image)."""
    clip = dataset.clip(index)
    other = dataset.clip(other_index) if other_index is not None else None
    rows = [("ground truth", clip.frames, "true")]
    for name in conditions:
        path = frames_dir / f"clip{index}_{name}_s{seed}.npy"
        if path.exists():
            rows.append((name, np.load(path), motion_of.get(name, "true")))
    colours = clip.tracklets.colors
    height, width = clip.masks.shape[1:]
    start = mask_centroids(clip.masks)
    sheet = []
    for label, frames, motion_name in rows:
        motion = drawn_motion(clip, motion_name, other)
        where = start[:, None] + motion * np.array([width, height])
        where[..., 0] = where[..., 0].clip(0.5, width - 0.5)
        where[..., 1] = where[..., 1].clip(0.5, height - 0.5)
        tiles = [_overlay(np.ascontiguousarray(frame[..., ::-1]), where, colours, t) for t, frame in enumerate(frames)]
        row = np.concatenate(tiles, axis=1)
        label_tile = np.full((row.shape[0], ROW_LABEL_WIDTH, 3), 255, np.uint8)
        for line, text in enumerate(label.replace("_", " ").split(" ", 1)):
            cv2.putText(label_tile, text, (6, 30 + 22 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        sheet.append(np.concatenate([label_tile, row], axis=1))
    return np.concatenate(sheet, axis=0)


def write_sheets(dataset, indices: list[int], frames_dir: Path, out_dir: Path, conditions: list[str],
                 motion_of: dict[str, str]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for position, index in enumerate(indices):
        sheet = clip_sheet(dataset, index, frames_dir, conditions, motion_of, indices[(position + 1) % len(indices)])
        path = out_dir / f"toy_world_clip{position}.png"
        cv2.imwrite(str(path), sheet)
        written.append(path)
    return written

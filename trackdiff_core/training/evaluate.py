"""``python -m trackdiff_core.training evaluate``: held-out clips sampled through a running ComfyUI, scored by how far
the generated motion is from the drawing (ObjMC, :func:`trackdiff_core.motion.motion_fidelity`).

For each clip (its size and frame count are the video's), the drawing is what a person would give the nodes: each
object's first-frame mask and one path per object — the median motion of its tracked points, from its mask's centroid.
The graph is the shipped one: the first frame → ``SVD_img2vid_Conditioning``; the masks as a label map
(``LoadImageMask``) and the paths as coordinate JSON (``WanMoveTracksFromCoords``) → ``MaskArrowToTrajectories``
(``K·s`` points per mask moved along its path) → per condition

* ``none`` — stock SVD (no control);
* ``adapter`` — ``TrackAdapterLoader`` + ``ApplyTrackAdapter``;
* ``cut_and_drag`` — ``TrackGoCutAndDrag``'s guide video, VAE-encoded, re-sampled at ``--denoise`` (the shipped
  workflow's 0.4)

→ ``KSampler`` → ``VAEDecode`` → ``SaveImage``. The decoded video gets two scores, in pixels, lower is better:

* ``error`` — ObjMC (``motion_fidelity``): the clip's first-frame points, moved rigidly along their object's drawn
  path, tracked through the generated video; the mean distance where found (a video in which no point is found at
  all counts as the frame's diagonal), with the share of points lost (``lost``);
* ``object_error`` — :func:`trackdiff_core.motion.object_motion.object_motion_error`: each object's first-frame
  appearance found in every frame, its displacement against the drawn one. It needs no point to survive, so it also
  reads videos a point tracker cannot follow (small, blocky or flickering ones) and counts an object that vanished.

Every clip is also scored as two references, with no sampling: ``truth`` (the clip's own frames: the measures' floor
on such video) and ``still`` (its first frame held: what a generator that ignores the drawing scores). Each
condition's scores are the mean over clips with a 95 % bootstrap interval (2,000 resamples, fixed seed), and
each controlled condition's difference from ``none`` clip by clip (``minus_none`` and ``object_minus_none``, the same
interval over the paired differences); ``--out`` gets every record and the summary.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import TrackDiffError
from ..mask_arrow_document import MaskArrowDocument
from ..motion import motion_fidelity
from ..motion.object_motion import object_motion_error
from .clips import Clip, ClipFolder

log = logging.getLogger(__name__)

CONDITIONS = ("none", "adapter", "cut_and_drag")
REFERENCES = ("truth", "still")  # scored on every clip, no sampling: the clip's own frames, and its first frame held


@dataclass(frozen=True)
class EvaluateSettings:
    checkpoint: str
    adapter: str | None = None
    steps: int = 20
    cfg: float = 2.5
    sampler: str = "euler"
    scheduler: str = "karras"
    points_k: int = 8
    points_s: int = 4
    denoise: float = 0.4
    seed: int = 0


def drawn_paths(clip: Clip) -> np.ndarray:
    """``float[N, T, 2]`` pixels: each object's mask centroid moved by the median motion of its visible points."""
    height, width = clip.frames.shape[1:3]
    points = clip.trajectories.points * (width, height)
    visible = clip.trajectories.visible
    paths = np.zeros((len(clip.masks), clip.num_frames, 2))
    for n, mask in enumerate(clip.masks):
        ys, xs = np.nonzero(mask)
        members = np.flatnonzero((clip.trajectories.groups == n) & visible[0])
        offset = np.zeros(2)
        for t in range(clip.num_frames):
            seen = members[visible[t, members]]
            if len(seen):
                offset = np.median(points[t, seen] - points[0, seen], axis=0)
            paths[n, t] = (xs.mean() + offset[0], ys.mean() + offset[1])
    paths[..., 0] = paths[..., 0].clip(0.5, width - 0.5)
    paths[..., 1] = paths[..., 1].clip(0.5, height - 0.5)
    return paths


def drawn_points(clip: Clip, paths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points scored: each object's first-frame points moved rigidly along its path (``[T, P, 2]``, visible,
    groups)."""
    height, width = clip.frames.shape[1:3]
    start = clip.trajectories.points[0] * (width, height)
    chosen = np.flatnonzero(clip.trajectories.visible[0])
    groups = clip.trajectories.groups[chosen]
    moved = start[chosen][None] + (paths[groups] - paths[groups, :1]).transpose(1, 0, 2)
    return moved, np.ones(moved.shape[:2], dtype=bool), groups


def graph(condition: str, frame: str, labels: str, paths: np.ndarray, clip: Clip, settings: EvaluateSettings,
          prefix: str) -> dict:
    """The API-format prompt of one condition."""
    height, width = clip.frames.shape[1:3]
    frames = clip.num_frames
    coords = [[{"x": round(float(x), 3), "y": round(float(y), 3)} for x, y in path] for path in paths]
    g = {
        "ckpt": {"class_type": "ImageOnlyCheckpointLoader", "inputs": {"ckpt_name": settings.checkpoint}},
        "image": {"class_type": "LoadImage", "inputs": {"image": frame}},
        "cond": {"class_type": "SVD_img2vid_Conditioning", "inputs": {
            "clip_vision": ["ckpt", 1], "init_image": ["image", 0], "vae": ["ckpt", 2], "width": width,
            "height": height, "video_frames": frames, "motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}},
        "decode": {"class_type": "VAEDecode", "inputs": {"samples": ["sampler", 0], "vae": ["ckpt", 2]}},
        "save": {"class_type": "SaveImage", "inputs": {"images": ["decode", 0], "filename_prefix": prefix}},
    }
    sampler = {"seed": settings.seed, "steps": settings.steps, "cfg": settings.cfg, "sampler_name": settings.sampler,
               "scheduler": settings.scheduler, "positive": ["cond", 0], "negative": ["cond", 1],
               "latent_image": ["cond", 2], "denoise": 1.0, "model": ["ckpt", 0]}
    if condition != "none":
        g["labels"] = {"class_type": "LoadImageMask", "inputs": {"image": labels, "channel": "red"}}
        g["coords"] = {"class_type": "PrimitiveStringMultiline", "inputs": {"value": json.dumps(coords)}}
        g["coord_tracks"] = {"class_type": "WanMoveTracksFromCoords", "inputs": {"track_coords": ["coords", 0]}}
        g["tracks"] = {"class_type": "MaskArrowToTrajectories", "inputs": {
            "mask_arrows_json": MaskArrowDocument(frames, ()).dumps(), "frame_count": frames, "K": settings.points_k,
            "s": settings.points_s, "point_seed": settings.seed, "timing": "linear", "width": width, "height": height,
            "mask_layout": "label_map", "image": ["image", 0], "masks": ["labels", 0], "tracks": ["coord_tracks", 0]}}
    if condition == "adapter":
        g["adapter"] = {"class_type": "TrackAdapterLoader", "inputs": {"adapter_name": settings.adapter}}
        g["apply"] = {"class_type": "ApplyTrackAdapter", "inputs": {
            "model": ["ckpt", 0], "tracks": ["tracks", 0], "strength": 1.0, "tau": -1.0, "start_percent": 0.0,
            "end_percent": 1.0, "adapter": ["adapter", 0]}}
        sampler["model"] = ["apply", 0]
    if condition == "cut_and_drag":
        g["guide"] = {"class_type": "TrackGoCutAndDrag", "inputs": {
            "image": ["image", 0], "tracks": ["tracks", 0], "fill": "inpaint", "feather": 2.0,
            "mask_layout": "one_per_object"}}
        g["guide_latent"] = {"class_type": "VAEEncode", "inputs": {"pixels": ["guide", 0], "vae": ["ckpt", 2]}}
        sampler["latent_image"] = ["guide_latent", 0]
        sampler["denoise"] = settings.denoise
    g["sampler"] = {"class_type": "KSampler", "inputs": sampler}
    return g


def bootstrap(values: list[float], resamples: int = 2000, seed: int = 0) -> dict:
    """Mean with a 95 % percentile-bootstrap interval."""
    data = np.asarray(values, dtype=np.float64)
    if len(data) == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan")}
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), (resamples, len(data)))].mean(axis=1)
    return {"mean": float(data.mean()), "low": float(np.percentile(means, 2.5)),
            "high": float(np.percentile(means, 97.5))}


def _upload(client, folder: Path, name: str, image: np.ndarray) -> str:
    path = folder / name
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return client.upload_image(path, name, subfolder="trackdiff_evaluate")


def _videos_folder(videos: str | Path) -> Path:
    """``--videos`` made (or found) as a folder before anything is sampled."""
    folder = Path(videos)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrackDiffError("--videos", str(videos), f"cannot be made a folder ({exc.strerror})",
                             "name a new or existing folder you can write to") from None
    return folder


def _keep_video(folder: Path, name: str, video: np.ndarray) -> None:
    """``video`` as ``folder/name.npy`` (``uint8[T, H, W, 3]``), written then renamed."""
    tmp = Path(folder) / f"{name}.tmp.npy"
    np.save(tmp, video)
    os.replace(tmp, Path(folder) / f"{name}.npy")


def evaluate_clips(client, clips: list[Clip], settings: EvaluateSettings, conditions=CONDITIONS,
                   timeout: float = 1800.0, videos: str | Path | None = None) -> dict:
    """Every condition on every clip through ``client`` (a :class:`trackdiff_core.batch.client.ComfyClient`).
    ``videos``: a folder that gets each decoded video as ``clip{i}_{condition}.npy`` (and ``clip{i}_truth.npy``)."""
    unknown = sorted(set(conditions) - set(CONDITIONS))
    if unknown:
        raise TrackDiffError("--conditions", unknown[0], "is not a condition", f"use {', '.join(CONDITIONS)}")
    if "adapter" in conditions and not settings.adapter:
        raise TrackDiffError("--adapter", None, "is needed for the adapter condition",
                             "name a file in ComfyUI/models/trackdiff, or leave adapter out of --conditions")
    videos = _videos_folder(videos) if videos else None
    records = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for index, clip in enumerate(clips):
            height, width = clip.frames.shape[1:3]
            if width % 8 or height % 8:
                raise TrackDiffError("clip", f"{width}×{height}", "is not a multiple of 8", "prepare clips at such a size")
            label_map = np.zeros((height, width), np.uint8)
            for k, mask in enumerate(clip.masks):
                label_map[mask] = k + 1
            frame = _upload(client, folder, f"clip{index}_frame0.png", clip.frames[0])
            labels = _upload(client, folder, f"clip{index}_labels.png", np.repeat(label_map[..., None], 3, axis=-1))
            paths = drawn_paths(clip)
            points, visible, groups = drawn_points(clip, paths)
            if videos:
                _keep_video(videos, f"clip{index}_truth", clip.frames)

            def scored(condition: str, video: np.ndarray) -> None:
                score = motion_fidelity(points, visible, video, groups)
                found = bool(np.isfinite(score.mean))  # no point found in any frame: the frame's diagonal
                objects = object_motion_error(clip.masks, paths, video)
                records.append({"clip": index, "condition": condition,
                                "error": score.mean if found else float(np.hypot(width, height)),
                                "all_lost": not found, "lost": score.lost_fraction, "object_error": objects.mean})
                log.info("evaluate: clip %d %s: %.2f px from the drawing, %.0f %% of points lost; objects %.2f px",
                         index, condition, score.mean, 100 * score.lost_fraction, objects.mean)

            for condition in conditions:
                prompt = graph(condition, frame, labels, paths, clip, settings, f"trackdiff_evaluate/clip{index}")
                outputs = client.wait(client.queue(prompt), timeout)
                images = outputs["save"]["images"]
                video = np.stack([cv2.cvtColor(cv2.imdecode(np.frombuffer(client.view(image), np.uint8),
                                                            cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
                                  for image in images])
                if videos:
                    _keep_video(videos, f"clip{index}_{condition}", video)
                scored(condition, video)
            scored("truth", clip.frames)  # the scale: the clip's own motion (the floor) ...
            scored("still", np.repeat(clip.frames[:1], clip.num_frames, axis=0))  # ... and a video that ignores it
    return {"settings": asdict(settings), "records": records,
            "summary": summarise(records, tuple(conditions) + REFERENCES)}


def summarise(records: list[dict], conditions=CONDITIONS) -> dict:
    """Per condition and measure (``error``: ObjMC; ``object_error``: the objects' displacements), the mean over clips
    with its interval, and for a controlled condition its difference from ``none`` clip by clip (``minus_none``,
    ``object_minus_none``)."""
    summary = {}
    for condition in conditions:
        mine = [r for r in records if r["condition"] == condition]
        summary[condition] = {"error": bootstrap([r["error"] for r in mine]),
                              "object_error": bootstrap([r["object_error"] for r in mine]),
                              "lost": float(np.mean([r["lost"] for r in mine])) if mine else float("nan"),
                              "clips": len(mine)}
        if condition not in ("none",) + REFERENCES and "none" in conditions:
            summary[condition]["minus_none"] = paired_difference(records, condition, "none")
            summary[condition]["object_minus_none"] = paired_difference(records, condition, "none", "object_error")
    return summary


def paired_difference(records: list[dict], condition: str, baseline: str, measure: str = "error") -> dict:
    """``condition``'s ``measure`` minus ``baseline``'s on the same clip (same seed), as a mean over clips with a 95 %
    bootstrap interval: below 0 throughout means ``condition`` follows the drawing better. Pairing removes the clips'
    own difficulty, so it separates conditions whose separate intervals overlap."""
    values = {(r["clip"], r["condition"]): r[measure] for r in records}
    clips = sorted({clip for clip, name in values if name == condition and (clip, baseline) in values})
    return bootstrap([values[clip, condition] - values[clip, baseline] for clip in clips])


def run_evaluate(args) -> dict:
    from ..batch.client import ComfyClient, ServerError

    folder = ClipFolder(args.data)
    count = min(args.clips, len(folder)) if args.clips else len(folder)
    clips = [folder.clip(i) for i in range(count)]
    settings = EvaluateSettings(args.checkpoint_name, args.adapter, args.steps, args.cfg, points_k=args.K,
                                points_s=args.points_s, denoise=args.denoise, seed=args.seed)
    try:
        result = evaluate_clips(ComfyClient(args.server), clips, settings, tuple(args.conditions.split(",")),
                                videos=args.videos)
    except ServerError as exc:
        raise TrackDiffError("--server", args.server, f"did not run the graph ({exc})",
                             "start ComfyUI with this pack, and name its checkpoint and adapter as it lists them") \
            from None
    for condition, score in result["summary"].items():
        e, o = score["error"], score["object_error"]
        log.info("evaluate: %-12s ObjMC %.2f px [%.2f, %.2f] (%.0f %% of points lost), objects %.2f px [%.2f, %.2f], "
                 "over %d clips", condition, e["mean"], e["low"], e["high"], 100 * score["lost"], o["mean"], o["low"],
                 o["high"], score["clips"])
        if "minus_none" in score:
            d, p = score["minus_none"], score["object_minus_none"]
            log.info("evaluate: %-12s minus none, clip by clip: ObjMC %+.2f px [%+.2f, %+.2f], objects %+.2f px "
                     "[%+.2f, %+.2f]", condition, d["mean"], d["low"], d["high"], p["mean"], p["low"], p["high"])
    if args.out:
        tmp = f"{args.out}.tmp"
        Path(tmp).write_text(json.dumps(result, indent=2), encoding="utf-8")
        os.replace(tmp, args.out)
    return result

"""Videos sampled through the ComfyUI graph (``/prompt``, KSampler), and how well the shapes follow the drawn tracks.

For every held-out clip, a real ComfyUI server (the host tests' launcher, with the pack and the tiny-SVD support node)
runs the graph a person would build: its first frame → ``SVD_img2vid_Conditioning``; the objects' frame-0 masks as a
label map (``LoadImageMask``) and each object's drawn path as coordinate JSON (``WanMoveTracksFromCoords``: one
position per frame, in pixels, kept inside the frame as a drawing is) → ``MaskArrowToTrajectories`` (``K·s`` points per
mask, moved along the path) → ``ApplyTrackAdapter`` → ``KSampler`` → ``VAEDecode`` → ``SaveImage``. Conditions:

* ``none`` — the backbone alone (no control; measured against the true motion);
* ``true`` / ``other`` / ``reversed`` / ``still`` — the adapter with that drawn motion (``measure.VARIANTS``);
* ``true_tau_*`` — the true motion at other suppression intensities ``τ``;
* ``zero_weight`` — ``ApplyTrackAdapter`` with no adapter (the τ suppression alone);
* ``cut_and_drag`` — the zero-weight cut-and-drag mode: ``TrackGoCutAndDrag``'s guide video, VAE-encoded, re-sampled
  by the backbone at denoise 0.65 (as the shipped workflow; on SVD's Karras schedule, σ 700 → 0.002, that starts at
  σ ≈ 60), and ``cut_and_drag_d0.4`` at denoise 0.4 (starts at σ ≈ 4).

The decoded frames are measured with :mod:`.measure` against where the drawing puts each shape.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from trackdiff_core.mask_arrow_document import MaskArrowDocument

from .measure import VARIANTS, Measured, drawn_motion, mask_centroids, measure, targets, trajectory_error

log = logging.getLogger(__name__)

CHECKPOINT = "toy_backbone.safetensors"
ADAPTER = "toy_trackgo_adapter.safetensors"
TAUS = (0.25, 1.0)


@dataclass(frozen=True)
class Sampling:
    """The sampler settings every condition shares (``KSampler``'s inputs; ``strength`` is ``ApplyTrackAdapter``'s)."""

    steps: int = 12
    sampler: str = "euler"
    scheduler: str = "karras"
    cfg: float = 1.0
    strength: float = 1.0
    points_k: int = 8
    points_s: int = 4

    def to_dict(self) -> dict:
        return asdict(self)


def conditions(has_adapter: bool) -> list[dict]:
    """Every condition as ``{"name", "motion", "adapter", "tau", "mode"}``."""
    out = [{"name": "none", "motion": "true", "mode": "none"}]
    if has_adapter:
        out += [{"name": v, "motion": v, "mode": "adapter", "tau": -1.0} for v in VARIANTS]
        out += [{"name": f"true_tau_{t:g}", "motion": "true", "mode": "adapter", "tau": t} for t in TAUS]
    out += [{"name": "zero_weight", "motion": "true", "mode": "zero_weight", "tau": 0.5},
            {"name": "cut_and_drag", "motion": "true", "mode": "cut_and_drag", "denoise": 0.65},
            {"name": "cut_and_drag_d0.4", "motion": "true", "mode": "cut_and_drag", "denoise": 0.4}]
    return out


def drawn_paths(start: np.ndarray, motion: np.ndarray, width: int, height: int) -> list[list[dict]]:
    """Per object, one pixel position per frame: its frame-0 centroid moved by the drawn motion, inside the frame."""
    pixels = start[:, None, :] + motion * np.array([width, height])
    pixels[..., 0] = pixels[..., 0].clip(0.5, width - 0.5)
    pixels[..., 1] = pixels[..., 1].clip(0.5, height - 0.5)
    return [[{"x": round(float(x), 3), "y": round(float(y), 3)} for x, y in path] for path in pixels]


def base_graph(frame_name: str, frames: int, width: int, height: int, prefix: str) -> dict:
    """The nodes every condition shares: the checkpoint, the first frame, SVD's conditioning, decoding and saving (the
    ``"sampler"`` node they read is the caller's)."""
    return {
        "ckpt": {"class_type": "ImageOnlyCheckpointLoader", "inputs": {"ckpt_name": CHECKPOINT}},
        "image": {"class_type": "LoadImage", "inputs": {"image": frame_name}},
        "cond": {"class_type": "SVD_img2vid_Conditioning", "inputs": {
            "clip_vision": ["ckpt", 1], "init_image": ["image", 0], "vae": ["ckpt", 2], "width": width,
            "height": height, "video_frames": frames, "motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}},
        "decode": {"class_type": "VAEDecode", "inputs": {"samples": ["sampler", 0], "vae": ["ckpt", 2]}},
        "save": {"class_type": "SaveImage", "inputs": {"images": ["decode", 0], "filename_prefix": prefix}},
    }


@dataclass
class Scene:
    """One held-out clip as the evaluations use it: the clip, the next one (whose motion is "another clip's"), what
    measuring needs, and its first frame and label map written to ComfyUI's input folder."""

    clip: object
    other: object
    background: np.ndarray
    areas: np.ndarray
    frame_name: str
    labels_name: str

    @classmethod
    def build(cls, dataset, indices: list[int], position: int, input_dir: Path) -> "Scene":
        index = indices[position]
        clip = dataset.clip(index)
        frame_name, labels_name = write_inputs(input_dir, f"clip{index}", clip)
        return cls(clip, dataset.clip(indices[(position + 1) % len(indices)]),
                   block_mean(dataset.background(index)), clip.masks.reshape(len(clip.masks), -1).sum(axis=1),
                   frame_name, labels_name)


def prompt(condition: dict, frame_name: str, labels_name: str, paths: list, frames: int, width: int, height: int,
           seed: int, settings: Sampling, prefix: str) -> dict:
    """The API-format graph of one condition."""
    g = base_graph(frame_name, frames, width, height, prefix)
    sampler = {"seed": seed, "steps": settings.steps, "cfg": settings.cfg, "sampler_name": settings.sampler,
               "scheduler": settings.scheduler,
               "positive": ["cond", 0], "negative": ["cond", 1], "latent_image": ["cond", 2], "denoise": 1.0,
               "model": ["ckpt", 0]}
    mode = condition["mode"]
    if mode != "none":
        g["labels"] = {"class_type": "LoadImageMask", "inputs": {"image": labels_name, "channel": "red"}}
        g["coords"] = {"class_type": "PrimitiveStringMultiline", "inputs": {"value": json.dumps(paths)}}
        g["coord_tracks"] = {"class_type": "WanMoveTracksFromCoords", "inputs": {"track_coords": ["coords", 0]}}
        g["tracks"] = {"class_type": "MaskArrowToTrajectories", "inputs": {
            "mask_arrows_json": MaskArrowDocument(frames, ()).dumps(), "frame_count": frames, "K": settings.points_k, "s": settings.points_s,
            "point_seed": seed,
            "timing": "linear", "width": width, "height": height, "mask_layout": "label_map", "image": ["image", 0],
            "masks": ["labels", 0], "tracks": ["coord_tracks", 0]}}
    if mode in ("adapter", "zero_weight"):
        g["apply"] = {"class_type": "ApplyTrackAdapter", "inputs": {
            "model": ["ckpt", 0], "tracks": ["tracks", 0], "strength": settings.strength, "tau": condition["tau"],
            "start_percent": 0.0, "end_percent": 1.0}}
        if mode == "adapter":
            g["adapter"] = {"class_type": "TrackAdapterLoader", "inputs": {"adapter_name": ADAPTER}}
            g["apply"]["inputs"]["adapter"] = ["adapter", 0]
        sampler["model"] = ["apply", 0]
    if mode == "cut_and_drag":
        g["guide"] = {"class_type": "TrackGoCutAndDrag", "inputs": {
            "image": ["image", 0], "tracks": ["tracks", 0], "fill": "inpaint", "feather": 2.0,
            "mask_layout": "one_per_object"}}
        g["guide_latent"] = {"class_type": "VAEEncode", "inputs": {"pixels": ["guide", 0], "vae": ["ckpt", 2]}}
        sampler["latent_image"] = ["guide_latent", 0]
        sampler["denoise"] = condition["denoise"]
    g["sampler"] = {"class_type": "KSampler", "inputs": sampler}
    return g


def write_inputs(folder: Path, name: str, clip) -> tuple[str, str]:
    """The clip's first frame and its frame-0 label map (object k has red value k + 1) in ComfyUI's input folder."""
    from PIL import Image

    frame, labels = f"{name}_frame0.png", f"{name}_labels.png"
    Image.fromarray(clip.frames[0]).save(folder / frame)
    label_map = np.zeros(clip.masks.shape[1:], np.uint8)
    for k, mask in enumerate(clip.masks):
        label_map[mask] = k + 1
    Image.fromarray(np.stack([label_map] * 3, axis=-1)).save(folder / labels)
    return frame, labels


def block_mean(image: np.ndarray, block: int = 8) -> np.ndarray:
    """What the toy VAE makes of a picture: its 8×8 block means, repeated."""
    h, w = image.shape[-3:-1]
    blocks = image.reshape(*image.shape[:-3], h // block, block, w // block, block, 3).mean(axis=(-4, -2))
    return np.repeat(np.repeat(blocks, block, axis=-3), block, axis=-2)


def evaluate(server, dataset, indices: list[int], has_adapter: bool, settings: Sampling, seeds=(0,),
             keep_frames: Path | None = None, only: tuple[str, ...] = ()) -> dict:
    """Run every condition (or those named in ``only``) on every clip through ``server`` and measure; returns
    per-video records and the settings."""
    chosen = [c for c in conditions(has_adapter) if not only or c["name"] in only]
    unknown = set(only) - {c["name"] for c in conditions(has_adapter)}
    if unknown:
        raise ValueError(f"unknown conditions {sorted(unknown)}: use {[c['name'] for c in conditions(has_adapter)]}")
    records = []
    for position, index in enumerate(indices):
        scene = Scene.build(dataset, indices, position, server.base / "input")
        clip, other, background, areas = scene.clip, scene.other, scene.background, scene.areas
        frame_name, labels_name = scene.frame_name, scene.labels_name
        colours, masks = clip.tracklets.colors, clip.masks
        height, width = masks.shape[1:]
        start = mask_centroids(masks)
        for condition in chosen:
            motion = drawn_motion(clip, condition["motion"], other)
            paths = drawn_paths(start, motion, width, height)
            drawn = np.array([[[p["x"], p["y"]] for p in path] for path in paths])
            drawn_motion_px = (drawn - drawn[:, :1]) / np.array([width, height])
            where, measurable = targets(drawn_motion_px, masks)
            for seed in seeds:
                name = f"clip{index}_{condition['name']}_s{seed}"
                outputs = server.run(prompt(condition, frame_name, labels_name, paths, clip.num_frames, width,
                                            height, seed, settings, f"toy/{name}"), timeout=600)
                images = outputs["save"]["images"]
                frames = np.stack([server.view_image(image) for image in images])
                if keep_frames is not None:
                    keep_frames.mkdir(parents=True, exist_ok=True)
                    np.save(keep_frames / f"{name}.npy", (frames * 255).round().astype(np.uint8))
                result: Measured = measure(frames, background, colours, areas)
                error = trajectory_error(result, where, measurable, float(np.hypot(width, height)))
                records.append({"clip": index, "condition": condition["name"], "seed": seed, **error})
                log.info("%s: error %.2f px, lost %.2f", name, error["error"], error["lost"])
    return {"settings": settings.to_dict(), "records": records}


def summarise(records: list[dict]) -> dict:
    """Per condition: mean trajectory error over clips (each clip's mean over its seeds) with a 95 % interval, the
    error on found frames, and the share of frames whose shape was lost."""
    from .loss_gap import bootstrap

    summary = {}
    for name in dict.fromkeys(r["condition"] for r in records):
        per_clip: dict[int, list[dict]] = {}
        for r in records:
            if r["condition"] == name and r["frames"]:
                per_clip.setdefault(r["clip"], []).append(r)
        if not per_clip:
            continue
        errors = [np.mean([r["error"] for r in rs]) for rs in per_clip.values()]
        lost = [np.mean([r["lost"] for r in rs]) for rs in per_clip.values()]
        found = [np.nanmean([r["found_error"] for r in rs]) for rs in per_clip.values()]
        summary[name] = {"error": bootstrap(errors), "lost": float(np.mean(lost)),
                         "found_error": float(np.nanmean(found)), "clips": len(per_clip)}
    return summary

"""TrackDiffusion in videos sampled through the ComfyUI graph: do the generated shapes fill the drawn boxes?

For every held-out clip, a real ComfyUI server runs the graph a person builds for box control: the first frame →
``SVD_img2vid_Conditioning``; the boxes as the Tracklet Editor's document (one keyframe per frame, each object in its
shape's colour, as the boxes were given in training) → ``TrackletEditor`` → ``InstanceEnhancer`` (the TrackDiffusion
node, with ``TrackDiffusionLoader``'s weights) → ``KSampler`` → ``VAEDecode`` → ``SaveImage``. Conditions: ``none``
(the backbone alone, measured against the true boxes), ``true`` and ``other`` (the boxes moved by another clip's
motion, measured against those), and ``ceiling``: the ground-truth video itself through the toy VAE's 8×8 blocks (no
model), the most any video can score here. The measure is :func:`.measure.box_agreement`: per-frame IoU of each generated
shape's box (:func:`.measure.object_boxes`, the box of the pixels of its colour) against the drawn box.
"""

from __future__ import annotations

import logging

import numpy as np

from trackdiff_core.tracklet_document import TrackletDocument
from trackdiff_core.tracklets import Tracklets

from .box_loss_gap import with_box_motion
from .measure import box_agreement, drawn_boxes, drawn_motion, object_boxes
from .sample_eval import Sampling, Scene, base_graph, block_mean

log = logging.getLogger(__name__)

WEIGHTS = "toy_trackdiffusion.safetensors"
CONDITIONS = ("none", "true", "other")
CEILING = "ceiling"


def drawable(tracklets: Tracklets) -> Tracklets:
    """``tracklets`` as the editor can hold them: a box moved out of the frame is clipped to nothing, and the editor
    keeps a box (with area) on hidden frames too, so a hidden frame takes the object's nearest visible box (a tiny one
    for an object never seen). Visibility is unchanged, so the boxes the model gets are the same."""
    boxes = np.array(tracklets.boxes, np.float32)
    usable = np.asarray(tracklets.visible, bool) & (boxes[..., 2] > boxes[..., 0]) & (boxes[..., 3] > boxes[..., 1])
    for n in range(boxes.shape[1]):
        seen = np.flatnonzero(usable[:, n])
        if len(seen) == 0:
            boxes[:, n] = (0.0, 0.0, 0.01, 0.01)
            continue
        nearest = seen[np.abs(np.arange(len(boxes))[:, None] - seen[None]).argmin(axis=1)]
        boxes[:, n] = boxes[nearest, n]
    return Tracklets(boxes, usable, tracklets.ids, tracklets.labels, tracklets.colors)


def prompt(condition: str, frame_name: str, document: str, frames: int, width: int, height: int, seed: int,
           settings: Sampling, prefix: str) -> dict:
    """The API-format graph of one condition."""
    g = base_graph(frame_name, frames, width, height, prefix)
    g["sampler"] = {"class_type": "KSampler", "inputs": {
        "seed": seed, "steps": settings.steps, "cfg": settings.cfg, "sampler_name": settings.sampler,
        "scheduler": settings.scheduler, "positive": ["cond", 0], "negative": ["cond", 1],
        "latent_image": ["cond", 2], "denoise": 1.0, "model": ["ckpt", 0]}}
    if condition != "none":
        g["boxes"] = {"class_type": "TrackletEditor", "inputs": {"tracklets_json": document, "image": ["image", 0]}}
        g["weights"] = {"class_type": "TrackDiffusionLoader", "inputs": {"weights_name": WEIGHTS}}
        g["apply"] = {"class_type": "InstanceEnhancer", "inputs": {
            "model": ["ckpt", 0], "tracklets": ["boxes", 0], "weights": ["weights", 0], "strength": settings.strength,
            "start_percent": 0.0, "end_percent": 1.0, "boxes_for_uncond": False, "consistency": 0.0,
            "frame_mismatch": "error"}}
        g["sampler"]["inputs"]["model"] = ["apply", 0]
    return g


def agreement_record(index: int, condition: str, seed: int, agreement: dict) -> dict:
    return {"clip": index, "condition": condition, "seed": seed, "iou": agreement["iou"], "lost": agreement["lost"],
            "boxes": agreement["boxes"], "per_frame": [float(v) for v in agreement["per_frame"]]}


def ceiling_records(dataset, indices: list[int]) -> list[dict]:
    """The ground-truth clips measured as generated ones, through the toy VAE's 8×8 block means: the IoU ceiling."""
    records = []
    for index in indices:
        clip = dataset.clip(index)
        height, width = clip.masks.shape[1:]
        frames = block_mean(clip.frames.astype(np.float64) / 255.0)
        areas = clip.masks.reshape(len(clip.masks), -1).sum(axis=1)
        found = object_boxes(frames, block_mean(dataset.background(index)), clip.tracklets.colors, areas)
        drawn = drawn_boxes(clip.tracklets.boxes, clip.tracklets.visible, width, height)
        records.append(agreement_record(index, CEILING, 0, box_agreement(found, drawn)))
    return records


def evaluate(server, dataset, indices: list[int], settings: Sampling, seeds=(0,)) -> dict:
    """Every condition on every clip through ``server``, and the ceiling; per-video IoU records."""
    records = ceiling_records(dataset, indices)
    for position, index in enumerate(indices):
        scene = Scene.build(dataset, indices, position, server.base / "input")
        clip, other, background, areas = scene.clip, scene.other, scene.background, scene.areas
        colours, masks = clip.tracklets.colors, clip.masks
        height, width = masks.shape[1:]
        for condition in CONDITIONS:
            moved = with_box_motion(clip, drawn_motion(clip, "true" if condition == "none" else condition, other))
            tracklets = drawable(moved.tracklets)
            document = TrackletDocument.from_tracklets(tracklets, simplify=False).dumps()
            drawn = drawn_boxes(tracklets.boxes, tracklets.visible, width, height)
            for seed in seeds:
                name = f"clip{index}_{condition}_s{seed}"
                outputs = server.run(prompt(condition, scene.frame_name, document, clip.num_frames, width, height, seed,
                                            settings, f"toy_boxes/{name}"), timeout=600)
                frames = np.stack([server.view_image(image) for image in outputs["save"]["images"]])
                agreement = box_agreement(object_boxes(frames, background, colours, areas), drawn)
                records.append(agreement_record(index, condition, seed, agreement))
                log.info("%s: IoU %.3f, lost %.2f", name, agreement["iou"], agreement["lost"])
    return {"settings": settings.to_dict(), "records": records}


def summarise(records: list[dict]) -> dict:
    """Per condition: mean IoU over clips with a 95 % interval, and the share of drawn boxes with no shape found."""
    from .loss_gap import bootstrap

    summary = {}
    for name in (CEILING, *CONDITIONS):
        per_clip: dict[int, list[dict]] = {}
        for r in records:
            if r["condition"] == name and r["boxes"]:
                per_clip.setdefault(r["clip"], []).append(r)
        if per_clip:
            summary[name] = {"iou": bootstrap([np.mean([r["iou"] for r in rs]) for rs in per_clip.values()]),
                             "lost": float(np.mean([np.mean([r["lost"] for r in rs]) for rs in per_clip.values()])),
                             "clips": len(per_clip)}
    return summary

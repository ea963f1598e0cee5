"""Box tracklets for the TrackDiffusion training tasks (``trackdiffusion`` and ``instance_enhancer``), shared by both.

* :class:`BoxTrackletRuntime` — what the host's TrackDiffusion patch runs while training: the modules, the weights
  record they belong to, optional trainable UNet tensors, and the current clip's slot boxes (its tracklet *source*);
* :func:`clip_slots` — a clip's box tracklets in the weights' slots (with their colours), cut as the backend
  centre-crops the frames to the training size, then given slots by first appearance in the crop, as the node gives
  them (``trackdiffusion/object_slots.py``);
* :func:`without_boxes` and :func:`unconditional` — what an unconditional (condition-dropout) step sees: every presence
  0 and, where the backend can, SVD's image conditioning zeroed as ``SVD_img2vid_Conditioning``'s negative;
* :func:`clip_from_boxes` — a training clip from frames and box tracklets alone (e.g. YouTube-VIS).
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from ..crop import center_crop_box, is_whole
from ..errors import TrackDiffError
from ..tracklets import Tracklets
from ..trackdiffusion.model_fit import check_fusers_fit
from ..trackdiffusion.modules import TrackDiffusionModules
from ..trackdiffusion.object_slots import SlotBoxes, by_first_appearance, slot_boxes
from ..trackdiffusion.weights import TrackDiffusionWeights
from ..trajectories import PointTrajectories
from .clips import Clip
from .edm import edm_loss, sample_sigma

log = logging.getLogger(__name__)


class BoxTrackletRuntime:
    """What the host's TrackDiffusion patch runs while training: the modules, the weights they came from (the host
    applies their re-trained UNet tensors) and the current clip's slot boxes.

    ``unet_parameters`` (ComfyUI diffusion-model key → trainable tensor) are UNet tensors that *train*: the host puts
    them in the model in place of its own for as long as the patch is on (the ``trackdiffusion`` task's ``conv_in``,
    ``conv_out`` and mix factors); the weights' ``unet`` then stays empty.

    It is the patch's tracklet *source* (``for_frames``), set anew for every clip with :meth:`set_slots`."""

    strength = 1.0

    def __init__(self, weights: TrackDiffusionWeights, modules: TrackDiffusionModules,
                 unet_parameters: dict[str, torch.Tensor] | None = None):
        self.weights = weights
        self.modules = modules
        self.unet_parameters = dict(unet_parameters or {})
        self.slots: SlotBoxes | None = None

    def set_slots(self, slots: SlotBoxes) -> None:
        self.slots = slots

    def for_frames(self, frames: int) -> SlotBoxes:
        if self.slots is None:
            raise TrackDiffError("training", "no clip", "the model was called before a clip's boxes were set",
                                 "call set_slots before the model")
        if self.slots.frames != frames:
            raise TrackDiffError("clip", f"{self.slots.frames} frames of boxes",
                                 f"do not match the model call's {frames} frames", "give one box per frame")
        return self.slots


def clip_from_boxes(frames: np.ndarray, tracklets: Tracklets) -> Clip:
    """A training clip from frames and box tracklets only (e.g. a YouTube-VIS video read with
    ``trackdiff_core.formats.coco_vid.read_coco_vid``): no point tracks and empty frame-0 masks, which the box tasks do
    not read (TrackGo's task needs them)."""
    frames = np.asarray(frames)
    if frames.ndim != 4:
        raise TrackDiffError("frames", frames.shape, "must be uint8 [T, H, W, 3]", "give RGB frames as bytes")
    t, h, w = frames.shape[:3]
    no_points = PointTrajectories(np.zeros((t, 0, 2), np.float32), np.zeros((t, 0), bool), np.zeros(0, np.int64))
    return Clip(frames, no_points, np.zeros((tracklets.num_objects, h, w), bool), tracklets)


def center_crop_slots(slots: SlotBoxes, source: tuple[int, int], target: tuple[int, int]) -> SlotBoxes:
    """The boxes as they land in a ``source`` (w, h) frame centre-cropped to ``target``'s aspect ratio (the backend's
    ``common_upscale(..., "center")`` rule): re-normalised to the crop and clipped to it; a box left with no area is
    absent."""
    box = center_crop_box(*source, *target)
    if is_whole(box):
        return slots
    x1, y1, x2, y2 = box
    offset = torch.tensor([x1, y1, x1, y1], dtype=torch.float32)
    kept = torch.tensor([x2 - x1, y2 - y1] * 2, dtype=torch.float32)
    boxes = ((slots.boxes - offset) / kept).clamp(0.0, 1.0)
    has_area = (boxes[..., 2] > boxes[..., 0]) & (boxes[..., 3] > boxes[..., 1])
    return SlotBoxes(boxes, slots.colors, slots.present & has_area)


def without_boxes(slots: SlotBoxes) -> SlotBoxes:
    """The same slots with every presence 0 (what the unconditional half of guidance sees)."""
    return SlotBoxes(slots.boxes, slots.colors, torch.zeros_like(slots.present))


def clip_slots(clip: Clip, slots: int, size: tuple[int, int] | None, purpose: str) -> SlotBoxes:
    """``clip``'s boxes in ``slots`` slots, as they land in the training crop ``size`` (w, h). A clip without any
    visible box is an error (it would teach nothing): ``purpose`` says what it was to train, e.g. ``"the Instance
    Enhancer"``."""
    tracklets = clip.tracklets
    if tracklets.num_objects == 0 or not bool(tracklets.visible.any()):
        raise TrackDiffError("clip.boxes", f"{tracklets.num_objects} objects, none visible" if tracklets.num_objects
                             else "no objects", f"has no box tracklet to train {purpose} on",
                             "give every training clip at least one visible box (the synthetic clips have them)")
    boxes = slot_boxes(tracklets, slots, field="clip.boxes", ordered=False)
    if size is not None:
        boxes = center_crop_slots(boxes, clip.size, size)
    return by_first_appearance(boxes)  # the node's slot rule, on the boxes as the cropped clip shows them


_warned_no_unconditional: set[str] = set()


def unconditional(backend, conditioning):
    """The backend's unconditional image conditioning (``SVD_img2vid_Conditioning``'s negative), or ``conditioning``
    unchanged, with one warning, for a backend that has none (the step then drops the boxes only)."""
    method = getattr(backend, "unconditional", None)
    if method is None:
        name = type(backend).__name__
        if name not in _warned_no_unconditional:
            log.warning("the backend %s has no unconditional(); dropped steps drop the boxes only", name)
            _warned_no_unconditional.add(name)
        return conditioning
    return method(conditioning)


def box_denoising_loss(runtime: BoxTrackletRuntime, slots: SlotBoxes, clip: Clip, backend, generator: torch.Generator,
                       condition_dropout: float) -> tuple[torch.Tensor, float, bool]:
    """One step of the box tasks: ``(EDM loss, σ, dropped)``.

    ``x0`` = the clip's latents; ``σ`` (``ln σ ~ N(0.7, 1.6²)``) and the noise ``ε`` from ``generator``; with
    probability ``condition_dropout`` the step is unconditional (no boxes, the backend's unconditional image
    conditioning); ``D = model(x0 + σε; σ)`` with the runtime's modules in the spatial blocks;
    ``loss = λ(σ)·mean((D − x0)²)``, ``λ(σ) = (σ² + σ_data²)/(σ·σ_data)²`` — the authors' ``(1 + σ²)/σ²`` for SVD."""
    x0 = backend.encode_frames(clip.frames)
    conditioning = backend.conditioning(clip)
    sigma = sample_sigma(generator, backend.sigma_min, backend.sigma_max)
    noise = torch.randn(x0.shape, generator=generator, dtype=torch.float32).to(x0.device, x0.dtype)
    dropped = bool(torch.rand(1, generator=generator) < condition_dropout)
    if dropped:
        slots = without_boxes(slots)
        conditioning = unconditional(backend, conditioning)
    runtime.set_slots(slots)
    denoised = backend.denoise(x0 + sigma.to(x0.device, x0.dtype) * noise, sigma, conditioning)
    return edm_loss(denoised, x0, sigma, backend.sigma_data), float(sigma), dropped


def model_heads(backend, weights: TrackDiffusionWeights, field: str) -> dict[str, tuple[int, int]]:
    """The model's ``{site: (n_heads, dim_head)}``, after the node's own check that every fuser of ``weights`` fits its
    block (``field`` names the weights in the error, e.g. ``"--weights"``)."""
    return check_fusers_fit(weights, backend.site_specs(), field)

"""The ``instance_enhancer`` training task: TrackDiffusion's Instance Enhancer on box tracklets, everything else frozen.

It starts from TrackDiffusion weights (``--weights``: the authors' released file or a converted one), whose box encoder,
fusers and re-trained UNet tensors stay **frozen** and run exactly as the ``InstanceEnhancer`` node runs them; fresh
Instance Enhancers (zero gates: the identity) are added at the decoder sites (``output_3`` … ``output_11`` by default)
and only their parameters train.

Per step (one clip), all randomness from the step's generator:

1. the clip's box tracklets fill the weights' slots (object ``n`` → slot ``n``), cropped as the backend crops the frames
   to ``--width × --height`` (centre crop), with each object's colour;
2. ``x0`` = the clip's latents; ``σ`` with ``ln σ ~ N(0.7, 1.6²)`` and the noise ``ε``;
3. with probability ``--condition-dropout`` the step is *unconditional*, as the negative half of classifier-free
   guidance is at sampling time: every slot's presence is 0 (the fusers see null tokens, the enhancer only its null
   token) and, where the backend can, SVD's image conditioning is zeroed as ``SVD_img2vid_Conditioning``'s negative;
4. ``D = model(x0 + σε; σ)`` with the fusers and the Instance Enhancers in the spatial blocks;
5. ``loss = λ(σ)·mean((D − x0)²)`` with ``λ(σ) = (σ² + σ_data²)/(σ·σ_data)²`` — for SVD (``σ_data = 1``) the
   authors' ``(1 + σ²)/σ²`` (:mod:`.edm`).

The gates start at 0, so the first steps move only the gates; the other enhancer parameters get gradient once a gate
is non-zero. The saved file is TrackDiffusion weights in our format (:mod:`trackdiff_core.trackdiffusion.weights_format`)
carrying the enhancer (float32, so a resumed run continues bit for bit); ``TrackDiffusionLoader`` reads it and the
``InstanceEnhancer`` node runs the enhancer automatically.
"""

from __future__ import annotations

import argparse
import logging

import torch

from ..errors import TrackDiffError
from ..trackdiffusion.instance_enhancer import DECODER_SITES
from ..trackdiffusion.model_fit import check_enhancer_fit
from ..trackdiffusion.modules import TrackDiffusionModules
from ..trackdiffusion.object_slots import SlotBoxes
from ..trackdiffusion.weights import TrackDiffusionWeights, load_weights
from ..trackdiffusion.weights_format import save_weights
from .backend import ModelBackend
from .box_tracklets import (BoxTrackletRuntime, box_denoising_loss, center_crop_slots, clip_from_boxes, clip_slots,
                            model_heads, without_boxes)
from .clips import Clip
from .task import TrainingTask

log = logging.getLogger(__name__)

DEFAULT_BINS = 2
DEFAULT_SAMPLING_RATIO = 2
DEFAULT_DROPOUT = 0.1
ENHANCER_FILE = "--init (or checkpoint)"  # where load() reads a trained enhancer from
FIX_WEIGHTS = ("pass --weights with TrackDiffusion weights for this SVD: the released svd_stage2 "
               "diffusion_pytorch_model.safetensors or a file converted from it (docs/trackdiffusion.md)")


def _sites(value) -> tuple[str, ...]:
    sites = tuple(s.strip() for s in (value.split(",") if isinstance(value, str) else value) if s.strip())
    if not sites:
        raise TrackDiffError("--sites", value, "names no site", f"e.g. {','.join(DECODER_SITES)}")
    if len(set(sites)) != len(sites):
        raise TrackDiffError("--sites", value, "names a site twice", "list each site once")
    return sites


class InstanceEnhancerTask(TrainingTask):
    name = "instance_enhancer"
    output_name = "trackdiffusion_instance_enhancer.safetensors"
    help = ("TrackDiffusion: the Instance Enhancer at the decoder sites, trained on box tracklets with the fusers "
            "and the UNet frozen")

    def __init__(self, weights: TrackDiffusionWeights | str | None, sites=DECODER_SITES, bins: int = DEFAULT_BINS,
                 sampling_ratio: int = DEFAULT_SAMPLING_RATIO, condition_dropout: float = DEFAULT_DROPOUT,
                 size: tuple[int, int] | None = None):
        if weights is None or weights == "":
            raise TrackDiffError("--weights", weights, "is required: the Instance Enhancer trains on top of "
                                 "TrackDiffusion's fusers", FIX_WEIGHTS)
        if isinstance(weights, str):
            self.weights_path = weights
            weights = load_weights(weights, field_name="--weights")
        else:
            self.weights_path = weights.source
        if not isinstance(weights, TrackDiffusionWeights):
            raise TrackDiffError("--weights", type(weights).__name__, "is not TrackDiffusion weights", FIX_WEIGHTS)
        if weights.instance_enhancer:
            log.info("--weights carries an Instance Enhancer (%s); this run trains fresh ones (pass the file as --init "
                     "to continue training it)", ", ".join(sorted(weights.instance_enhancer)))
        self.base = weights.with_instance_enhancer({}, {})  # the frozen part: box encoder, fusers, UNet tensors
        self.sites = _sites(sites)
        for name, value, low, high in (("--bins", bins, 1, 8), ("--sampling-ratio", sampling_ratio, 1, 8)):
            if not isinstance(value, int) or not low <= value <= high:
                raise TrackDiffError(name, value, f"must be a whole number from {low} to {high}", "the default is 2")
        if not isinstance(condition_dropout, (int, float)) or not 0.0 <= float(condition_dropout) < 1.0:
            raise TrackDiffError("--condition-dropout", condition_dropout, "must be a probability in [0, 1)",
                                 "use about 0.1 so that classifier-free guidance keeps working")
        self.bins, self.sampling_ratio = int(bins), int(sampling_ratio)
        self.condition_dropout = float(condition_dropout)
        self.size = size
        self.runtime: BoxTrackletRuntime | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("Instance Enhancer")
        group.add_argument("--weights", default=None,
                           help="TrackDiffusion weights to train on (released or converted .safetensors; required)")
        group.add_argument("--sites", default=",".join(DECODER_SITES),
                           help="transformer sites that get an enhancer, comma-separated (default: the 9 decoder sites)")
        group.add_argument("--bins", type=int, default=DEFAULT_BINS, help="RoIAlign bins per side")
        group.add_argument("--sampling-ratio", type=int, default=DEFAULT_SAMPLING_RATIO,
                           help="RoIAlign samples per bin and side")
        group.add_argument("--condition-dropout", type=float, default=DEFAULT_DROPOUT,
                           help="probability of an unconditional step (no boxes, no image), for guidance")

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> "InstanceEnhancerTask":
        return cls(args.weights, args.sites, args.bins, args.sampling_ratio, args.condition_dropout,
                   (args.width, args.height))

    def settings(self) -> dict:
        return {"weights": self.weights_path, "sites": list(self.sites), "bins": self.bins,
                "sampling_ratio": self.sampling_ratio, "condition_dropout": self.condition_dropout}

    # -- modules -------------------------------------------------------------------------------------------------------
    def _heads(self, backend: ModelBackend) -> dict[str, tuple[int, int]]:
        """The model's heads per site, after checking that the weights and the sites fit the model."""
        heads = model_heads(backend, self.base, "--weights")
        missing = [s for s in self.sites if s not in heads]
        if missing:
            raise TrackDiffError("--sites", ",".join(missing), "are not transformer sites of this model",
                                 f"choose among {','.join(heads)}")
        return heads

    @staticmethod
    def _modules(weights: TrackDiffusionWeights, heads) -> TrackDiffusionModules:
        modules = TrackDiffusionModules.from_weights(weights, heads, dtype=torch.float32)
        modules.requires_grad_(False)  # the box encoder and the fusers stay frozen
        return modules

    def build(self, backend: ModelBackend) -> TrackDiffusionModules:
        heads = self._heads(backend)
        modules = self._modules(self.base, heads)
        self.sites = tuple(site for site in heads if site in self.sites)  # the model's order, as load() builds them
        modules.add_instance_enhancers(self.sites, heads, self.bins, self.sampling_ratio)
        modules.instance_enhancer.to(torch.float32).requires_grad_(True)
        return modules

    def load(self, path: str, backend: ModelBackend) -> TrackDiffusionModules:
        """The Instance Enhancer of ``path`` (a checkpoint, or ``--init``) on this run's frozen ``--weights``."""
        saved = load_weights(path, field_name=ENHANCER_FILE)
        if not saved.instance_enhancer:
            raise TrackDiffError(ENHANCER_FILE, path, "carries no Instance Enhancer",
                                 "start from a file this task wrote, or leave --init out to start fresh")
        heads = self._heads(backend)
        check_enhancer_fit(saved, backend.site_specs(), ENHANCER_FILE)
        if not self._same_fusers(saved):
            log.warning("%s: its Instance Enhancer was trained with other fusers than --weights %s; training goes on "
                        "with --weights' fusers", path, self.weights_path)
        config = saved.enhancer_config
        # The model's site order (the file's is alphabetical), so the parameters line up with a checkpoint's optimizer.
        self.sites = tuple(site for site in heads if site in saved.instance_enhancer)
        states = {site: saved.instance_enhancer[site] for site in self.sites}
        self.bins = int(config.get("bins", self.bins))
        self.sampling_ratio = int(config.get("sampling_ratio", self.sampling_ratio))
        modules = self._modules(self.base.with_instance_enhancer(states, config), heads)
        modules.instance_enhancer.to(torch.float32).requires_grad_(True)
        return modules

    def _same_fusers(self, saved: TrackDiffusionWeights) -> bool:
        if sorted(saved.fusers) != sorted(self.base.fusers):
            return False
        return all(torch.equal(saved.fusers[s][k].float(), self.base.fusers[s][k].float())
                   for s in self.base.fusers for k in self.base.fusers[s] if k in saved.fusers[s])

    def trainable_parameters(self, module: TrackDiffusionModules) -> list[torch.nn.Parameter]:
        return list(module.instance_enhancer.parameters())

    def trained_weights(self, module: TrackDiffusionModules, steps: int) -> TrackDiffusionWeights:
        """The frozen ``--weights`` plus ``module``'s Instance Enhancer (with a record of its training)."""
        config = dict(module.enhancer_config)
        config["training"] = {"steps": int(steps), "condition_dropout": self.condition_dropout,
                              "size": list(self.size) if self.size else None}
        return self.base.with_instance_enhancer(module.instance_enhancer_states(), config)

    def save(self, module: TrackDiffusionModules, path: str, steps: int) -> None:
        # dtype None keeps every tensor's own: the enhancer in float32 (exact resume), the frozen tensors as loaded.
        source = f"{self.base.source or 'unknown'} + instance enhancer trained {steps} steps"
        save_weights(path, self.trained_weights(module, steps), dtype=None, source=source)

    def attach(self, backend: ModelBackend, module: TrackDiffusionModules) -> None:
        self.runtime = BoxTrackletRuntime(self.base, module)
        backend.attach("trackdiffusion", self.runtime)

    # -- one clip ------------------------------------------------------------------------------------------------------
    def clip_slots(self, clip: Clip) -> SlotBoxes:
        """The clip's boxes in the weights' slots, as they land in the training crop (a clip without any box is an
        error: it would teach the enhancer nothing)."""
        return clip_slots(clip, self.base.slots, self.size, "the Instance Enhancer")

    def loss(self, module: TrackDiffusionModules, clip: Clip, backend: ModelBackend,
             generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
        slots = self.clip_slots(clip)
        objects = int(slots.present.any(dim=0).sum())
        loss, sigma, dropped = box_denoising_loss(self.runtime, slots, clip, backend, generator,
                                                  self.condition_dropout)
        gates = torch.stack([m.gate.detach().float() for m in module.instance_enhancer.values()])
        return loss, {"edm": float(loss.detach()), "sigma": sigma, "dropped": int(dropped),
                      "objects": objects, "gate": float(torch.tanh(gates).abs().mean())}


__all__ = ["BoxTrackletRuntime", "InstanceEnhancerTask", "center_crop_slots", "clip_from_boxes", "without_boxes"]

"""The ``trackgo`` training task: ``E`` and the TrackAdapter branches, with the UNet frozen.

Per step (one clip): ``x0`` = the clip's latents; ``σ`` and the noise ``ε`` from the step's generator; ``K · s`` of
each object's point tracks chosen at random (those visible in frame 0 first, as a user's mask would give); the runtime
gets those trajectories and the clip's frame-0 masks; the model denoises ``x0 + σ·ε`` with the adapter in its temporal
self-attentions; the loss is ``EDM + λ · attention loss`` (the attention loss averaged over the 16 layers; see
:func:`trackdiff_core.trackgo.adapter.attention_loss`).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from ..crop import center_crop_box, crop_masks, crop_trajectories
from ..trackgo.adapter import TrackAdapter
from ..trackgo.config import TrackGoConfig
from ..trackgo.guide import TrackGoGuide
from ..trackgo.runtime import TrackGoRuntime
from ..trackgo.weights import check_adapter_fits, load_adapter, save_adapter
from ..trajectories import PointTrajectories
from .backend import ModelBackend
from .clips import Clip
from .edm import edm_loss, sample_sigma
from .task import TrainingTask, paper_design

DEFAULTS = TrackGoConfig()  # the paper's design (a file without a setting is read as this)
# What a new training uses unless ``--paper`` or the option says otherwise: the design the toy world measured better
# (docs/toy-world.md, "The change: appearance channels": with them the shapes follow the drawing, with the paper's
# displacement maps alone they do not).
TRAINING_APPEARANCE_CHANNELS = 4


def choose_points(trajectories: PointTrajectories, per_object: int, generator: torch.Generator) -> PointTrajectories:
    """``per_object`` random tracks of each object (fewer if it has fewer), preferring tracks visible at frame 0."""
    chosen = []
    for group in range(trajectories.num_groups):
        members = np.flatnonzero(trajectories.groups == group)
        if len(members) == 0:
            continue
        first = members[trajectories.visible[0, members]]
        pool = first if len(first) else members
        order = torch.randperm(len(pool), generator=generator).numpy()
        chosen.append(pool[order[:per_object]])
    index = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)
    return PointTrajectories(trajectories.points[:, index], trajectories.visible[:, index],
                             trajectories.groups[index])


class TrackGoTask(TrainingTask):
    name = "trackgo"
    output_name = "trackgo_adapter.safetensors"
    help = "TrackGo: the trajectory encoder E and a TrackAdapter branch in every temporal self-attention"

    def __init__(self, config: TrackGoConfig | None = None, seed: int = 0):
        self.config = config or TrackGoConfig()
        self.seed = int(seed)  # the adapter's initial weights (the runs' other draws come from (seed, step, rank))
        self.runtime: TrackGoRuntime | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("TrackGo")
        group.add_argument("--K", "--points-k", dest="K", type=int, default=DEFAULTS.points_k,
                           help="K: each object gets K·s point tracks")
        group.add_argument("--s", "--points-s", dest="s", type=int, default=DEFAULTS.points_s,
                           help="s, the density multiplier of K (under torchrun write --points-s: torchrun's own "
                                "parser takes --s for an abbreviation of its options)")
        group.add_argument("--tau", type=float, default=DEFAULTS.tau, help="suppression intensity outside the tracks")
        group.add_argument("--attention-loss-weight", type=float, default=DEFAULTS.attention_loss_weight,
                           help="lambda in loss = EDM + lambda * attention loss")
        group.add_argument("--splat-sigma", type=float, default=DEFAULTS.splat_sigma,
                           help="Gaussian of the displacement maps, in latent cells")
        group.add_argument("--mask-dilation", type=int, default=DEFAULTS.mask_dilation,
                           help="cells added around the motion region of the merge mask")
        group.add_argument("--encoder-channels", type=str, default=",".join(map(str, DEFAULTS.encoder_channels)),
                           help="widths of E's pyramid levels, comma-separated")
        group.add_argument("--branch-ratio", type=int, default=DEFAULTS.branch_ratio,
                           help="the branch's head width is the layer's divided by this")
        group.add_argument("--appearance-channels", type=int, default=None,
                           help="also give E the first frame's latent where each track starts, carried along the "
                                f"track (default {TRAINING_APPEARANCE_CHANNELS}, SVD's latent channels: TrackDiff's "
                                "design, measured in docs/toy-world.md; 0: the paper's displacement maps only)")
        group.add_argument("--paper", action="store_true",
                           help="train exactly the paper's design (no appearance channels)")

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> "TrackGoTask":
        channels = tuple(int(c) for c in str(args.encoder_channels).split(",") if c.strip())
        return cls(TrackGoConfig(
            points_k=args.K, points_s=args.s, tau=args.tau, frames=args.frames, width=args.width, height=args.height,
            splat_sigma=args.splat_sigma, mask_dilation=args.mask_dilation, encoder_channels=channels,
            branch_ratio=args.branch_ratio, attention_loss_weight=args.attention_loss_weight,
            appearance_channels=paper_design(args, "--appearance-channels", args.appearance_channels,
                                             DEFAULTS.appearance_channels, TRAINING_APPEARANCE_CHANNELS),
        ), seed=getattr(args, "seed", 0))

    def settings(self) -> dict:
        return {"config": self.config.to_json()}

    def build(self, backend: ModelBackend) -> TrackAdapter:
        """A new adapter, its initial weights drawn from ``--seed`` alone (the same command builds the same adapter;
        the global RNG is left as it was)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return TrackAdapter(backend.site_specs(), self.config)

    def load(self, path: str, backend: ModelBackend) -> TrackAdapter:
        adapter = load_adapter(path)
        check_adapter_fits(adapter, backend.site_specs(), path)
        adapter.requires_grad_(True)
        self.config = adapter.config
        return adapter

    def save(self, module: TrackAdapter, path: str, steps: int) -> None:
        save_adapter(module, path, steps)

    def attach(self, backend: ModelBackend, module: TrackAdapter) -> None:
        self.runtime = TrackGoRuntime(module, None, strength=1.0, tau=module.config.tau, training=True)
        backend.attach("trackgo", self.runtime)

    def loss(self, module: TrackAdapter, clip: Clip, backend: ModelBackend,
             generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
        x0 = backend.encode_frames(clip.frames)
        sigma = sample_sigma(generator, backend.sigma_min, backend.sigma_max)
        noise = torch.randn(x0.shape, generator=generator, dtype=torch.float32).to(x0.device, x0.dtype)
        edm, attention, layers = self.denoising_terms(module, clip, backend, x0, sigma, noise, generator)
        loss = edm + module.config.attention_loss_weight * attention
        return loss, {"edm": float(edm.detach()), "attention": float(attention.detach()), "sigma": float(sigma),
                      "layers": layers}

    def denoise_with_tracks(self, module: TrackAdapter, clip: Clip, backend: ModelBackend, noisy: torch.Tensor,
                            sigma: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The model's denoised ``x0`` for ``noisy`` at ``σ``, guided by ``clip``'s tracks and masks (``K·s`` tracks per
        object chosen with ``generator``); the adapter's attention terms are left in ``runtime.attention_terms``."""
        runtime = self.runtime
        conditioning = backend.conditioning(clip)
        # The backend centre-crops the frames to the training size; the tracks and masks are cut the same way.
        height, width = clip.frames.shape[1:3]
        crop = center_crop_box(width, height, self.config.width, self.config.height)
        points = choose_points(crop_trajectories(clip.trajectories, crop), module.config.points_per_object, generator)
        runtime.set_guide(TrackGoGuide(points, masks=crop_masks(clip.masks, crop)))
        runtime.attention_terms.clear()
        return backend.denoise(noisy, sigma, conditioning)

    def crop_size(self) -> tuple[int, int]:
        return self.config.width, self.config.height

    def prediction(self, module: TrackAdapter, clip: Clip, backend: ModelBackend, noisy: torch.Tensor,
                   sigma: torch.Tensor, generator: torch.Generator, control: bool) -> torch.Tensor:
        """The denoised prediction with the adapter on (strength 1) or off (strength 0), for the placement check."""
        runtime = self.runtime
        runtime.strength = 1.0 if control else 0.0
        try:
            return self.denoise_with_tracks(module, clip, backend, noisy, sigma, generator)
        finally:
            runtime.strength = 1.0
            runtime.attention_terms = []

    def denoising_terms(self, module: TrackAdapter, clip: Clip, backend: ModelBackend, x0: torch.Tensor,
                        sigma: torch.Tensor, noise: torch.Tensor, generator: torch.Generator):
        """``(EDM loss, attention loss, layers)`` of denoising ``x0 + σ·noise`` guided by ``clip``'s tracks and masks
        (``K·s`` tracks per object chosen with ``generator``); also what evaluations call with fixed ``σ`` and noise."""
        runtime = self.runtime
        denoised = self.denoise_with_tracks(module, clip, backend, x0 + sigma.to(x0.device, x0.dtype) * noise, sigma,
                                            generator)
        edm = edm_loss(denoised, x0, sigma, backend.sigma_data)
        terms = runtime.attention_terms
        attention = torch.stack(terms).mean() if terms else edm.new_zeros(())
        runtime.attention_terms = []
        return edm, attention, len(terms)

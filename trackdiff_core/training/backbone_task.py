"""The ``backbone`` training task: image-to-video training of the whole video model, with no track control.

What it is for: a model that knows a world but not its motion. The toy-world proof (``docs/toy-world.md``) trains
the tiny SVD this way on :class:`~.toy_world.ToyWorldClips`, so that the only thing left uncertain when it denoises a
clip is where the shapes go — which only tracks can say — before TrackGo or TrackDiffusion control is trained on the
frozen result with the other tasks.

Per step (one clip): ``x0`` = the clip's latents, conditioned on its first frame as the sampler conditions it; ``σ``
and the noise from the step's generator; with probability ``--condition-dropout`` the image conditioning is replaced by
the backend's unconditional one (the negative half of classifier-free guidance, so guided sampling works); loss = EDM.
Every weight of the denoiser trains (the backend's ``video_model()``); the backend writes the checkpoint in the form its
loader reads (for the ComfyUI backend: a full SVD checkpoint, the other parts copied from ``--checkpoint``).
"""

from __future__ import annotations

import argparse

import torch

from ..errors import TrackDiffError
from .backend import ModelBackend
from .clips import Clip
from .edm import edm_loss, sample_sigma
from .task import TrainingTask


def _require(backend: ModelBackend, name: str):
    method = getattr(backend, name, None)
    if method is None:
        raise TrackDiffError("--backend", type(backend).__name__, f"has no {name}()",
                             "use a backend that can train its whole video model (the comfyui backend can)")
    return method


class BackboneTask(TrainingTask):
    name = "backbone"
    output_name = "video_model.safetensors"
    help = "image-to-video training of the whole video model, with no track control (e.g. the toy-world backbone)"

    def __init__(self, condition_dropout: float = 0.1):
        if not 0.0 <= float(condition_dropout) < 1.0:
            raise TrackDiffError("--condition-dropout", condition_dropout, "must be in [0, 1)", "e.g. 0.1")
        self.condition_dropout = float(condition_dropout)
        self.backend: ModelBackend | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("backbone")
        group.add_argument("--condition-dropout", type=float, default=0.1,
                           help="probability of a step with the unconditional image conditioning (for CFG)")

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> "BackboneTask":
        return cls(args.condition_dropout)

    def settings(self) -> dict:
        return {"condition_dropout": self.condition_dropout}

    def build(self, backend: ModelBackend) -> torch.nn.Module:
        self.backend = backend
        return _require(backend, "video_model")().requires_grad_(True)

    def load(self, path: str, backend: ModelBackend) -> torch.nn.Module:
        _require(backend, "load_video_model")(path)
        return self.build(backend)

    def save(self, module: torch.nn.Module, path: str, steps: int) -> None:
        _require(self.backend, "save_video_model")(path, {"trackdiff_training": self.name, "steps": str(steps)})

    def attach(self, backend: ModelBackend, module: torch.nn.Module) -> None:
        """Nothing to install: the model itself trains."""

    def loss(self, module: torch.nn.Module, clip: Clip, backend: ModelBackend,
             generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
        x0 = backend.encode_frames(clip.frames)
        conditioning = backend.conditioning(clip)
        dropped = bool(torch.rand(1, generator=generator).item() < self.condition_dropout)
        sigma = sample_sigma(generator, backend.sigma_min, backend.sigma_max)
        noise = torch.randn(x0.shape, generator=generator, dtype=torch.float32).to(x0.device, x0.dtype)
        if dropped:
            conditioning = _require(backend, "unconditional")(conditioning)
        denoised = backend.denoise(x0 + sigma.to(x0.device, x0.dtype) * noise, sigma, conditioning)
        loss = edm_loss(denoised, x0, sigma, backend.sigma_data)
        return loss, {"edm": float(loss.detach()), "sigma": float(sigma), "dropped": int(dropped)}

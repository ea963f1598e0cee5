"""The ``trackdiffusion`` training task: TrackDiffusion's box control trained from scratch, as the authors trained it.

What trains is what the authors' ``train_svd_tracklet.py`` trains (its parameter filter is the keywords ``fuser``,
``position_net``, ``time_mixer``, ``conv_out``, ``conv_in``; everything else of the UNet is frozen), which is also
exactly what their released file carries:

* the box encoder (``position_net``) — fresh, GLIGEN's Fourier-MLP, object tokens as wide as the model's
  cross-attention context (``--box-layout``, ``--box-hidden``; the released weights: ``fourier7``, 512);
* a gated self-attention fuser in every spatial transformer block (16 in SVD) — fresh, the block's width and heads,
  gates ``γ = 0`` so that step 0 is the backbone exactly;
* with ``--unet-tensors`` (the default): the UNet's ``conv_in``, ``conv_out`` and every ``time_mixer.mix_factor``
  (38 in SVD), starting from the backbone's own values. They train as copies that the host puts in the model in place
  of its own while the patch is on (ComfyUI: object patches), so the frozen model itself never changes.

Per step (one clip), all randomness from the step's generator (:func:`.box_tracklets.box_denoising_loss`): the clip's
boxes in slots (object ``n`` → slot ``n`` with its colour, centre-cropped as the frames); ``σ`` with
``ln σ ~ N(0.7, 1.6²)`` and the noise; with probability ``--condition-dropout`` an unconditional step (no boxes, the image
conditioning zeroed: the negative half of guidance); the EDM loss weighted ``(1 + σ²)/σ²`` for SVD, the authors'.

The saved file is TrackDiffusion weights in TrackDiff's format (:mod:`trackdiff_core.trackdiffusion.weights_format`,
float32 so that a resumed run continues bit for bit): ``TrackDiffusionLoader`` reads it, the ``InstanceEnhancer`` node
runs it, and the ``instance_enhancer`` task trains an enhancer on it (``--weights``). ``--init`` starts from any
TrackDiffusion weights that fit the model (e.g. the released ones, to fine-tune).
"""

from __future__ import annotations

import argparse
import logging

import torch
from torch import nn

from ..errors import TrackDiffError
from ..trackdiffusion.box_encoder import FOURIER_FREQS, LAYOUTS, BoxLayout
from ..trackdiffusion.fuser import QUERY_POSITION_WIDTH
from ..trackdiffusion.diffusers_layout import CONV_IN_OUT, MIX_FACTOR, SVD_SITE_KEYS
from ..trackdiffusion.modules import TrackDiffusionModules
from ..trackdiffusion.object_slots import SlotBoxes
from ..trackdiffusion.weights import DEFAULT_SLOTS, FuserDims, TrackDiffusionWeights, load_weights
from ..trackdiffusion.weights_format import save_weights
from .backend import ModelBackend
from .box_tracklets import BoxTrackletRuntime, box_denoising_loss, clip_slots, model_heads
from .clips import Clip
from .task import TrainingTask, paper_design

log = logging.getLogger(__name__)

DEFAULT_HIDDEN = 512  # the released box encoder's hidden width
DEFAULT_DROPOUT = 0.1
# What a new training from scratch uses unless ``--paper`` or ``--no-box-mask`` says otherwise: the design the toy world
# measured better (docs/toy-world.md, "TrackDiffusion box control from scratch": the box-masked fusers place the shapes, the authors' fusers trained
# from scratch do not). The class's own default stays the authors' design.
TRAINING_BOX_MASK = True
RETRAINED_CONVS = frozenset(CONV_IN_OUT.values())  # ComfyUI names of conv_in / conv_out
FIX_HALF = ("train with the UNet in float32 (--unet-dtype fp32), or pass --no-unet-tensors to train only the box "
            "encoder and the fusers")


def retrained_unet_key(key: str) -> bool:
    """A ComfyUI diffusion-model key of a tensor TrackDiffusion re-trains (conv_in, conv_out, a time-mixer factor)."""
    return key in RETRAINED_CONVS or bool(MIX_FACTOR.match(key))


def _site_order(key: str) -> int:
    return SVD_SITE_KEYS.index(key) if key in SVD_SITE_KEYS else len(SVD_SITE_KEYS)


class TrackDiffusionTraining(nn.Module):
    """The trainable part: TrackDiffusion's modules and the UNet tensors that train with them (ComfyUI keys)."""

    def __init__(self, modules: TrackDiffusionModules, unet: dict[str, torch.Tensor]):
        super().__init__()
        self.trackdiffusion = modules
        self.unet_keys = tuple(sorted(unet))  # the file's order, so a checkpoint's optimizer state lines up
        self.unet = nn.ParameterList([nn.Parameter(unet[k].detach().to(torch.float32).clone()) for k in self.unet_keys])

    def unet_parameters(self) -> dict[str, nn.Parameter]:
        return dict(zip(self.unet_keys, self.unet))


class TrackDiffusionTask(TrainingTask):
    name = "trackdiffusion"
    output_name = "trackdiffusion.safetensors"
    help = ("TrackDiffusion box control from scratch: the box encoder, a gated fuser in every spatial block and, as "
            "the authors, conv_in / conv_out / the time-mixer factors")

    def __init__(self, condition_dropout: float = DEFAULT_DROPOUT, unet_tensors: bool = True,
                 box_layout: str = "fourier7", box_hidden: int = DEFAULT_HIDDEN, token_dim: int | None = None,
                 slots: int = DEFAULT_SLOTS, size: tuple[int, int] | None = None, seed: int = 0,
                 query_positions: bool = False, gate_lr_scale: float = 1.0, box_mask: bool = False):
        if not isinstance(condition_dropout, (int, float)) or not 0.0 <= float(condition_dropout) < 1.0:
            raise TrackDiffError("--condition-dropout", condition_dropout, "must be a probability in [0, 1)",
                                 "use about 0.1 so that classifier-free guidance keeps working")
        if box_layout not in LAYOUTS:
            raise TrackDiffError("--box-layout", box_layout, "is not a box layout", f"use one of {', '.join(LAYOUTS)}")
        for field, value, low, high in (("--box-hidden", box_hidden, 8, 4096), ("--slots", slots, 1, 256),
                                        ("--token-dim", token_dim if token_dim is not None else 8, 8, 8192)):
            if not isinstance(value, int) or not low <= value <= high:
                raise TrackDiffError(field, value, f"must be a whole number from {low} to {high}",
                                     "leave it out for the default")
        self.condition_dropout = float(condition_dropout)
        self.unet_tensors = bool(unet_tensors)
        self.box_layout, self.box_hidden, self.token_dim = box_layout, int(box_hidden), token_dim
        self.slots = int(slots)
        self.query_positions = bool(query_positions)
        if not isinstance(gate_lr_scale, (int, float)) or not 0.0 < float(gate_lr_scale) <= 1000.0:
            raise TrackDiffError("--gate-lr-scale", gate_lr_scale, "must be a number in (0, 1000]",
                                 "leave it out for 1 (the gates learn at --lr)")
        self.gate_lr_scale = float(gate_lr_scale)
        self.box_mask = bool(box_mask)
        self.size = size
        self.seed = int(seed)
        self.frozen_unet: dict[str, torch.Tensor] = {}  # re-trained UNet tensors of --init that stay frozen
        self.source = "trained from scratch"
        self.runtime: BoxTrackletRuntime | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("TrackDiffusion")
        group.add_argument("--condition-dropout", type=float, default=DEFAULT_DROPOUT,
                           help="probability of an unconditional step (no boxes, no image), for guidance")
        group.add_argument("--unet-tensors", action=argparse.BooleanOptionalAction, default=True,
                           help="also train conv_in, conv_out and the time-mixer factors, as the authors did")
        group.add_argument("--box-layout", choices=LAYOUTS, default="fourier7",
                           help="how a box and its colour reach the box encoder (the released weights: fourier7)")
        group.add_argument("--box-hidden", type=int, default=DEFAULT_HIDDEN, help="the box encoder's hidden width")
        group.add_argument("--token-dim", type=int, default=None,
                           help="object-token width (default: the model's cross-attention context width)")
        group.add_argument("--slots", type=int, default=DEFAULT_SLOTS, help="objects per clip, at most")
        group.add_argument("--query-positions", action=argparse.BooleanOptionalAction, default=None,
                           help="give each fuser's visual queries their cell's position (TrackDiff's option, see "
                                "trackdiff_core/trackdiffusion/fuser.py; the released weights have none)")
        group.add_argument("--box-mask", action=argparse.BooleanOptionalAction, default=None,
                           help="box-masked fuser attention: a visual token sees only the object tokens whose box holds "
                                "it (the default for training from scratch: TrackDiff's design, measured in "
                                "docs/toy-world.md; see trackdiff_core/trackdiffusion/fuser.py). With --init the "
                                "weights' own fusers are trained as they are")
        group.add_argument("--paper", action="store_true",
                           help="train exactly the authors' design (no box mask, no query positions)")
        group.add_argument("--gate-lr-scale", type=float, default=1.0,
                           help="the fusers' gates γ learn at --lr times this, without weight decay (they start at 0, "
                                "and the branch they gate learns only as fast as they open)")

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> "TrackDiffusionTask":
        query_positions = paper_design(args, "--query-positions", args.query_positions, False, False)
        box_mask = paper_design(args, "--box-mask", args.box_mask, False, TRAINING_BOX_MASK)
        return cls(args.condition_dropout, args.unet_tensors, args.box_layout, args.box_hidden, args.token_dim,
                   args.slots, (args.width, args.height), args.seed, query_positions,
                   args.gate_lr_scale, box_mask)

    def settings(self) -> dict:
        return {"condition_dropout": self.condition_dropout, "unet_tensors": self.unet_tensors,
                "box_layout": self.box_layout, "box_hidden": self.box_hidden, "token_dim": self.token_dim,
                "slots": self.slots, "seed": self.seed, "query_positions": self.query_positions,
                "gate_lr_scale": self.gate_lr_scale, "box_mask": self.box_mask}

    # -- modules -------------------------------------------------------------------------------------------------------
    def _token_dim(self, backend: ModelBackend) -> int:
        if self.token_dim is not None:
            return self.token_dim
        context = getattr(backend, "context_dim", None)
        if context is None:
            raise TrackDiffError("--token-dim", None, f"is needed: the backend {type(backend).__name__} does not say "
                                 "its cross-attention context width", "pass --token-dim (SVD: 1024)")
        return int(context())

    def _model_unet(self, backend: ModelBackend) -> dict[str, torch.Tensor]:
        """The backbone's re-trainable tensors (conv_in, conv_out, mix factors), by ComfyUI key."""
        video_model = getattr(backend, "video_model", None)
        if video_model is None:
            raise TrackDiffError("--unet-tensors", True, f"needs the backend's video model, which "
                                 f"{type(backend).__name__} does not give", "pass --no-unet-tensors")
        found = {k: v for k, v in video_model().state_dict().items() if retrained_unet_key(k)}
        if not found:
            raise TrackDiffError("--unet-tensors", True, "finds no conv_in, conv_out or time_mixer.mix_factor in the "
                                 "model (under ComfyUI's names)", "pass --no-unet-tensors")
        half = sorted({str(v.dtype).replace("torch.", "") for v in found.values() if v.dtype != torch.float32})
        if half:
            raise TrackDiffError("--unet-tensors", f"a {'/'.join(half)} UNet",
                                 "cannot train its conv_in / conv_out / mix factors in place", FIX_HALF)
        return found

    def _sites(self, backend: ModelBackend) -> list:
        return sorted(backend.site_specs(), key=lambda s: _site_order(s.key))

    def build(self, backend: ModelBackend) -> TrackDiffusionTraining:
        token_dim = self._token_dim(backend)
        layout = BoxLayout(self.box_layout, FOURIER_FREQS, self.box_hidden, token_dim)
        sites = self._sites(backend)
        position = QUERY_POSITION_WIDTH if self.query_positions else 0
        dims = {s.key: FuserDims(s.channels, token_dim, 4 * s.channels, position, self.box_mask) for s in sites}
        heads = {s.key: (s.n_heads, s.d_head) for s in sites}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            modules = TrackDiffusionModules(layout, dims, heads)
        unet = self._model_unet(backend) if self.unet_tensors else {}
        self.frozen_unet = {}
        return TrackDiffusionTraining(modules, unet).to(torch.float32).requires_grad_(True)

    def load(self, path: str, backend: ModelBackend) -> TrackDiffusionTraining:
        """Modules from TrackDiffusion weights (a checkpoint of this task, or ``--init``: ours or the released ones)."""
        field = "--init (or checkpoint)"
        weights = load_weights(path, field_name=field)
        heads = model_heads(backend, weights, field)
        if weights.instance_enhancer:
            log.warning("%s carries an Instance Enhancer; this task does not train it and does not keep it (train one "
                        "on this task's output with the instance_enhancer task)", path)
            weights = weights.with_instance_enhancer({}, {})
        modules = TrackDiffusionModules.from_weights(weights, heads, dtype=torch.float32)
        model = self._model_unet(backend) if self.unet_tensors else None
        if model is not None:
            for key, tensor in weights.unet.items():
                if key not in model or tuple(model[key].shape) != tuple(tensor.shape):
                    theirs = tuple(model[key].shape) if key in model else "missing tensor"
                    raise TrackDiffError(f"{field}.unet.{key}", tuple(tensor.shape), f"does not match the model's {theirs}",
                                         "start from TrackDiffusion weights made for this SVD")
            unet, self.frozen_unet = {**model, **weights.unet}, {}
        else:
            unet, self.frozen_unet = {}, dict(weights.unet)  # applied as the node applies them, frozen
        self.slots = weights.slots
        self.source = weights.source or path
        return TrackDiffusionTraining(modules, unet).requires_grad_(True)

    def trained_weights(self, module: TrackDiffusionTraining, steps: int | None = None) -> TrackDiffusionWeights:
        """``module`` as TrackDiffusion weights (``steps`` None: without the trained UNet tensors, for the runtime)."""
        td = module.trackdiffusion
        position = {k: v.detach().cpu() for k, v in td.position_net.state_dict().items()}
        fusers = {site: {k: v.detach().cpu() for k, v in fuser.state_dict().items()} for site, fuser in td.fusers.items()}
        unet = dict(self.frozen_unet)
        if steps is not None:
            unet.update({k: v.detach().cpu() for k, v in module.unet_parameters().items()})
        return TrackDiffusionWeights(td.layout, position, fusers, dict(sorted(unet.items())), self.slots,
                                     source=self.source, stage="trained")

    def save(self, module: TrackDiffusionTraining, path: str, steps: int) -> None:
        trained = "conv_in, conv_out, mix factors, " if module.unet_keys else ""
        source = (f"{self.source}; box encoder, fusers, {trained}{steps} steps of the trackdiffusion task "
                  f"(condition dropout {self.condition_dropout:g}, size {list(self.size) if self.size else '?'})")
        save_weights(path, self.trained_weights(module, steps), dtype=None, source=source)

    def trainable_parameters(self, module: TrackDiffusionTraining) -> list:
        """Everything that trains; with ``--gate-lr-scale`` other than 1, the gates in a group of their own."""
        params = [p for p in module.parameters() if p.requires_grad]
        if self.gate_lr_scale == 1.0:
            return params
        gates = [p for name, p in module.named_parameters() if p.requires_grad and name.rsplit(".", 1)[-1]
                 in ("alpha_attn", "alpha_dense")]
        ids = {id(p) for p in gates}
        return [{"params": [p for p in params if id(p) not in ids]},
                {"params": gates, "lr_scale": self.gate_lr_scale, "weight_decay": 0.0}]

    def attach(self, backend: ModelBackend, module: TrackDiffusionTraining) -> None:
        self.runtime = BoxTrackletRuntime(self.trained_weights(module), module.trackdiffusion, module.unet_parameters())
        backend.attach("trackdiffusion", self.runtime)

    # -- one clip ------------------------------------------------------------------------------------------------------
    def clip_slots(self, clip: Clip) -> SlotBoxes:
        return clip_slots(clip, self.slots, self.size, "TrackDiffusion's box control")

    def loss(self, module: TrackDiffusionTraining, clip: Clip, backend: ModelBackend,
             generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
        slots = self.clip_slots(clip)
        objects = int(slots.present.any(dim=0).sum())
        loss, sigma, dropped = box_denoising_loss(self.runtime, slots, clip, backend, generator, self.condition_dropout)
        fusers = list(module.trackdiffusion.fusers.values())
        attn = torch.stack([torch.tanh(f.alpha_attn.detach().float()).abs() for f in fusers]).mean()
        dense = torch.stack([torch.tanh(f.alpha_dense.detach().float()).abs() for f in fusers]).mean()
        return loss, {"edm": float(loss.detach()), "sigma": sigma, "dropped": int(dropped), "objects": objects,
                      "gate_attn": float(attn), "gate_dense": float(dense)}

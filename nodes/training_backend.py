"""The ``"comfyui"`` training backend: a frozen SVD loaded and run by ComfyUI used as a library.

``trackdiff_core.training`` selects it by name at run time (it never imports ComfyUI itself). It loads the checkpoint
with ComfyUI's own loader (so every SVD ComfyUI reads works), conditions a clip exactly like ``SVD_img2vid_Conditioning``
(CLIP-vision embedding of the first frame, its VAE latent as the concat image, fps / motion bucket / augmentation),
installs a method's runtime with the **same patch function the nodes use** (``trackgo_patch.apply_trackgo``;
``trackdiffusion_patch.apply_trackdiffusion_training``, the Instance Enhancer node's patch with a trainer's modules and
trainable UNet tensors) and
calls the model through ``comfy.samplers.calc_cond_batch``, as KSampler does, but with gradients on. So what trains
runs in exactly the computation it later runs in.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import torch

import comfy.model_management
import comfy.model_patcher
import comfy.sampler_helpers
import comfy.samplers
import comfy.sd
import comfy.utils

from ..trackdiff_core.errors import TrackDiffError
from .trackdiffusion_patch import apply_trackdiffusion_training
from .trackgo_patch import apply_trackgo, site_specs

log = logging.getLogger(__name__)

CONCAT = "concat_latent_image"
UNET_PREFIX = "model.diffusion_model."  # where an SVD checkpoint keeps the UNet
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
# A training method -> (the patch function its node uses, the runtime's trainable modules). Trainers keep their modules
# on their own device (the optimizer holds the parameters), so they are not memory-managed by ComfyUI.
ATTACH = {
    "trackgo": (lambda model, runtime: apply_trackgo(model, runtime, manage_memory=False), lambda r: r.adapter),
    "trackdiffusion": (apply_trackdiffusion_training, lambda r: r.modules),
}


class ComfySVDBackend:
    """:class:`trackdiff_core.training.backend.ModelBackend` for an SVD checkpoint."""

    def __init__(self, checkpoint: str | None = None, width: int = 256, height: int = 256, device: str | None = None,
                 fps: int = 6, motion_bucket_id: int = 127, augmentation_level: float = 0.0,
                 unet_dtype: str | None = None, **_unused):
        if not checkpoint or not os.path.isfile(checkpoint):
            raise TrackDiffError("--checkpoint", checkpoint, "is not a file", "pass the SVD checkpoint to train with")
        if width % 8 or height % 8:
            raise TrackDiffError("--width / --height", (width, height), "must be multiples of 8", "e.g. 256 x 256")
        options = {"dtype": DTYPES[unet_dtype]} if unet_dtype else {}
        try:
            loaded = comfy.sd.load_checkpoint_guess_config(checkpoint, output_vae=True, output_clip=False,
                                                           output_clipvision=True, model_options=options)
        except RuntimeError as exc:
            raise TrackDiffError("--checkpoint", os.path.basename(checkpoint), f"could not be loaded ({exc})",
                                 "pass an SVD img2vid checkpoint") from None
        self.model, _clip, self.vae, self.clip_vision = loaded
        self.model.model.requires_grad_(False)  # frozen: no gradient is computed or stored for the UNet
        self.sites = site_specs(self.model)  # a clear error for anything but SVD
        if self.clip_vision is None or self.vae is None:
            raise TrackDiffError("--checkpoint", os.path.basename(checkpoint), "has no CLIP vision or VAE",
                                 "pass a full SVD img2vid checkpoint (svd.safetensors / svd_xt.safetensors)")
        sampling = self.model.get_model_object("model_sampling")
        self.sigma_data = float(getattr(sampling, "sigma_data", 1.0))
        self.sigma_min, self.sigma_max = float(sampling.sigma_min), float(sampling.sigma_max)
        self.width, self.height = int(width), int(height)
        self.fps, self.motion_bucket_id, self.augmentation_level = fps, motion_bucket_id, augmentation_level
        self.device = torch.device("cpu") if device == "cpu" else comfy.model_management.get_torch_device()
        self.checkpoint = checkpoint
        self.patched = self.model
        self.model_options: dict = {}
        self.prepared = False

    def describe(self) -> dict:
        return {"checkpoint": os.path.basename(self.checkpoint), "size": f"{self.width}x{self.height}",
                "device": str(self.device)}

    def site_specs(self):
        return self.sites

    def context_dim(self) -> int:
        """The UNet's cross-attention context width (TrackDiffusion's object-token width)."""
        return int(self.model.model.model_config.unet_config["context_dim"])

    def _pixels(self, frames: np.ndarray) -> torch.Tensor:
        pixels = torch.from_numpy(np.ascontiguousarray(frames)).float() / 255.0
        return comfy.utils.common_upscale(pixels.movedim(-1, 1), self.width, self.height, "bilinear",
                                          "center").movedim(1, -1)

    def encode_frames(self, frames: np.ndarray) -> torch.Tensor:
        with torch.no_grad():
            latent = self.vae_encode(self._pixels(frames))
            return self.model.model.process_latent_in(latent).to(self.device)

    def vae_encode(self, pixels: torch.Tensor) -> torch.Tensor:
        """``[T, H, W, 3]`` pixels in [0, 1] -> the VAE's latents (as ``VAEEncode`` gives them)."""
        return self.vae.encode(pixels)

    def conditioning(self, clip):
        """``positive`` exactly as ``SVD_img2vid_Conditioning`` builds it from the clip's first frame."""
        with torch.no_grad():
            first = self._pixels(clip.frames[:1])
            pooled = self.clip_vision.encode_image(first).image_embeds.unsqueeze(0)
            encode = first
            if self.augmentation_level > 0:
                encode = first + torch.randn_like(first) * self.augmentation_level
            concat = self.vae_encode(encode)
        return [[pooled, {"motion_bucket_id": self.motion_bucket_id, "fps": self.fps,
                          "augmentation_level": self.augmentation_level, "concat_latent_image": concat}]]

    def unconditional(self, conditioning):
        """The negative ``SVD_img2vid_Conditioning`` makes next to ``conditioning``: the CLIP-vision embedding and the
        concat image zeroed (what the unconditional half of classifier-free guidance sees)."""
        return [[torch.zeros_like(pooled), {**options, "concat_latent_image": torch.zeros_like(options[CONCAT])}]
                for pooled, options in conditioning]

    def frozen_blocks(self) -> list[torch.nn.Module]:
        """The UNet's layers (every ResBlock, spatio-temporal transformer, down/upsample of every input, middle and
        output block): what ``--checkpointing`` recomputes in backward. TrackGo's branches and TrackDiffusion's fusers
        run inside them, through the patches."""
        unet = self.video_model()
        return [layer for block in (*unet.input_blocks, unet.middle_block, *unet.output_blocks) for layer in block]

    # -- whole-model training (the ``backbone`` task) -------------------------------------------------------------------
    def video_model(self) -> torch.nn.Module:
        """The UNet itself (``requires_grad`` is the task's to switch on)."""
        return self.model.model.diffusion_model

    def load_video_model(self, path: str) -> None:
        """The UNet weights of a checkpoint :meth:`save_video_model` wrote (or any SVD checkpoint of this model)."""
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(path, framework="pt") as handle:
                tensors = {k[len(UNET_PREFIX):]: handle.get_tensor(k) for k in handle.keys() if k.startswith(UNET_PREFIX)}
        except (OSError, SafetensorError) as exc:
            raise TrackDiffError("checkpoint", os.path.basename(path), f"cannot be read ({exc})",
                                 "resume from a complete checkpoint, or start a new --out folder") from None
        unet = self.video_model()
        missing, unexpected = unet.load_state_dict(tensors, strict=False)
        if missing or unexpected:
            raise TrackDiffError("checkpoint", os.path.basename(path),
                                 f"does not fit this model ({len(missing)} missing, {len(unexpected)} unexpected tensors)",
                                 "use a checkpoint written for the model given as --checkpoint")

    def save_video_model(self, path: str, metadata: dict) -> None:
        """A full SVD checkpoint: this UNet, and every other tensor (CLIP vision, VAE) copied from ``--checkpoint``."""
        from safetensors import safe_open
        from safetensors.torch import save_file

        tensors = {UNET_PREFIX + k: v.detach().to("cpu", torch.float32).contiguous()
                   for k, v in self.video_model().state_dict().items()}
        with safe_open(self.checkpoint, framework="pt") as handle:
            tensors.update({k: handle.get_tensor(k) for k in handle.keys() if not k.startswith(UNET_PREFIX)})
        tmp = path + ".tmp"
        save_file(tensors, tmp, metadata={k: str(v) for k, v in metadata.items()})
        os.replace(tmp, path)

    def attach(self, method: str, runtime) -> None:
        if method not in ATTACH:
            raise TrackDiffError("task", method, "has no ComfyUI glue in this backend",
                                 f"use one of {', '.join(sorted(ATTACH))}, or add it to ATTACH")
        patch, trainable = ATTACH[method]
        self.patched = patch(self.model, runtime)
        trainable(runtime).to(self.device)
        self._prepare()

    def _prepare(self) -> None:
        """Set the model up for calls as the sampler does (once per attach; the ``backbone`` task attaches nothing)."""
        self.model_options = comfy.model_patcher.create_model_options_clone(self.patched.model_options)
        comfy.sampler_helpers.prepare_model_patcher(self.patched, {}, self.model_options)
        comfy.model_management.load_models_gpu([self.patched])
        self.patched.pre_run()
        self.prepared = True

    def denoise(self, noisy: torch.Tensor, sigma: torch.Tensor, conditioning) -> torch.Tensor:
        if not self.prepared:
            self._prepare()
        base = self.patched.model
        noisy = noisy.to(self.device)
        conds = comfy.samplers.encode_model_conds(base.extra_conds, comfy.sampler_helpers.convert_cond(conditioning),
                                                  noisy, self.device, "positive")
        timestep = sigma.to(self.device, torch.float32).reshape(1).expand(noisy.shape[0])
        with torch.enable_grad():
            return comfy.samplers.calc_cond_batch(base, [conds], noisy, timestep, self.model_options)[0]

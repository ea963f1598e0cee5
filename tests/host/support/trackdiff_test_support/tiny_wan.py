"""A tiny random-weight Wan 2.1 image-to-video setup for tests: diffusion model, VAE, text encoder and CLIP vision.

* **Diffusion model**: ComfyUI's own ``WanModel`` (``model_type`` i2v: 36 input channels, image cross-attention,
  ``img_emb`` projection from 1280-wide CLIP features) at ``dim`` 128 — one 128-wide head, as ComfyUI's detector derives
  ``num_heads = dim // 128`` — and 2 blocks. Saved with the key names of the released files, so the stock
  ``UNETLoader`` detects it as Wan 2.1 i2v with no help.
* **VAE**: ComfyUI's Wan 2.1 ``WanVAE`` at base width 16 (the loader reads the width from the file), so the stock
  ``VAELoader`` loads it.
* **Text encoder**: a 1-layer umT5 with 4096-wide output (what Wan's text embedding reads) and a sentencepiece vocabulary
  of a few dozen pieces trained here. ComfyUI's text-encoder detector only accepts the 24-layer umT5-XXL, so the support
  node ``TrackDiffTestTinyUMT5Loader`` (same inputs as ``CLIPLoader``) builds ComfyUI's own Wan text-encoder classes at
  this size; ``CLIPTextEncode`` then runs unchanged.
* **CLIP vision**: a 2-layer ViT with ComfyUI's CLIP-vision classes, 1280 wide (Wan's ``img_emb`` input) on a 28-pixel
  input. ComfyUI's detector only accepts full ViT-H here too, so ``TrackDiffTestTinyClipVisionLoader`` (same input as
  ``CLIPVisionLoader``) loads it; ``CLIPVisionEncode`` runs unchanged.

Every value is drawn from a generator seeded by ``(seed, crc32(key))`` (as the tiny SVD), so the files are deterministic.
Nothing is downloaded or committed.
"""

from __future__ import annotations

import io
import os

import torch
from safetensors.torch import save_file

import comfy.clip_vision
import comfy.ldm.wan.model
import comfy.ldm.wan.vae
import comfy.model_management
import comfy.sd
import comfy.text_encoders.wan
import comfy.utils
import folder_paths

from .tiny_svd import _fill

UNET_FILE, VAE_FILE = "trackdiff_tiny_wan21_i2v.safetensors", "trackdiff_tiny_wan21_vae.safetensors"
TEXT_FILE, CLIP_VISION_FILE = "trackdiff_tiny_umt5.safetensors", "trackdiff_tiny_clip_vision_h.safetensors"
UNET_CONFIG = dict(model_type="i2v", patch_size=(1, 2, 2), in_dim=36, dim=128, ffn_dim=256, freq_dim=256,
                   text_dim=4096, out_dim=16, num_heads=1, num_layers=2)
VAE_DIM = 16
UMT5_CONFIG = {"d_model": 4096, "d_kv": 8, "num_heads": 2, "d_ff": 32, "num_layers": 1, "num_decoder_layers": 1,
               "vocab_size": 64}
CLIP_VISION_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_clip_vision_wan.json")
CORPUS = ["a ball rolls across the road", "a red car drives to the right", "the tree stays still",
          "a person walks slowly", "the camera pans left", "blurry, static, low quality"] * 4


def _randomised(state: dict, seed: int) -> dict:
    return {k: _fill(k, v, seed).float().contiguous() for k, v in state.items()}


def unet_state_dict(seed: int = 0) -> dict:
    return _randomised(comfy.ldm.wan.model.WanModel(**UNET_CONFIG, operations=comfy.ops.disable_weight_init).state_dict(),
                       seed)


def vae_state_dict(seed: int = 0) -> dict:
    vae = comfy.ldm.wan.vae.WanVAE(dim=VAE_DIM, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                                   temperal_downsample=[False, True, True], dropout=0.0)
    out = _randomised(vae.state_dict(), seed)
    for key in [k for k in out if k.endswith(".gamma")]:  # RMS norm scales near 1, so activations keep their size
        out[key] = 1.0 + 0.1 * out[key]
    return out


def spiece_model() -> bytes:
    import sentencepiece

    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS), model_writer=buffer, vocab_size=UMT5_CONFIG["vocab_size"], hard_vocab_limit=False,
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, num_threads=1, minloglevel=2)
    return buffer.getvalue()


class _Target:
    params: dict = {}
    clip = comfy.text_encoders.wan.te()
    tokenizer = comfy.text_encoders.wan.WanT5Tokenizer


def _umt5_options(device=None) -> dict:
    options = {"umt5xxl_model_config": dict(UMT5_CONFIG)}
    if device is not None:
        options["load_device"] = options["offload_device"] = device
    return options


def text_state_dict(seed: int = 0) -> dict:
    model = _Target.clip(device="cpu", dtype=torch.float32, model_options=_umt5_options())
    state = _randomised(model.umt5xxl.transformer.state_dict(), seed)
    state["spiece_model"] = torch.frombuffer(bytearray(spiece_model()), dtype=torch.uint8)
    return state


def clip_vision_state_dict(seed: int = 0) -> dict:
    return _randomised(comfy.clip_vision.ClipVisionModel(CLIP_VISION_JSON).model.state_dict(), seed)


def write_tiny_wan(base, seed: int = 0) -> dict:
    """The four files into ``base/models/{diffusion_models,vae,text_encoders,clip_vision}``; returns their names."""
    from pathlib import Path

    files = {"diffusion_models": (UNET_FILE, unet_state_dict), "vae": (VAE_FILE, vae_state_dict),
             "text_encoders": (TEXT_FILE, text_state_dict), "clip_vision": (CLIP_VISION_FILE, clip_vision_state_dict)}
    for folder, (name, make) in files.items():
        path = Path(base) / "models" / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            save_file(make(seed), str(path), metadata={"trackdiff_test": "tiny_wan21", "seed": str(seed)})
    return {folder: name for folder, (name, _) in files.items()}


class TrackDiffTestTinyUMT5Loader:
    """``CLIPLoader`` for the tiny umT5 (ComfyUI's detector only knows the full-size one)."""

    CATEGORY = "TrackDiff/testing"
    FUNCTION = "load"
    RETURN_TYPES = ("CLIP",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"clip_name": (folder_paths.get_filename_list("text_encoders"), {"tooltip": "File."}),
                             "type": (["wan"], {"tooltip": "Only Wan's umT5."})},
                "optional": {"device": (["default", "cpu"], {"tooltip": "Ignored: always the CPU in tests."})}}

    def load(self, clip_name, type="wan", device="default"):
        state = comfy.utils.load_torch_file(folder_paths.get_full_path_or_raise("text_encoders", clip_name))
        spiece = state.pop("spiece_model")
        clip = comfy.sd.CLIP(_Target, embedding_directory=None, tokenizer_data={"spiece_model": spiece},
                             state_dict=[state], model_options=_umt5_options(torch.device("cpu")))
        return (clip,)


class TrackDiffTestTinyClipVisionLoader:
    """``CLIPVisionLoader`` for the tiny 1280-wide ViT (ComfyUI's detector only knows full ViT-H)."""

    CATEGORY = "TrackDiff/testing"
    FUNCTION = "load"
    RETURN_TYPES = ("CLIP_VISION",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"clip_name": (folder_paths.get_filename_list("clip_vision"), {"tooltip": "File."})}}

    def load(self, clip_name):
        model = comfy.clip_vision.ClipVisionModel(CLIP_VISION_JSON)
        model.load_sd(comfy.utils.load_torch_file(folder_paths.get_full_path_or_raise("clip_vision", clip_name)))
        return (model,)


class TrackDiffTestConcatLatents:
    """Output node: reports the ``concat_latent_image`` of two Wan conditionings (batch 0) and the first one's
    ``concat_mask``, so a test can see where the tracks changed the image condition."""

    CATEGORY = "TrackDiff/testing"
    FUNCTION = "report"
    OUTPUT_NODE = True
    RETURN_TYPES = ()

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"tracked": ("CONDITIONING", {"tooltip": "Conditioning from a Wan track node."}),
                             "plain": ("CONDITIONING", {"tooltip": "The same without tracks (WanImageToVideo)."})}}

    def report(self, tracked, plain):
        def latent(cond):
            return cond[0][1]["concat_latent_image"][0].float().cpu().tolist()  # [C, T, H, W]

        mask = tracked[0][1]["concat_mask"][0, 0].float().cpu().tolist()  # [T, H, W], 1 = generate, 0 = keep
        return {"ui": {"trackdiff_concat": [{"tracked": latent(tracked), "plain": latent(plain), "mask": mask}]}}


NODE_CLASS_MAPPINGS = {
    "TrackDiffTestTinyUMT5Loader": TrackDiffTestTinyUMT5Loader,
    "TrackDiffTestTinyClipVisionLoader": TrackDiffTestTinyClipVisionLoader,
    "TrackDiffTestConcatLatents": TrackDiffTestConcatLatents,
}

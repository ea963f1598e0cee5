"""The tiny SVD generator: ComfyUI detects it as our config, it has SVD's topology, and it is deterministic."""

from __future__ import annotations

import torch


def test_detected_config_is_the_tiny_svd(tiny_svd_path, comfy_lib):
    import comfy.model_detection
    import comfy.utils
    from trackdiff_test_support.tiny_model import FULL_UNET_CONFIG, TinySVD

    sd = comfy.utils.load_torch_file(str(tiny_svd_path))
    assert comfy.model_detection.detect_unet_config(sd, "model.diffusion_model.") == FULL_UNET_CONFIG
    assert isinstance(comfy.model_detection.model_config_from_unet(sd, "model.diffusion_model."), TinySVD)
    # 16 transformer sites, each with a temporal twin, and the learned time mixers.
    twins = {k.split(".time_stack")[0] for k in sd if ".time_stack.0.attn1.to_q.weight" in k}
    assert len(twins) == 16
    assert sum(k.endswith("time_mixer.mix_factor") for k in sd) == 16 + 22  # transformers + temporal resblocks


def test_generation_is_deterministic(comfy_lib):
    from trackdiff_test_support.tiny_svd import unet_state_dict

    a, b, c = unet_state_dict(0), unet_state_dict(0), unet_state_dict(1)
    key = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight"
    assert torch.equal(a[key], b[key]) and not torch.equal(a[key], c[key])

"""Running the shipped workflows on the tiny test setup: synthesized weights and the swaps from the real defaults."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import comfy_host
from reference_video import TEST_VIDEO, TEST_VIDEO_MASK

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import trackdiffusion_checkpoint as ckpt  # noqa: E402

FRAMES, WIDTH, HEIGHT = 6, 96, 64
TD_WEIGHTS, TG_ADAPTER = "tiny_trackdiffusion.safetensors", "tiny_trackgo_adapter.safetensors"


def install_test_models(base: Path, tiny_model, pack) -> None:
    """Synthesized TrackDiffusion weights and an untrained TrackGo adapter for the tiny SVD, and the example tracks,
    into a server's base directory."""
    folder = base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / TD_WEIGHTS).exists():
        ckpt.write_released(folder / TD_WEIGHTS)
    if not (folder / TG_ADAPTER).exists():
        patch = importlib.import_module(pack.__name__ + ".nodes.trackgo_patch")
        adapter_mod = importlib.import_module(pack.__name__ + ".trackdiff_core.trackgo.adapter")
        config = importlib.import_module(pack.__name__ + ".trackdiff_core.trackgo.config").TrackGoConfig()
        weights = importlib.import_module(pack.__name__ + ".trackdiff_core.trackgo.weights")
        adapter = adapter_mod.TrackAdapter(patch.site_specs(tiny_model), config)
        weights.save_adapter(adapter, str(folder / TG_ADAPTER))
    shutil.copy(comfy_host.REPO_ROOT / "workflows" / "trackdiff_example_tracks.txt", base / "input")


def for_the_tiny_model(prompt: dict, frames: int = FRAMES) -> dict:
    """The shipped defaults (SVD at 1024×576, 14 frames, 20 steps, real weights) swapped for the tiny test setup."""
    changes = {
        "ImageOnlyCheckpointLoader": {"ckpt_name": comfy_host.TINY_CHECKPOINT},
        "LoadImage": {"image": comfy_host.TEST_IMAGE},
        "ImageScale": {"width": WIDTH, "height": HEIGHT},
        "SVD_img2vid_Conditioning": {"width": WIDTH, "height": HEIGHT, "video_frames": frames},
        "MaskArrowToTrajectories": {"width": WIDTH, "height": HEIGHT, "frame_count": frames},
        "VisualizeTrackPoints": {"width": WIDTH, "height": HEIGHT},
        "KSampler": {"steps": 2},
        "TrackDiffusionLoader": {"weights_name": TD_WEIGHTS},
        "TrackAdapterLoader": {"adapter_name": TG_ADAPTER},
        "LoadVideo": {"file": TEST_VIDEO},
        "LoadImageMask": {"image": TEST_VIDEO_MASK, "channel": "red"},
        "TracksFromVideo": {"width": WIDTH, "height": HEIGHT, "frame_count": frames},
    }
    for node in prompt.values():
        node["inputs"].update(changes.get(node["class_type"], {}))
    return prompt


def for_the_tiny_wan(prompt: dict, files: dict, frames: int = 5) -> dict:
    """The shipped defaults (Wan 2.1 14B files, 832×480, 81 frames, 20 steps) swapped for the tiny test setup."""
    changes = {
        "LoadImage": {"image": comfy_host.TEST_IMAGE},
        "UNETLoader": {"unet_name": files["diffusion_models"]},
        "CLIPLoader": {"clip_name": files["text_encoders"]},
        "VAELoader": {"vae_name": files["vae"]},
        "CLIPVisionLoader": {"clip_name": files["clip_vision"]},
        "ImageScale": {"width": WIDTH, "height": HEIGHT},
        "MaskArrowToTrajectories": {"width": WIDTH, "height": HEIGHT, "frame_count": frames},
        "TracksForWanMove": {"width": WIDTH, "height": HEIGHT, "length": frames},
        "TracksForATI": {"width": WIDTH, "height": HEIGHT, "length": frames},
        "LoadVideo": {"file": TEST_VIDEO},
        "TracksFromVideo": {"width": WIDTH, "height": HEIGHT, "frame_count": frames},
        "KSampler": {"steps": 2},
    }
    # ComfyUI's detectors only accept the full-size umT5 and ViT-H: the tiny ones load through test-only loaders
    # that take the same inputs.
    swaps = {"CLIPLoader": "TrackDiffTestTinyUMT5Loader", "CLIPVisionLoader": "TrackDiffTestTinyClipVisionLoader"}
    for node in prompt.values():
        node["inputs"].update(changes.get(node["class_type"], {}))
        node["class_type"] = swaps.get(node["class_type"], node["class_type"])
    return prompt


def is_wan(path: Path) -> bool:
    """A Wan workflow (run on the tiny Wan 2.1 with test-only text-encoder and CLIP-vision loaders)."""
    return path.stem.startswith("wan_")

"""The pack loads in a real ComfyUI, and a stock SVD image-to-video workflow runs on the tiny checkpoint."""

from __future__ import annotations

import re

import comfy_host

OUR_NODES = {"TrackletsToTracks", "TracksToTracklets", "VisualizeTracklets", "VisualizeTrackPoints", "TracksFromVideo",
             "MotionFidelity"}


def stock_svd_prompt(frames: int = 6, width: int = 64, height: int = 64, steps: int = 2) -> dict:
    """API-format prompt: LoadImage -> ImageOnlyCheckpointLoader -> SVD_img2vid_Conditioning -> VideoLinearCFGGuidance
    -> KSampler -> VAEDecode -> test stats."""
    return {
        "1": {"class_type": "ImageOnlyCheckpointLoader", "inputs": {"ckpt_name": comfy_host.TINY_CHECKPOINT}},
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "3": {
            "class_type": "SVD_img2vid_Conditioning",
            "inputs": {"clip_vision": ["1", 1], "init_image": ["2", 0], "vae": ["1", 2], "width": width,
                       "height": height, "video_frames": frames, "motion_bucket_id": 127, "fps": 6,
                       "augmentation_level": 0.0},
        },
        "4": {"class_type": "VideoLinearCFGGuidance", "inputs": {"model": ["1", 0], "min_cfg": 1.0}},
        "5": {
            "class_type": "KSampler",
            "inputs": {"model": ["4", 0], "positive": ["3", 0], "negative": ["3", 1], "latent_image": ["3", 2],
                       "seed": 7, "steps": steps, "cfg": 2.5, "sampler_name": "euler", "scheduler": "karras",
                       "denoise": 1.0},
        },
        "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
        "7": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["6", 0]}},
    }


def test_pack_loads_without_import_errors(comfy_server):
    info = comfy_server.get("/object_info")
    assert OUR_NODES <= set(info), f"missing nodes: {OUR_NODES - set(info)}"
    assert "TrackDiffTestImageStats" in info
    for node in OUR_NODES:  # every input has a tooltip
        for group in ("required", "optional"):
            for name, spec in info[node]["input"].get(group, {}).items():
                assert len(spec) > 1 and spec[1].get("tooltip"), f"{node}.{name} has no tooltip"
    ours = (str(comfy_host.REPO_ROOT), comfy_host.PACK_FOLDER_NAME, comfy_host.SUPPORT_FOLDER_NAME)
    startup = comfy_server.log_text().split("To see the GUI go to")[0]  # later prompts may fail on purpose
    assert "Starting server" in startup
    problems = [block for block in error_blocks(startup) if any(o in block for o in ours)]
    assert not problems, "\n\n".join(problems)


def error_blocks(log: str) -> list[str]:
    """Each traceback (up to the next blank line) and each import-failure line of a ComfyUI log."""
    blocks, current = [], None
    for line in log.splitlines():
        if line.startswith("Traceback"):
            current = [line]
        elif current is not None:
            current.append(line)
            if not line.strip():
                blocks.append("\n".join(current))
                current = None
        if re.search(r"IMPORT FAILED|Cannot import", line):
            blocks.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks

def test_models_folder_is_registered(comfy_server):
    # The loader combo lists models/trackdiff; an empty folder lists nothing but must exist.
    assert (comfy_server.base / "models" / "trackdiff").is_dir()


def test_stock_svd_runs_on_tiny_checkpoint(comfy_server):
    outputs = comfy_server.run(stock_svd_prompt(frames=6))
    stats = outputs["7"]["trackdiff_stats"][0]
    assert stats["shape"] == [6, 64, 64, 3]
    assert stats["finite"]
    assert 0.0 <= stats["min"] <= stats["max"] <= 1.0


def test_error_blocks_finds_tracebacks_in_our_files():
    log = (
        "Starting server\nTraceback (most recent call last):\n  File \"/x/custom_nodes/ComfyUI-TrackDiff/nodes/a.py\", "
        "line 1\nImportError: boom\n\nCannot import /x/custom_nodes/ComfyUI-TrackDiff module for custom nodes: boom\n"
    )
    blocks = error_blocks(log)
    assert len(blocks) == 2 and "ComfyUI-TrackDiff/nodes/a.py" in blocks[0] and "Cannot import" in blocks[1]

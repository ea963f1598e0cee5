"""Test-only ComfyUI custom node: registers the tiny SVD (see ``tiny_model``) and reports image statistics.

Loaded by ``tests/host`` next to the pack in a throw-away ComfyUI base directory; never shipped to users.
"""

import math

from .tiny_model import register
from .tiny_wan import NODE_CLASS_MAPPINGS as TINY_WAN_NODES

register()


class TrackDiffTestImageStats:
    """Output node: reports an IMAGE batch's shape and whether every pixel is finite, in the prompt's history."""

    CATEGORY = "TrackDiff/testing"
    FUNCTION = "stats"
    OUTPUT_NODE = True
    RETURN_TYPES = ()

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE", {"tooltip": "The images to measure."})}}

    def stats(self, images):
        finite = bool(images.isfinite().all())
        flat = images.float()
        stats = {
            "shape": list(images.shape),
            "finite": finite,
            "min": float(flat.min()) if finite else math.nan,
            "max": float(flat.max()) if finite else math.nan,
            "mean": float(flat.mean()) if finite else math.nan,
        }
        return {"ui": {"trackdiff_stats": [stats]}}


NODE_CLASS_MAPPINGS = {"TrackDiffTestImageStats": TrackDiffTestImageStats, **TINY_WAN_NODES}
NODE_DISPLAY_NAME_MAPPINGS = {"TrackDiffTestImageStats": "TrackDiff Test Image Stats"}


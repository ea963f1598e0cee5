"""Test-only ComfyUI custom node: registers the tiny SVD (see ``tiny_model``) and reports image statistics.

Loaded by ``tests/host`` next to the pack in a throw-away ComfyUI base directory; never shipped to users.
"""

import math

from .tiny_model import register

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


NODE_CLASS_MAPPINGS = {"TrackDiffTestImageStats": TrackDiffTestImageStats}
NODE_DISPLAY_NAME_MAPPINGS = {"TrackDiffTestImageStats": "TrackDiff Test Image Stats"}


EMPTY_MASK_ARROWS = '{"version":1,"kind":"mask_arrows","frame_count":14,"objects":[]}'


class TrackDiffTestMaskArrows:
    """Output node with a ``mask_arrows_json`` STRING input, so the mask/arrow editor can be tested in the real frontend
    (the editor attaches by widget name). Reports the document's object count; sends the image back as the pack's
    editor nodes do (``trackdiff_frame``)."""

    CATEGORY = "TrackDiff/testing"
    FUNCTION = "run"
    OUTPUT_NODE = True
    RETURN_TYPES = ()

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"mask_arrows_json": ("STRING", {"multiline": True, "default": EMPTY_MASK_ARROWS,
                                                         "tooltip": "A mask/arrow editor document."})},
            "optional": {"image": ("IMAGE", {"tooltip": "The first frame."})},
        }

    def run(self, mask_arrows_json, image=None):
        import json

        from nodes import PreviewImage

        objects = len(json.loads(mask_arrows_json).get("objects", []))
        ui = {"trackdiff_stats": [{"objects": objects}]}
        if image is not None:
            ui["trackdiff_frame"] = PreviewImage().save_images(image[:1], filename_prefix="trackdiff_test")["ui"]["images"]
        return {"ui": ui}


NODE_CLASS_MAPPINGS["TrackDiffTestMaskArrows"] = TrackDiffTestMaskArrows
NODE_DISPLAY_NAME_MAPPINGS["TrackDiffTestMaskArrows"] = "TrackDiff Test Mask Arrows"

"""Test-only ComfyUI custom node: registers the tiny SVD (see ``tiny_model``) and reports image statistics.

Loaded by ``tests/host`` next to the pack in a throw-away ComfyUI base directory; never shipped to users.
"""

import math

from .tiny_model import register
from .tiny_wan import NODE_CLASS_MAPPINGS as TINY_WAN_NODES

register()


class _ReportNode:
    """An output node that reports what it sees in the prompt's history (``report`` returns the ``ui`` dict)."""

    CATEGORY = "TrackDiff/testing"
    FUNCTION = "report"
    OUTPUT_NODE = True
    RETURN_TYPES = ()


class TrackDiffTestImageStats(_ReportNode):
    """Output node: reports an IMAGE batch's shape and whether every pixel is finite, in the prompt's history."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE", {"tooltip": "The images to measure."})}}

    def report(self, images):
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


class TrackDiffTestLoadedModels(_ReportNode):
    """Output node: the class names of the models ComfyUI holds loaded, after its ``images`` input ran."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE", {"tooltip": "Anything computed after the sampling to observe."})}}

    @classmethod
    def IS_CHANGED(cls, **kwargs):
        return float("nan")  # always re-run: it reports state, not a function of its input

    def report(self, images):
        import comfy.model_management

        names = [type(m.real_model()).__name__ for m in comfy.model_management.current_loaded_models]
        return {"ui": {"trackdiff_loaded": names}}


class TrackDiffTestTracks(_ReportNode):
    """Output node: a TRACKS dict's pixel paths ``[T][P][x, y]`` and visibility ``[T][P]``, in the prompt's history."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"tracks": ("TRACKS", {"tooltip": "The tracks to report."})}}

    def report(self, tracks):
        return {"ui": {"trackdiff_tracks": [{"path": tracks["track_path"].float().tolist(),
                                             "visible": tracks["track_visibility"].bool().tolist()}]}}


class TrackDiffTestText(_ReportNode):
    """Output node: a STRING, in the prompt's history."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"forceInput": True, "tooltip": "The text to report."})}}

    def report(self, text):
        return {"ui": {"trackdiff_text": [text]}}


NODE_CLASS_MAPPINGS = {"TrackDiffTestImageStats": TrackDiffTestImageStats, "TrackDiffTestLoadedModels": TrackDiffTestLoadedModels,
                       "TrackDiffTestTracks": TrackDiffTestTracks, "TrackDiffTestText": TrackDiffTestText,
                       **TINY_WAN_NODES}
NODE_DISPLAY_NAME_MAPPINGS = {"TrackDiffTestImageStats": "TrackDiff Test Image Stats",
                              "TrackDiffTestLoadedModels": "TrackDiff Test Loaded Models",
                              "TrackDiffTestTracks": "TrackDiff Test Tracks",
                              "TrackDiffTestText": "TrackDiff Test Text"}


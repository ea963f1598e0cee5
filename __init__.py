"""TrackDiff: box-tracklet (TrackDiffusion) and mask + arrow (TrackGo) motion control for ComfyUI's native SVD.

This is ComfyUI's entry point (a V3 ``comfy_entrypoint``). Nothing here imports ComfyUI at import time, so the folder can
be imported as a package anywhere (tests, tools) and ``trackdiff_core`` used without ComfyUI.
"""

WEB_DIRECTORY = "./js"


async def comfy_entrypoint():
    """Called by ComfyUI when it loads the pack; returns the extension that lists the nodes."""
    from .nodes.extension import create_extension

    return create_extension()


__all__ = ["WEB_DIRECTORY", "comfy_entrypoint"]

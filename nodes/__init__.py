"""ComfyUI glue: node schemas (V3) and the patches that attach ``trackdiff_core`` modules to a ModelPatcher.

Everything here may import ComfyUI; it is only imported by ``comfy_entrypoint`` (or by host tests).
"""

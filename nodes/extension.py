"""The ComfyExtension that ComfyUI's loader asks for the pack's nodes."""

from typing_extensions import override

from comfy_api.latest import ComfyExtension, io

from . import (
    motion_fidelity_node,
    track_conversion_nodes,
    track_file_nodes,
    trackdiffusion_nodes,
    tracklet_editor_node,
    trackgo_cut_and_drag_node,
    trackgo_nodes,
    tracks_from_video_node,
    visualize_nodes,
    wan_nodes,
)
from .model_folder import register_model_folder

NODE_MODULES = (
    tracklet_editor_node,
    track_file_nodes,
    track_conversion_nodes,
    visualize_nodes,
    trackdiffusion_nodes,
    trackgo_nodes,
    trackgo_cut_and_drag_node,
    wan_nodes,
    tracks_from_video_node,
    motion_fidelity_node,
)


class TrackDiffExtension(ComfyExtension):
    @override
    async def on_load(self) -> None:
        register_model_folder()  # idempotent; some ComfyUI versions never call on_load, so create_extension does too

    @override
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return [node for module in NODE_MODULES for node in module.NODES]


def create_extension() -> TrackDiffExtension:
    register_model_folder()
    return TrackDiffExtension()

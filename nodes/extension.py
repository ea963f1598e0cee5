"""The ComfyExtension that ComfyUI's loader asks for the pack's nodes."""

from typing_extensions import override

from comfy_api.latest import ComfyExtension, io

from . import track_conversion_nodes, tracklet_editor_node, trackgo_cut_and_drag_node, trackgo_nodes, visualize_nodes
from .model_folder import register_model_folder


class TrackDiffExtension(ComfyExtension):
    @override
    async def on_load(self) -> None:
        register_model_folder()  # idempotent; some ComfyUI versions never call on_load, so create_extension does too

    @override
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return [*tracklet_editor_node.NODES, *track_conversion_nodes.NODES, *visualize_nodes.NODES,
                *trackgo_nodes.NODES, *trackgo_cut_and_drag_node.NODES]


def create_extension() -> TrackDiffExtension:
    register_model_folder()
    return TrackDiffExtension()

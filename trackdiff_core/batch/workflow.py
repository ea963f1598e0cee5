"""Workflows for batch runs: ComfyUI's UI format converted to an API prompt, and the per-item values filled in.

The converter follows what the frontend's "Export (API)" does for the constructs TrackDiff's workflows use: widget values
are taken in the order of the node's widget inputs (``input_order`` from ``/object_info``), an ``INT`` input with
``control_after_generate`` (or named ``seed`` / ``noise_seed``) carries one extra (frontend-only) value right after its
own, a file input's upload button (``image_upload``, ``video_upload``, ``audio_upload``) one after all the widgets,
links become ``[node_id, slot]``, Reroute nodes are followed, PrimitiveNode values are inlined, and note / muted nodes
are dropped.
Bypassed nodes are refused with a clear message (export such a workflow in API format instead).
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import TrackDiffError

WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
VIRTUAL_TYPES = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}
EDITOR_INPUTS = {"TrackletEditor": "tracklets_json", "MaskArrowToTrajectories": "mask_arrows_json"}
SEED_INPUTS = {"KSampler": "seed", "KSamplerAdvanced": "noise_seed", "RandomNoise": "noise_seed",
               "SamplerCustom": "noise_seed"}
MUTED, BYPASSED = 2, 4


def is_ui_workflow(data: Any) -> bool:
    return isinstance(data, dict) and "nodes" in data and "links" in data


def _is_widget(spec: list) -> bool:
    kind = spec[0]
    options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return (isinstance(kind, list) or kind in WIDGET_TYPES) and not options.get("forceInput")


def _extra_values(name: str, spec: list) -> int:
    """Frontend-only values stored right after a widget's own: the control of a seed (the frontend adds one to INT
    inputs that ask for it and to any INT named seed / noise_seed). A file input's upload button (image, video,
    audio) stores its value after all the node's widgets (e.g. Load Image (as Mask): image, channel, upload), so it
    never shifts another widget."""
    options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return int(bool(options.get("control_after_generate")) or (spec[0] == "INT" and name in ("seed", "noise_seed")))


def ui_to_api(workflow: dict, object_info: dict) -> dict:
    """An API-format prompt (``{node_id: {"class_type", "inputs"}}``) from a UI-format workflow."""
    nodes = {int(n["id"]): n for n in workflow["nodes"]}
    links = {int(link[0]): link for link in workflow["links"]}

    def source(link_id: int):
        """Follow reroutes; returns ``("link", [node, slot])`` or ``("value", v)`` for a primitive."""
        _, origin, slot = links[link_id][:3]
        node = nodes[int(origin)]
        if node["type"] == "Reroute":
            upstream = node["inputs"][0].get("link")
            if upstream is None:
                raise TrackDiffError("workflow", f"Reroute {origin}", "is not connected", "connect or remove it")
            return source(int(upstream))
        if node["type"] == "PrimitiveNode":
            return "value", node["widgets_values"][0]
        return "link", [str(origin), int(slot)]

    prompt: dict[str, dict] = {}
    for node_id, node in nodes.items():
        kind = node["type"]
        if kind in VIRTUAL_TYPES or node.get("mode", 0) == MUTED:
            continue
        if node.get("mode", 0) == BYPASSED:
            raise TrackDiffError(
                "workflow", f"node {node_id} ({kind})", "is bypassed, which this converter does not resolve",
                "un-bypass or delete it, or export the workflow in API format",
            )
        info = object_info.get(kind)
        if info is None:
            raise TrackDiffError("workflow", kind, "is not a node this server knows", "install the node pack it needs")
        linked = {i["name"]: i.get("link") for i in node.get("inputs", [])}
        values = node.get("widgets_values") or []
        order = info.get("input_order") or {g: list(info["input"].get(g, {})) for g in ("required", "optional")}
        inputs: dict[str, Any] = {}
        position = 0
        for group in ("required", "optional"):
            for name in order.get(group, []):
                spec = info["input"][group][name]
                if _is_widget(spec):
                    if isinstance(values, dict):
                        value = values.get(name)
                    else:
                        value = values[position] if position < len(values) else None
                        position += 1 + _extra_values(name, spec)
                    if value is not None:
                        inputs[name] = value
                if linked.get(name) is not None:
                    inputs[name] = source(int(linked[name]))[1]
        prompt[str(node_id)] = {"class_type": kind, "inputs": inputs}
    return prompt


def nodes_of(prompt: dict, class_types) -> list[str]:
    wanted = {class_types} if isinstance(class_types, str) else set(class_types)
    return sorted((k for k, v in prompt.items() if v["class_type"] in wanted), key=lambda k: (len(k), k))


class PromptTemplate:
    """An API prompt with the places a batch item fills in: the first frame, the motion document and the seed.

    It needs exactly one ``LoadImage`` (the first frame), at least one editor node (``TrackletEditor`` or
    ``MaskArrowToTrajectories``) and exactly one ``SaveImage`` (the frames written to the dataset) unless
    ``output_node`` names one.
    """

    def __init__(self, prompt: dict, output_node: str | None = None):
        self.prompt = prompt
        loaders = nodes_of(prompt, "LoadImage")
        if len(loaders) != 1:
            raise TrackDiffError("workflow", f"{len(loaders)} LoadImage nodes", "needs exactly one LoadImage for the first "
                                 "frame", "keep one LoadImage feeding the conditioning")
        self.image_node = loaders[0]
        self.editor_nodes = nodes_of(prompt, EDITOR_INPUTS)
        if not self.editor_nodes:
            raise TrackDiffError("workflow", "no editor node", "has no TrackletEditor or MaskArrowToTrajectories",
                                 "use a TrackDiff workflow whose motion comes from an editor node")
        if output_node is None:
            saves = nodes_of(prompt, "SaveImage")
            if len(saves) != 1:
                raise TrackDiffError("workflow", f"{len(saves)} SaveImage nodes", "needs one SaveImage for the frames",
                                     "keep one SaveImage on the decoded video, or pass --output-node")
            output_node = saves[0]
        if output_node not in prompt:
            raise TrackDiffError("output_node", output_node, "is not a node of the workflow", "give a node id")
        self.output_node = output_node
        self.seed_nodes = nodes_of(prompt, SEED_INPUTS)

    @property
    def generation_size(self) -> tuple[int, int] | None:
        """The video's width × height, from SVD's conditioning node (its crop decides what of the image is seen)."""
        for node in nodes_of(self.prompt, "SVD_img2vid_Conditioning"):
            inputs = self.prompt[node]["inputs"]
            if isinstance(inputs.get("width"), int) and isinstance(inputs.get("height"), int):
                return inputs["width"], inputs["height"]
        return None

    @property
    def frame_rate(self) -> int:
        """The video's frames per second, from SVD's conditioning node (6, its default, when it does not say)."""
        for node in nodes_of(self.prompt, "SVD_img2vid_Conditioning"):
            fps = self.prompt[node]["inputs"].get("fps")
            if isinstance(fps, int) and not isinstance(fps, bool) and fps > 0:
                return fps
        return 6

    def instantiate(self, image: str, document_kind: str, document_json: str, seed: int, prefix: str) -> dict:
        prompt = copy.deepcopy(self.prompt)
        prompt[self.image_node]["inputs"]["image"] = image
        targets = [n for n in self.editor_nodes if EDITOR_INPUTS[prompt[n]["class_type"]].startswith(document_kind)]
        if not targets:
            raise TrackDiffError("item", document_kind, "no editor node of the workflow takes this kind of document",
                                 "use a workflow for this kind of tracks (boxes: TrackletEditor; masks: "
                                 "MaskArrowToTrajectories)")
        for node in targets:
            prompt[node]["inputs"][EDITOR_INPUTS[prompt[node]["class_type"]]] = document_json
        for node in self.seed_nodes:
            prompt[node]["inputs"][SEED_INPUTS[prompt[node]["class_type"]]] = int(seed)
        if "filename_prefix" in prompt[self.output_node]["inputs"]:
            prompt[self.output_node]["inputs"]["filename_prefix"] = prefix
        return prompt

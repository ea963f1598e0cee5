"""TrackDiffusion's nodes: load the weights, convert the released file, and patch SVD with box tracklets.

``execute`` only assembles objects: the model surgery is in :mod:`.trackdiffusion_patch`, the math and the weight files
in ``trackdiff_core.trackdiffusion``.
"""

from __future__ import annotations

import os

import folder_paths
from comfy_api.latest import io

import comfy.utils

from ..trackdiff_core.errors import TrackDiffError
from ..trackdiff_core.file_names import plain_file_name
from ..trackdiff_core.trackdiffusion.convert import STAGES, convert
from ..trackdiff_core.trackdiffusion.object_slots import FRAME_POLICIES
from ..trackdiff_core.trackdiffusion.weights import load_weights
from ..trackdiff_core.trackdiffusion.weights_format import DTYPES
from .model_folder import FOLDER_NAME
from .trackdiffusion_patch import apply_trackdiffusion
from .input_checks import early_check
from .types import TrackDiffusionWeights, Tracklets

CATEGORY_LOADERS = "TrackDiff/loaders"
CATEGORY_MODEL = "TrackDiff/conditioning"


def _progress_bar():
    bar = comfy.utils.ProgressBar(1)
    return lambda done, total: bar.update_absolute(done, total)


def _weights_path(name: str, field: str) -> str:
    path = folder_paths.get_full_path(FOLDER_NAME, name) if isinstance(name, str) else None
    if path is None:
        raise TrackDiffError(field, name, f"is not a file in models/{FOLDER_NAME}",
                             f"put the .safetensors file in ComfyUI/models/{FOLDER_NAME}/ and refresh")
    return path


class TrackDiffusionLoader(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TrackDiffusionLoader",
            display_name="TrackDiffusion Loader",
            category=CATEGORY_LOADERS,
            description="Load TrackDiffusion weights from models/trackdiff: the authors' released SVD UNet "
            "(svd_stage1|svd_stage2 diffusion_pytorch_model.safetensors, only the trained tensors are read) or a "
            "compact file made by TrackDiffusion Convert. Reports what it found and what it ignored.",
            inputs=[
                io.Combo.Input("weights_name", options=folder_paths.get_filename_list(FOLDER_NAME),
                               tooltip="A .safetensors file in ComfyUI/models/trackdiff/ (released or converted)."),
            ],
            outputs=[
                TrackDiffusionWeights.Output(display_name="weights"),
                io.String.Output(display_name="report", tooltip="What was found and what was ignored in the file."),
            ],
        )

    @classmethod
    def execute(cls, weights_name) -> io.NodeOutput:
        weights = load_weights(_weights_path(weights_name, "weights_name"), _progress_bar(), "weights_name")
        return io.NodeOutput(weights, weights.report.text())


class TrackDiffusionConvert(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TrackDiffusionConvert",
            display_name="TrackDiffusion Convert",
            category=CATEGORY_LOADERS,
            description="Write a compact copy of TrackDiffusion weights (only the trained tensors, with source, stage "
            "and dims metadata) into models/trackdiff: about 0.4 GB in float16 instead of the released 6.95 GB. The "
            "same converter runs as `python -m trackdiff_core.trackdiffusion.convert`.",
            inputs=[
                io.Combo.Input("source_name", options=folder_paths.get_filename_list(FOLDER_NAME),
                               tooltip="The released diffusion_pytorch_model.safetensors (or another TrackDiffusion "
                               "file) in ComfyUI/models/trackdiff/."),
                io.String.Input("output_name", default="",
                                tooltip="File name for the compact copy, written beside the source in "
                                "models/trackdiff/ (letters, digits, spaces and . _ - + ( ) [ ] ' , ! @ # & = ~); "
                                "empty: trackdiffusion_<stage>.<dtype>.safetensors, e.g. "
                                "trackdiffusion_stage2.fp16.safetensors."),
                io.Combo.Input("dtype", options=list(DTYPES), default="float16",
                               tooltip="Tensor type of the copy: float16 (compact, the usual choice), bfloat16, or "
                               "float32 (lossless)."),
                io.Boolean.Input("overwrite", default=False,
                                 tooltip="Replace an earlier copy of the same source (a file of another source, or "
                                 "not made by this node, is never replaced)."),
                io.Combo.Input("stage", options=list(STAGES), default="auto", optional=True,
                               tooltip="Which released stage the source is, recorded in the copy: auto reads it from "
                               "the source's metadata or name (svd_stage1 / svd_stage2); set it when the name "
                               "does not say."),
            ],
            outputs=[io.String.Output(display_name="report", tooltip="Where the file was written and what it holds.")],
            is_output_node=True,
        )

    @classmethod
    def validate_inputs(cls, output_name=None):
        return early_check(output_name, _output_file_name)

    @classmethod
    def execute(cls, source_name, output_name, dtype, overwrite, stage="auto") -> io.NodeOutput:
        source = _weights_path(source_name, "source_name")
        name = _output_file_name(output_name)
        output = os.path.join(os.path.dirname(source), name) if name else None
        path, weights = convert(source, output, dtype, _progress_bar(), overwrite, stage)
        text = (f"wrote {os.path.basename(path)} ({os.path.getsize(path) / 1e6:.1f} MB, {dtype}, "
                f"{stage if stage != 'auto' else weights.stage})\n" + weights.report.text())
        return io.NodeOutput(text, ui={"text": [text]})


def _output_file_name(output_name) -> str | None:
    """The checked file name for a converted copy (``.safetensors`` added), or ``None`` for the default name."""
    if isinstance(output_name, str) and not output_name.strip():
        return None
    name = plain_file_name("output_name", output_name, "give a file name such as "
                           "trackdiffusion_stage2.fp16.safetensors, or leave it empty")
    return name if name.endswith(".safetensors") else name + ".safetensors"


class InstanceEnhancer(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="InstanceEnhancer",
            display_name="TrackDiffusion Instance Enhancer",
            category=CATEGORY_MODEL,
            description="Make box tracklets drive an SVD video (TrackDiffusion): gated self-attention fusers in the 16 "
            "spatial blocks read one token per object per frame, the re-trained conv_in / conv_out / time mixers "
            "are applied like a LoRA, and a trained Instance Enhancer runs where the weights carry one. Returns a "
            "patched copy of the model; use it with the stock SVD loader, SVD_img2vid_Conditioning and KSampler.",
            inputs=[
                io.Model.Input("model", tooltip="An SVD img2vid model (e.g. from Image Only Checkpoint Loader)."),
                Tracklets.Input("tracklets", tooltip="One box per object per frame (e.g. from Tracklet Editor), "
                                "resampled to the video's frame count. Objects take slots in the order they first "
                                "appear on the video's frames (ties: their order in the editor)."),
                TrackDiffusionWeights.Input("weights", tooltip="From TrackDiffusion Loader."),
                io.Float.Input("strength", default=1.0, min=0.0, max=2.0, step=0.05,
                               tooltip="Scales the fusers' gates (GLIGEN's β) and blends the re-trained UNet weights "
                               "(capped at 1). 0 returns the stock model unchanged."),
                io.Float.Input("start_percent", default=0.0, min=0.0, max=1.0, step=0.001,
                               tooltip="Sampling progress at which the boxes start to act (0 = first step)."),
                io.Float.Input("end_percent", default=1.0, min=0.0, max=1.0, step=0.001,
                               tooltip="Sampling progress after which the boxes stop acting (1 = last step). Fewer "
                               "steps with boxes = looser boxes (GLIGEN's scheduled sampling)."),
                io.Boolean.Input("boxes_for_uncond", default=False,
                                 tooltip="Off (as the authors): the unconditional half of CFG sees only null object "
                                 "tokens, so guidance pushes towards the boxes. On: both halves see the boxes."),
                io.Float.Input("consistency", default=0.0, min=0.0, max=10.0, step=0.1,
                               tooltip="Experimental, training-free: tokens inside an object's box also attend to "
                               "that object's first-frame tokens, weighted by this factor (0 = off). Costs up to "
                               "one more self-attention per block."),
                io.Combo.Input("frame_mismatch", options=list(FRAME_POLICIES), default="resample",
                               tooltip="When the tracklets' frame count differs from the video's: resample them "
                               "(first to first, last to last; logged) or stop with an error."),
            ],
            outputs=[io.Model.Output(display_name="model")],
        )

    @classmethod
    def execute(cls, model, tracklets, weights, strength, start_percent, end_percent, boxes_for_uncond, consistency,
                frame_mismatch) -> io.NodeOutput:
        return io.NodeOutput(apply_trackdiffusion(model, weights, tracklets, strength, start_percent, end_percent,
                                                  boxes_for_uncond, consistency, frame_mismatch))


NODES = [TrackDiffusionLoader, TrackDiffusionConvert, InstanceEnhancer]

"""``TrackGoCutAndDrag`` (experimental, zero weights): a rough guide video for sampling stock SVD at denoise < 1."""

from __future__ import annotations

import numpy as np
import torch
from comfy_api.latest import io

from ..trackdiff_core.trackgo.cut_and_drag import FILLS, render_cut_and_drag
from ..trackdiff_core.trackgo.guide import TrackGoGuide
from ..trackdiff_core.trackgo.inputs import MASK_LAYOUTS, read_masks
from .types import Tracks


class TrackGoCutAndDrag(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TrackGoCutAndDrag",
            display_name="TrackGo Cut And Drag Guide (experimental)",
            category="TrackDiff/conditioning",
            is_experimental=True,
            description="Zero-weight stand-in while no TrackGo weights exist: cuts each object's masked region out of "
            "the first frame and pastes it along its track, frame by frame (rigid translation, hole inpainted). "
            "The result is a crude animation, not a TrackGo video: VAE-encode it and sample SVD from it at denoise "
            "around 0.6-0.8 so the model repaints it while keeping the coarse motion.",
            inputs=[
                io.Image.Input("image", tooltip="The first frame (the same image SVD is conditioned on)."),
                Tracks.Input("tracks", tooltip="Point tracks with their objects (e.g. from Mask Arrow To "
                             "Trajectories); each object moves by its points' mean displacement."),
                io.Combo.Input("fill", options=list(FILLS), default="inpaint",
                               tooltip="inpaint: fill the hole an object leaves from its surroundings; keep: leave "
                               "the original in place (the object is copied, not moved)."),
                io.Float.Input("feather", default=2.0, min=0.0, max=64.0, step=0.5,
                               tooltip="Blur of the pasted regions' edges, in pixels."),
                io.Mask.Input("masks", optional=True,
                              tooltip="Object masks, one per object of the tracks. Default: the masks the tracks "
                              "carry (Mask Arrow To Trajectories adds them), else the hull of each object's points."),
                io.Combo.Input("mask_layout", options=list(MASK_LAYOUTS), default="one_per_object", optional=True,
                               tooltip="How to read the MASK input: a batch (one per object) or a label map."),
            ],
            outputs=[io.Image.Output(display_name="guide", tooltip="One frame per track frame, at the image's size.")],
        )

    @classmethod
    def execute(cls, image, tracks, fill, feather, masks=None, mask_layout="one_per_object") -> io.NodeOutput:
        frame = image[0].detach().cpu().numpy()
        height, width = frame.shape[:2]
        guide = TrackGoGuide(tracks=tracks)
        trajectories = guide.resolve(width, height)
        chosen = read_masks(masks, mask_layout) if masks is not None else guide.masks
        frames = render_cut_and_drag(frame, trajectories, chosen, fill, feather)
        return io.NodeOutput(torch.from_numpy(np.ascontiguousarray(frames)))


NODES = [TrackGoCutAndDrag]

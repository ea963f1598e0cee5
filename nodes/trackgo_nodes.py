"""TrackGo's nodes: masks + arrows -> TRACKS, the adapter loader, and ApplyTrackAdapter (model surgery lives in
``trackgo_patch.py``; the logic in ``trackdiff_core/trackgo``)."""

from __future__ import annotations

import logging

import numpy as np
import torch
from comfy_api.latest import io

import folder_paths

from ..trackdiff_core.camera_tracks import DEFAULT_BACKGROUND_GRID, MAX_BACKGROUND_GRID
from ..trackdiff_core.editor_seed import choose_document
from ..trackdiff_core.errors import TrackDiffError
from ..trackdiff_core.formats.tracks_dict import GROUPS_KEY, OBJECTS_KEY
from ..trackdiff_core.mask_arrow_document import MaskArrowDocument
from ..trackdiff_core.preview import point_subset, preview_base
from ..trackdiff_core.render import draw_masks, draw_paths, draw_trajectories
from ..trackdiff_core.timing import TIMINGS
from ..trackdiff_core.trackgo.config import TrackGoConfig, check_tau
from ..trackdiff_core.trackgo.guide import TrackGoGuide
from ..trackdiff_core.trackgo.inputs import MASK_LAYOUTS, build_objects
from ..trackdiff_core.trackgo.runtime import TrackGoRuntime
from ..trackdiff_core.trajectories import PointTrajectories
from ..trackdiff_core.trackgo.weights import load_adapter
from .editor_ui import editor_ui
from .model_folder import FOLDER_NAME
from .trackgo_patch import apply_trackgo, managed_adapter, site_specs
from .input_checks import early_check
from .types import Tracks

log = logging.getLogger(__name__)

EMPTY_DOCUMENT = MaskArrowDocument(14, ()).dumps()
DEFAULTS = TrackGoConfig()

# A trained TrackGo adapter (trackdiff_core.trackgo.TrackAdapter: E + one branch per temporal self-attention).
TrackAdapterType = io.Custom("TRACKGO_ADAPTER")


def _preview(objects, image) -> torch.Tensor:
    """Masks, arrows and points over the first frame, bounded in size and drawing time (``trackdiff_core.preview``)."""
    trajectories = objects.trajectories
    base = preview_base(image, objects.width, objects.height, trajectories.num_frames)
    colors = [o["color"] for o in objects.objects] or None
    drawn = objects.drawn_objects  # the camera's background group has no mask or arrow of its own to draw
    frame = draw_masks(base, objects.masks[:drawn], colors) if drawn else base
    frame = draw_paths(frame, objects.paths, colors) if objects.paths else frame
    subset = point_subset(trajectories.num_points, trajectories.num_frames)
    if subset is not None:
        trajectories = PointTrajectories(trajectories.points[:, subset], trajectories.visible[:, subset],
                                         trajectories.groups[subset])
    frames = draw_trajectories(frame, trajectories, colors=colors)
    return torch.from_numpy(np.ascontiguousarray(frames)).float()


class MaskArrowToTrajectories(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="MaskArrowToTrajectories",
            display_name="Mask Arrow To Trajectories",
            category="TrackDiff/tracks",
            description="TrackGo's input: a mask per object and an arrow (or path) for where it goes -> K·s points "
            "sampled in each mask, moved along its arrow over the frames, as core TRACKS (with each point's object "
            "and each object's mask) and a preview.",
            inputs=[
                io.String.Input(
                    "mask_arrows_json", multiline=True, default=EMPTY_DOCUMENT,
                    tooltip="The mask/arrow editor's document (versioned JSON, normalised coordinates; schema in "
                    "docs/editor-documents.md). The drawing widget writes it. Ignored when arrows or tracks are "
                    "connected.",
                ),
                io.Int.Input("frame_count", default=14, min=1, max=4096,
                             tooltip="Frames of the output tracks: set it to the video_frames of SVD's conditioning "
                             "(14 for SVD, 25 for SVD-XT). The editor's timeline is resampled to it."),
                io.Int.Input("K", default=DEFAULTS.points_k, min=1, max=4096,
                             tooltip="TrackGo's K: each mask gets K·s points."),
                io.Int.Input("s", default=DEFAULTS.points_s, min=1, max=64,
                             tooltip="TrackGo's s, the density multiplier: each mask gets K·s points. Match the "
                             "adapter's K and s (shown when it loads)."),
                io.Int.Input("point_seed", default=0, min=0, max=0xFFFFFFFF,
                             tooltip="Seed of the point sampling (each object has its own stream, so adding an "
                             "object does not move the others' points)."),
                io.Combo.Input("timing", options=list(TIMINGS), default="linear",
                               tooltip="Timing curve for arrows from the arrows STRING (document objects keep their "
                               "own)."),
                io.Int.Input("width", default=1024, min=16, max=8192, step=8,
                             tooltip="Generation width in pixels (as in SVD's conditioning): the TRACKS are in these "
                             "pixels, and arrows from the STRING are read in them."),
                io.Int.Input("height", default=576, min=16, max=8192, step=8,
                             tooltip="Generation height in pixels. All masks together are kept at width × height: at "
                             "most 134 M mask pixels (e.g. 227 objects at 1024×576)."),
                io.Combo.Input("mask_layout", options=list(MASK_LAYOUTS), default="one_per_object",
                               tooltip="How to read the MASK input: one mask per object (a batch), or one label map "
                               "whose non-zero values are the objects (in increasing order)."),
                io.Image.Input("image", optional=True,
                               tooltip="The first frame: the editor draws on it and the preview draws over it."),
                io.Mask.Input("masks", optional=True,
                              tooltip="Object masks: they fill, in order, the objects whose mask is not painted in the "
                              "editor; with arrows or tracks connected, one mask per arrow."),
                io.String.Input("arrows", optional=True, force_input=True,
                                tooltip='Paths instead of the editor\'s arrows: coordinate JSON [[{"x":..,"y":..}, '
                                '...], ...] in pixels of width × height (e.g. from a spline editor), one per mask.'),
                Tracks.Input("tracks", optional=True,
                             tooltip="Motion from core TRACKS instead: each object (or track) moves its mask by its "
                             "points' mean displacement, one per mask."),
                io.String.Input("seed_document", optional=True, force_input=True,
                                tooltip="A mask/arrow document to start from (e.g. Tracks From Video's mask + arrow "
                                "document). Used only while the editor's own document is empty (no object, no camera): "
                                "the widget then adopts it, editable with undo. Once the editor holds anything, its "
                                "document wins."),
                io.Int.Input("background_grid", default=DEFAULT_BACKGROUND_GRID, min=0, max=MAX_BACKGROUND_GRID,
                             optional=True,
                             tooltip="With a camera layer: background points that move with the camera alone, as an "
                             "extra group after the objects, on a grid of this many cells along the frame's shorter "
                             "side (8: a step of 1/8 of it), kept outside every object's mask. 0 leaves them out. "
                             "Without a camera layer there are none."),
            ],
            outputs=[
                Tracks.Output(display_name="tracks", tooltip="Points in pixels of width × height: the objects' motion "
                              "composed with the camera layer (when there is one), then the background group."),
                io.Image.Output(display_name="preview", tooltip="Masks, arrows and points (as the target gets them) "
                                "drawn over the first frame, one frame per output frame."),
            ],
        )

    @classmethod
    def validate_inputs(cls, mask_arrows_json=None):
        return early_check(mask_arrows_json, lambda text: MaskArrowDocument.parse(text, "mask_arrows_json"))

    @classmethod
    def execute(cls, mask_arrows_json, frame_count, K, s, point_seed, timing, width, height, mask_layout, image=None,
                masks=None, arrows=None, tracks=None, seed_document=None,
                background_grid=DEFAULT_BACKGROUND_GRID) -> io.NodeOutput:
        document, seeded = choose_document(mask_arrows_json, seed_document, MaskArrowDocument.parse, "mask_arrows_json")
        objects = build_objects(document, masks, mask_layout, arrows, tracks, K, s, point_seed, frame_count, timing, width,
                                height, background_grid)
        preview = _preview(objects, image)
        return io.NodeOutput(objects.to_tracks(), preview,
                             ui=editor_ui(preview[:1], image, cls, document if seeded else None))


class TrackAdapterLoader(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TrackAdapterLoader",
            display_name="TrackGo Adapter Loader",
            category="TrackDiff/loaders",
            description="Load a TrackGo adapter (trajectory encoder E + a branch per temporal self-attention) from "
            "models/trackdiff/ (safetensors in TrackDiff's format, as python -m trackdiff_core.training writes).",
            inputs=[
                io.Combo.Input("adapter_name", options=folder_paths.get_filename_list(FOLDER_NAME),
                               tooltip="A .safetensors file in models/trackdiff/."),
            ],
            outputs=[TrackAdapterType.Output(display_name="adapter")],
        )

    @classmethod
    def execute(cls, adapter_name) -> io.NodeOutput:
        path = folder_paths.get_full_path(FOLDER_NAME, adapter_name)
        if path is None:
            raise TrackDiffError("adapter_name", adapter_name, "is not in models/trackdiff/",
                                 "put the file there and refresh the node list")
        adapter = load_adapter(path, adapter_name)
        config = adapter.config
        log.info("TrackGo adapter %s: %d parameters, %d layers, K=%d s=%d tau=%g, trained %d steps at %d frames %dx%d",
                 adapter_name, adapter.parameter_count(), len(adapter.sites), config.points_k, config.points_s,
                 config.tau, adapter.trained_steps, config.frames, config.width, config.height)
        return io.NodeOutput(adapter)


def _note_point_density(tracks, trained: int) -> None:
    """Log when the objects carry another number of points than the adapter saw in training (K · s)."""
    groups = tracks.get(GROUPS_KEY) if isinstance(tracks, dict) else None
    if groups is None:
        return
    counts = np.bincount(np.asarray(groups.cpu() if hasattr(groups, "cpu") else groups)).tolist()
    objects = tracks.get(OBJECTS_KEY) or []
    if len(objects) == len(counts):  # the camera's background group is a grid, not K·s points of an object
        counts = [c for c, o in zip(counts, objects) if not o.get("background")]
    counts = set(counts) - {0}
    if counts and counts != {trained}:
        log.warning("ApplyTrackAdapter: the tracks have %s points per object; the adapter was trained with K·s = %d "
                    "(set K and s on Mask Arrow To Trajectories to match)", sorted(counts), trained)


class ApplyTrackAdapter(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="ApplyTrackAdapter",
            display_name="Apply TrackGo Adapter",
            category="TrackDiff/conditioning",
            description="Patch an SVD model so objects follow their point tracks: a TrackAdapter beside each of the "
            "16 temporal self-attentions, merged under a mask that is 1 where tracks pass and tau elsewhere. Without "
            "an adapter only the tau suppression applies (experimental zero-weight mode).",
            inputs=[
                io.Model.Input("model", tooltip="An SVD img2vid model (e.g. from Image Only Checkpoint Loader)."),
                Tracks.Input("tracks", tooltip="Point tracks (e.g. from Mask Arrow To Trajectories). TRACKS from "
                             "other nodes are read in pixels of the generation size."),
                TrackAdapterType.Input("adapter", optional=True,
                                       tooltip="A trained TrackGo adapter. Leave empty for the zero-weight mode: "
                                       "only the tau suppression, no learned control."),
                io.Float.Input("strength", default=1.0, min=0.0, max=2.0, step=0.01,
                               tooltip="0 leaves the model exactly as it is; 1 applies the adapter as trained."),
                io.Float.Input("tau", default=-1.0, min=-1.0, max=1.0, step=0.01,
                               tooltip="Suppression intensity outside the tracked regions: 1 = none, lower holds "
                               "unspecified areas stiller. -1 uses the adapter's trained tau (0.5 without one)."),
                io.Float.Input("start_percent", default=0.0, min=0.0, max=1.0, step=0.001,
                               tooltip="When in sampling to start (0 = the first step)."),
                io.Float.Input("end_percent", default=1.0, min=0.0, max=1.0, step=0.001,
                               tooltip="When in sampling to stop (1 = the last step)."),
            ],
            outputs=[io.Model.Output(display_name="model")],
        )

    @classmethod
    def execute(cls, model, tracks, strength, tau, start_percent, end_percent, adapter=None) -> io.NodeOutput:
        site_specs(model)  # a clear error for a model that is not SVD, whatever the strength
        guide = TrackGoGuide(tracks=tracks)
        tau = None if tau < 0 else check_tau(tau)
        inert = "strength is 0" if strength == 0.0 else "no visible track point" if guide.is_empty() else \
            "no adapter and tau = 1" if adapter is None and tau == 1.0 else None
        if inert:
            log.info("ApplyTrackAdapter: %s, the model is left unchanged", inert)
            return io.NodeOutput(model)
        root = None
        if adapter is not None:
            _note_point_density(tracks, adapter.config.points_per_object)
            adapter, root = managed_adapter(model, adapter)
        runtime = TrackGoRuntime(adapter, guide, strength, tau)
        return io.NodeOutput(apply_trackgo(model, runtime, start_percent, end_percent, root=root))


NODES = [MaskArrowToTrajectories, TrackAdapterLoader, ApplyTrackAdapter]

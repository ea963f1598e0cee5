"""``TrackletEditor``: the box editor's node. The widget (js/) edits ``tracklets_json``; Python owns its meaning."""

import torch
from comfy_api.latest import io

from ..trackdiff_core.preview import box_frames, preview_base
from ..trackdiff_core.render import draw_tracklets
from ..trackdiff_core.editor_seed import choose_document
from ..trackdiff_core.tracklet_document import DEFAULT_SIZE, TrackletDocument, empty_document
from .editor_ui import editor_ui
from .input_checks import early_check
from .types import Tracklets

EMPTY_DOCUMENT = empty_document(14).dumps()
PREVIEW_SIZE = (512, 288)  # drawn on when no image is connected (SVD's 1024×576 aspect)


class TrackletEditor(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TrackletEditor",
            display_name="Tracklet Editor",
            category="TrackDiff/tracks",
            description="Boxes per object over a frame timeline (keyframes, appear / disappear), drawn on the first "
            "frame. Outputs TRACKLETS, resampled later to the model's frame count, and a preview.",
            inputs=[
                io.String.Input(
                    "tracklets_json", multiline=True, default=EMPTY_DOCUMENT,
                    tooltip="The editor's document (versioned JSON, normalised coordinates; schema in "
                    "docs/editor-documents.md). The drawing widget writes it; it can also be pasted or sent over the API.",
                ),
                io.Image.Input("image", optional=True,
                               tooltip="The first frame: the editor draws on it and the preview draws over it. Its "
                               "aspect ratio is the one a rotating camera layer turns in (1024×576 without one)."),
                io.String.Input("seed_document", optional=True, force_input=True,
                                tooltip="A box document to start from (e.g. Tracks From Video's box document). Used "
                                "only while the editor's own document is empty (no box, no camera): the widget then "
                                "adopts it, editable with undo. Once the editor holds anything, its document wins."),
            ],
            outputs=[
                Tracklets.Output(display_name="tracklets", tooltip="Boxes per object per frame in screen coordinates: "
                                 "with a camera layer, the camera moves each drawn box (it carries the camera too)."),
                io.Image.Output(display_name="preview", tooltip="The boxes (as the target gets them) drawn over the "
                                "image (at most 512 px wide), one frame per timeline frame (fewer, spread over the "
                                "timeline, beyond 32768 boxes)."),
                io.Int.Output(display_name="frame_count", tooltip="Frames on the editor's timeline."),
            ],
        )

    @classmethod
    def validate_inputs(cls, tracklets_json=None):
        return early_check(tracklets_json, lambda text: TrackletDocument.parse(text, "tracklets_json"))

    @classmethod
    def execute(cls, tracklets_json, image=None, seed_document=None) -> io.NodeOutput:
        document, seeded = choose_document(tracklets_json, seed_document, TrackletDocument.parse, "tracklets_json")
        size = (int(image.shape[2]), int(image.shape[1])) if image is not None else DEFAULT_SIZE
        tracklets = document.to_tracklets(None, *size)
        # The preview is bounded whatever the document (``trackdiff_core.preview``): small frames for long timelines,
        # and for very many objects on very many frames, fewer preview frames spread over the timeline.
        shown = tracklets.resample(box_frames(tracklets.num_frames, tracklets.num_objects))
        frames = preview_base(image, *PREVIEW_SIZE, shown.num_frames)
        preview = torch.from_numpy(draw_tracklets(frames, shown)).float()
        return io.NodeOutput(tracklets, preview, document.frame_count,
                             ui=editor_ui(preview[:1], image, cls, document if seeded else None))


NODES = [TrackletEditor]

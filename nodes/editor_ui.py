"""What an editor node sends back to its widget after it runs.

``images``: the node's preview (shown under the node, as core nodes do). ``trackdiff_frame``: the first input frame,
unannotated, saved to ComfyUI's temp folder, so the drawing widget can use the last run's image as its background.
``trackdiff_seed``: only when the node used its ``seed_document`` (its widget's document was empty), that document's
JSON text in a one-item list, so the widget can adopt it and keep it editable.
"""

from comfy_api.latest import ui

from ..trackdiff_core.editor_seed import SEED_UI_KEY


def editor_ui(preview, frame, cls, seed_document=None) -> dict:
    out = dict(ui.PreviewImage(preview, cls=cls).as_dict())
    if frame is not None:
        out["trackdiff_frame"] = ui.PreviewImage(frame[:1], cls=cls).values
    if seed_document is not None:
        out[SEED_UI_KEY] = [seed_document.dumps()]
    return out

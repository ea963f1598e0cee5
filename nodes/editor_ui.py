"""What an editor node sends back to its widget after it runs.

``images``: the node's preview (shown under the node, as core nodes do). ``trackdiff_frame``: the first input frame,
unannotated, saved to ComfyUI's temp folder, so the drawing widget can use the last run's image as its background.
"""

from comfy_api.latest import ui


def editor_ui(preview, frame, cls) -> dict:
    out = dict(ui.PreviewImage(preview, cls=cls).as_dict())
    if frame is not None:
        out["trackdiff_frame"] = ui.PreviewImage(frame[:1], cls=cls).values
    return out

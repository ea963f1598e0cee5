"""Every shipped workflow in the real ComfyUI: loaded by the real frontend, converted by it to an API prompt (which the
batch CLI's own converter must reproduce), and run through /prompt on the tiny SVD with synthesized weights, producing
the requested frames. Also: the node-schema snapshot the core tests use is still what the server reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import comfy_host

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from workflow_schema import normalise  # noqa: E402
from workflow_setup import FRAMES, HEIGHT, WIDTH, for_the_tiny_model  # noqa: E402

# The Wan workflows need the tiny Wan instead of the tiny SVD: tests/host/test_wan_in_comfyui.py runs them.
WORKFLOWS = sorted(p for p in (comfy_host.REPO_ROOT / "workflows").glob("*.json") if not p.stem.startswith("wan_"))
SNAPSHOT = comfy_host.REPO_ROOT / "tests" / "core" / "data" / "workflow_node_schemas.json"


def test_snapshot_of_node_schemas_is_current(comfy_server):
    snapshot = json.loads(SNAPSHOT.read_text())
    live = comfy_server.get("/object_info")
    assert normalise({t: live[t] for t in snapshot}) == snapshot, "run tools/make_workflows.py to refresh it"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_runs_in_comfyui(path, canvas_page, comfy_server, tiny_models_installed):
    from trackdiff_core.batch.workflow import ui_to_api

    workflow = json.loads(path.read_text())
    canvas_page.load_workflow(workflow)
    assert canvas_page.errors == []
    exported = canvas_page.js("async () => (await window.app.graphToPrompt()).output")
    frontend = {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in exported.items()}
    ours = ui_to_api(workflow, comfy_server.get("/object_info"))
    assert ours == frontend, "the batch CLI's converter must read the workflow as the frontend does"

    outputs = comfy_server.run(for_the_tiny_model(frontend), timeout=600)
    saves = [k for k, v in frontend.items() if v["class_type"] == "SaveImage"]
    assert len(saves) == 1 and len(outputs[saves[0]]["images"]) == FRAMES
    frame = comfy_server.view_image(outputs[saves[0]]["images"][0])
    assert frame.shape == (HEIGHT, WIDTH, 3)
    animations = [k for k, v in frontend.items() if v["class_type"] == "SaveAnimatedWEBP"]
    assert all(outputs[k]["images"] for k in animations)

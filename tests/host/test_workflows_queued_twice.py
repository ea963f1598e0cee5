"""Every shipped workflow queued twice from the real frontend, as a person presses Queue again after a first video: the
second run (the frontend moves the seed on, as "increment" / "randomize" do) must finish too, and write new files
beside the first run's instead of refusing to overwrite them."""

from __future__ import annotations

import time

import pytest

import comfy_host
from editor_page import ComfyPage
from workflow_setup import FRAMES, HEIGHT, TD_WEIGHTS, TG_ADAPTER, WIDTH, install_test_models

WORKFLOWS = sorted((comfy_host.REPO_ROOT / "workflows").glob("*.json"))

# The shipped defaults swapped for the tiny test setup, set in the graph's widgets as a person would.
TINY = {
    "ImageOnlyCheckpointLoader": {"ckpt_name": comfy_host.TINY_CHECKPOINT},
    "LoadImage": {"image": comfy_host.TEST_IMAGE},
    "ImageScale": {"width": WIDTH, "height": HEIGHT},
    "SVD_img2vid_Conditioning": {"width": WIDTH, "height": HEIGHT, "video_frames": FRAMES},
    "MaskArrowToTrajectories": {"width": WIDTH, "height": HEIGHT, "frame_count": FRAMES},
    "VisualizeTrackPoints": {"width": WIDTH, "height": HEIGHT},
    "KSampler": {"steps": 2, "control_after_generate": "increment"},
    "TrackDiffusionLoader": {"weights_name": TD_WEIGHTS},
    "TrackAdapterLoader": {"adapter_name": TG_ADAPTER},
}

QUEUE_TWICE = """async (changes) => {
    const app = window.app;
    for (const node of app.graph.nodes) {
        for (const widget of node.widgets ?? []) {
            const value = changes[node.type]?.[widget.name];
            if (value !== undefined) widget.value = value;
        }
    }
    await app.queuePrompt(0, 1);
    await app.queuePrompt(0, 1);
}"""


@pytest.fixture(scope="module")
def page(browser, comfy_server):
    ui = ComfyPage(browser, comfy_server, vue=False)
    yield ui
    ui.close()


@pytest.fixture(scope="module")
def models(comfy_server, tiny_svd, pack):
    install_test_models(comfy_server.base, tiny_svd.model, pack)


def wait_for_new_prompts(server, before: set, count: int, timeout: float = 900.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        history = server.get("/history")
        new = [entry for key, entry in history.items() if key not in before]
        queue = server.get("/queue")
        if len(new) >= count and not queue["queue_running"] and not queue["queue_pending"]:
            return sorted(new, key=lambda entry: entry["prompt"][0])
        time.sleep(0.5)
    raise TimeoutError(f"{count} prompts did not finish within {timeout:.0f} s:\n{server.log_tail()}")


def saved_files(entry: dict, class_type: str) -> list[str]:
    prompt = entry["prompt"][2]
    files = []
    for node_id, node in prompt.items():
        if node["class_type"] == class_type:
            ui = entry["outputs"].get(node_id, {})
            files += [i["filename"] for i in ui.get("images", [])] + ui.get("text", [])
    return files


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_queued_twice_from_the_frontend(path, page, comfy_server, models):
    import json

    page.load_workflow(json.loads(path.read_text()))
    before = set(comfy_server.get("/history"))
    page.js(QUEUE_TWICE, TINY)
    first, second = wait_for_new_prompts(comfy_server, before, 2)
    for run in (first, second):
        errors = [m for m in run["status"].get("messages", []) if m[0] == "execution_error"]
        assert run["status"]["status_str"] == "success", errors
    seeds = [[n["inputs"]["seed"] for n in run["prompt"][2].values() if n["class_type"] == "KSampler"]
             for run in (first, second)]
    assert seeds[0] != seeds[1], "the frontend moves the seed on between the two queues, so the second run is new"
    for class_type in ("SaveImage", "SaveTrackletLabels"):
        a, b = saved_files(first, class_type), saved_files(second, class_type)
        assert a != b or not a, f"{class_type} wrote the same files twice"
    assert page.errors == []

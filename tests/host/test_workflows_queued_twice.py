"""Every shipped workflow queued twice from the real frontend, as a person presses Queue again after a first video: the
second run (the frontend moves the seed on, as "increment" / "randomize" do) must finish too, and write new files
beside the first run's instead of refusing to overwrite them."""

from __future__ import annotations

import copy
import json
import time

import pytest

import comfy_host
from workflow_setup import for_the_tiny_model, for_the_tiny_wan, is_wan

WORKFLOWS = sorted((comfy_host.REPO_ROOT / "workflows").glob("*.json"))

QUEUE_TWICE = """async (changes) => {
    const app = window.app;
    let controls = 0;
    for (const node of app.graph.nodes) {
        for (const widget of node.widgets ?? []) {
            const value = changes[String(node.id)]?.[widget.name];
            if (value !== undefined) widget.value = value;
            // "increment" moves the seed on after each queue, as "randomize" does, but reproducibly.
            if (widget.name === "control_after_generate") { widget.value = "increment"; controls += 1; }
        }
    }
    await app.queuePrompt(0, 1);
    await app.queuePrompt(0, 1);
    return controls;
}"""


def tiny_widget_values(canvas_page) -> dict:
    """The widget values the tiny test setup needs (workflow_setup.for_the_tiny_model's swaps, whatever they are for
    the workflows shipped now), by node id, to be set in the graph as a person would."""
    exported = canvas_page.js("async () => (await window.app.graphToPrompt()).output")
    tiny = for_the_tiny_model(copy.deepcopy(exported))
    return {node_id: {k: v for k, v in node["inputs"].items()
                      if not isinstance(v, list) and exported[node_id]["inputs"].get(k) != v}
            for node_id, node in tiny.items()}


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


@pytest.fixture(scope="module")
def wan_files(comfy_server):
    from trackdiff_test_support.tiny_wan import write_tiny_wan

    return write_tiny_wan(comfy_server.base)


def queue_wan_twice(canvas_page, server, files) -> int:
    """The Wan workflows need test-only loaders in place of the text-encoder and CLIP-vision loaders (a change of node
    type, which the frontend's widgets cannot make): the frontend's own prompt, swapped for the tiny Wan, is queued
    twice with the seed moved on as "increment" does."""
    exported = canvas_page.js("async () => (await window.app.graphToPrompt()).output")
    prompt = for_the_tiny_wan({k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in exported.items()},
                              files)
    seeds = [node for node in prompt.values() if "seed" in node["inputs"] and not isinstance(node["inputs"]["seed"], list)]
    for run in range(2):
        for node in seeds:
            node["inputs"]["seed"] += run
        server.queue_prompt(copy.deepcopy(prompt))
    return len(seeds)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_queued_twice_from_the_frontend(path, canvas_page, comfy_server, tiny_models_installed, wan_files):
    canvas_page.load_workflow(json.loads(path.read_text()))
    before = set(comfy_server.get("/history"))
    if is_wan(path):
        controls = queue_wan_twice(canvas_page, comfy_server, wan_files)
    else:
        controls = canvas_page.js(QUEUE_TWICE, tiny_widget_values(canvas_page))
    first, second = wait_for_new_prompts(comfy_server, before, 2)
    for run in (first, second):
        errors = [m for m in run["status"].get("messages", []) if m[0] == "execution_error"]
        assert run["status"]["status_str"] == "success", errors
    if controls:  # a seed with "control after generate": the frontend moves it on, so the second run is new
        assert first["prompt"][2] != second["prompt"][2]
    for class_type in ("SaveImage", "SaveTrackletLabels"):
        a, b = saved_files(first, class_type), saved_files(second, class_type)
        assert a != b or not a, f"{class_type} wrote the same files twice"
    assert canvas_page.errors == []

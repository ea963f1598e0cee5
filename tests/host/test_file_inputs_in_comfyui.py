"""Every node input that names a file, tried through /prompt as a user and as an attacker would: names resolve inside
ComfyUI's folders before anything is opened, answers leak neither file contents nor server paths nor whether a file
exists, second runs work, and bad names are refused at queue time with one message that names the input and the fix."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import comfy_host

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import trackdiffusion_checkpoint as ckpt  # noqa: E402

MOT = "1,5,11,11,30,20,1,3,1\n2,5,21,13,30,20,1,3,1\n3,5,31,15,30,20,1,3,1\n"
RELEASED = "files_test_svd_stage2.safetensors"


@pytest.fixture(scope="module")
def server(comfy_server):
    base = comfy_server.base
    (base / "input" / "tracks").mkdir(parents=True, exist_ok=True)
    (base / "input" / "tracks" / "seq_gt.txt").write_text(MOT)
    (base / "input" / "tracks" / "empty.txt").write_text("")
    (base / "outside_gt.txt").write_text(MOT)  # a valid MOT file beside the input folder
    link = base / "input" / "tracks" / "link_out.txt"
    if not link.exists():
        link.symlink_to("/etc/passwd")
    folder = base / "models" / "trackdiff"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / RELEASED).exists():
        ckpt.write_released(folder / RELEASED)
    return comfy_server


def load(file: str, fmt: str = "auto") -> dict:
    return {"class_type": "LoadTracklets", "inputs": {"file": file, "format": fmt, "width": 96, "height": 64,
                                                      "video": 0, "box_size": 0.1}}


def labels_prompt(file: str = "tracks/seq_gt.txt", prefix: str = "labels/run", frames: int = 5) -> dict:
    return {
        "1": load(file),
        "2": {"class_type": "LoadImage", "inputs": {"image": comfy_host.TEST_IMAGE}},
        "3": {"class_type": "RepeatImageBatch", "inputs": {"image": ["2", 0], "amount": frames}},
        "4": {"class_type": "SaveTrackletLabels", "inputs": {"tracklets": ["1", 0], "images": ["3", 0],
                                                             "filename_prefix": prefix}},
    }


def rejected(server, prompt: dict) -> tuple[str, list]:
    """The body of /prompt's refusal and the node errors in it."""
    with pytest.raises(comfy_host.PromptRejected) as info:
        server.queue_prompt(prompt)
    body = info.value.body
    errors = [e for node in (info.value.data or {}).get("node_errors", {}).values() for e in node["errors"]]
    return body, errors


def assert_no_leak(server, body: str) -> None:
    assert "root:x" not in body and "/bin/" not in body  # no content of a file the node may not read
    assert str(server.base) not in body and "/etc/" not in body


@pytest.mark.parametrize("file", [
    "/etc/passwd", "../../../../../../../../etc/passwd", "/etc/hostname", "/no/such/file", "../outside_gt.txt",
    "tracks/link_out.txt", "tracks/../../outside_gt.txt", "missing.txt", "/etc/passwd [input]", "../x [output]",
    "x" * 2_000_000, "tracks/\udc80.txt", "tracks/seq_gt.txt\x00.png",
], ids=lambda v: v if len(v) < 60 else f"{len(v)} characters")
@pytest.mark.parametrize("fmt", ["mot", "auto"])
def test_load_tracklets_refuses_names_outside_the_input_folder_alike(server, file, fmt):
    """Absolute paths, '..', links leading out and missing files are refused at queue time with the same single
    message, so the answer says nothing about which files exist on the server and quotes none of them."""
    body, errors = rejected(server, {"1": load(file, fmt), "2": labels_prompt()["2"],
                                     "3": {"class_type": "SaveTrackletLabels", "inputs": {
                                         "tracklets": ["1", 0], "images": ["2", 0], "filename_prefix": "x/y"}}})
    assert len(errors) == 1, errors  # one message, not one per input
    assert errors[0]["details"].startswith("file - file: is not a file in ComfyUI's")
    assert "Fix: copy the track file into ComfyUI/input/" in errors[0]["details"]
    assert_no_leak(server, body.replace(json.dumps(file)[1:-1], ""))
    assert len(body) < 20_000  # a long name is cut in the message, not echoed


def test_refusals_do_not_tell_what_exists(server):
    answers = [rejected(server, {"1": load(f), **{k: v for k, v in labels_prompt().items() if k != "1"}})[1]
               for f in ("/etc/hostname", "/etc/no_such_file")]
    problems = [[e["details"].split(" (got ")[0] for e in errors] for errors in answers]
    assert problems[0] == problems[1]


def test_load_tracklets_reads_annotated_names_and_other_inputs_are_still_checked(server):
    outputs = server.run(labels_prompt("tracks/seq_gt.txt [input]", prefix="labels/annotated"))
    assert "3 label files for 5 frames" in outputs["4"]["text"][0]
    # The labels just written load back from the output folder by their annotated name.
    written = sorted((server.base / "output" / "labels").glob("annotated_*.mot.txt"))[-1].name
    back = server.run(labels_prompt(f"labels/{written} [output]", prefix="labels/again"))
    assert "3 label files" in back["4"]["text"][0]
    # validate_inputs names only `file`, so ComfyUI still checks the other inputs' ranges and dropdowns itself.
    prompt = labels_prompt()
    prompt["1"]["inputs"].update(width=0, format="xml")
    _, errors = rejected(server, prompt)
    assert {e["type"] for e in errors} == {"value_smaller_than_min", "value_not_in_list"}


def test_save_tracklet_labels_second_and_third_runs_write_new_files(server):
    """Queued again (new frames each time, as with a random seed), each run writes the next counter."""
    for frames in (5, 6, 7):
        outputs = server.run(labels_prompt(prefix="labels/twice", frames=frames))
        assert f"for {frames} frames" in outputs["4"]["text"][0]
    names = sorted(p.name for p in (server.base / "output" / "labels").glob("twice_*"))
    assert names == [f"twice_{n:05}.{s}" for n in (1, 2, 3) for s in ("coco_vid.json", "mot.txt", "youtube_vis.json")]


@pytest.mark.parametrize("prefix, needle", [
    ("x" * 2_000_000, "characters long"),
    ("/".join(["a"] * 4000), "characters long"),
    ("/".join(["a"] * 40), "folders deep"),
    ("lab\udc80els", "U+DC80"),
    ("lab\x07els", "U+0007"),
    ("../../escape", "leave its folder"),
    ("/tmp/escape", "absolute path"),
])
def test_save_tracklet_labels_refuses_bad_prefixes_at_queue_time(server, prefix, needle):
    body, errors = rejected(server, labels_prompt(prefix=prefix))
    assert len(errors) == 1 and errors[0]["details"].startswith("filename_prefix - filename_prefix: ")
    assert needle in errors[0]["details"] and "Fix: " in errors[0]["details"]
    assert str(server.base) not in body and len(body) < 20_000


def test_linked_prefix_is_checked_when_it_runs(server):
    """A prefix fed by another node has no value at queue time: the node checks it when it runs."""
    prompt = labels_prompt(prefix="unused")
    prompt["9"] = {"class_type": "PrimitiveString", "inputs": {"value": "labels/linked"}}
    prompt["4"]["inputs"]["filename_prefix"] = ["9", 0]
    assert "3 label files" in server.run(prompt)["4"]["text"][0]
    prompt["9"]["inputs"]["value"] = "../escape"
    with pytest.raises(comfy_host.PromptFailed, match="filename_prefix: uses '..' to leave its folder"):
        server.run(prompt)


def test_empty_track_file_is_a_clear_error(server):
    with pytest.raises(comfy_host.PromptFailed) as info:
        server.run(labels_prompt("tracks/empty.txt"))
    assert info.value.error["exception_type"].endswith("TrackDiffError")
    assert info.value.error["exception_message"].startswith("file: is empty (got 'tracks/empty.txt')")


def test_deeply_nested_editor_json_is_refused_by_name(server):
    deep = "[" * 100_000 + "]" * 100_000
    _, errors = rejected(server, {
        "1": {"class_type": "TrackletEditor", "inputs": {"tracklets_json": deep}},
        "2": {"class_type": "VisualizeTracklets", "inputs": {"images": ["1", 1], "tracklets": ["1", 0],
                                                            "line_width": 0, "show_labels": True}},
        "3": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["2", 0]}}})
    assert errors and all("nested too deeply" in e["details"] and "RecursionError" not in e["details"] for e in errors)


def test_deeply_nested_mask_arrow_json_is_refused_by_name(server):
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    _, errors = rejected(server, {
        "1": {"class_type": "MaskArrowToTrajectories", "inputs": {
            "mask_arrows_json": deep, "frame_count": 6, "K": 2, "s": 3, "point_seed": 0, "timing": "linear",
            "width": 96, "height": 64, "mask_layout": "one_per_object"}},
        "2": {"class_type": "TrackDiffTestImageStats", "inputs": {"images": ["1", 1]}}})
    assert errors and all("mask_arrows_json: is JSON nested too deeply" in e["details"] for e in errors)


@pytest.mark.parametrize("node, field", [
    ("TrackDiffusionLoader", "weights_name"), ("TrackDiffusionConvert", "source_name"),
    ("TrackAdapterLoader", "adapter_name"),
])
@pytest.mark.parametrize("name", ["/etc/passwd", "../../../../etc/passwd", "../trackdiff/../../input/x.safetensors"])
def test_weight_loaders_take_only_listed_files(server, node, field, name):
    """The loaders' file names are ComfyUI dropdowns: anything not listed from models/trackdiff is refused at queue
    time by ComfyUI's own check, before anything is opened."""
    inputs = {field: name}
    if node == "TrackDiffusionConvert":
        inputs.update(output_name="", dtype="float16", overwrite=False)
    _, errors = rejected(server, {"1": {"class_type": node, "inputs": inputs},
                                  "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}})
    assert [e["type"] for e in errors] == ["value_not_in_list"]


def convert_prompt(output_name: str, stage: str | None = None, overwrite: bool = False) -> dict:
    inputs = {"source_name": RELEASED, "output_name": output_name, "dtype": "float16", "overwrite": overwrite}
    if stage:
        inputs["stage"] = stage
    return {"1": {"class_type": "TrackDiffusionConvert", "inputs": inputs}}


@pytest.mark.parametrize("name, needle", [
    ("{.safetensors", "holds '{'"),
    ('{"version": 999}.safetensors', "holds '{'"),
    ("evil\u202egpj.safetensors", "U+202E"),
    ("w\udc80.safetensors", "U+DC80"),
    ("x" * 2_000_000, "characters long"),
    ("../escape.safetensors", "names a folder"),
    (".hidden.safetensors", "hidden file"),
])
def test_convert_refuses_bad_output_names_at_queue_time(server, name, needle):
    body, errors = rejected(server, convert_prompt(name))
    assert len(errors) == 1 and errors[0]["details"].startswith("output_name - output_name: ")
    assert needle in errors[0]["details"] and str(server.base) not in body
    assert sorted(p.name for p in (server.base / "models" / "trackdiff").iterdir() if "escape" in p.name
                  or "{" in p.name) == []


def test_convert_default_name_records_the_stage_and_overwrite_keeps_other_files(server):
    folder = server.base / "models" / "trackdiff"
    expected = "trackdiffusion_stage2.fp16.safetensors"
    (folder / expected).unlink(missing_ok=True)
    report = server.run(convert_prompt(""))["1"]["text"][0]
    assert report.startswith(f"wrote {expected} (") and "stage2" in report.splitlines()[0]
    from safetensors import safe_open

    with safe_open(str(folder / expected), "pt") as f:
        assert f.metadata()["stage"] == "stage2" and f.metadata()["source"] == RELEASED
    (folder / "mine.safetensors").write_text("not weights")
    with pytest.raises(comfy_host.PromptFailed, match="output: already exists and is not a copy this converter made"):
        server.run(convert_prompt("mine", overwrite=True))
    assert (folder / "mine.safetensors").read_text() == "not weights"


def test_load_tracklets_in_the_frontend_lists_a_copied_file_after_refresh(server, browser):
    """What the README tells a person to do: copy a track file into ComfyUI/input/, press R, pick it. (Frontend 1.35.9
    has no upload button for non-media files: the node shows its file list only.)"""
    from editor_page import ComfyPage

    page = ComfyPage(browser, server, vue=False)
    try:
        page.clear()
        node = page.js("""() => {
            const node = window.LiteGraph.createNode("LoadTracklets");
            node.pos = [200, 150];
            window.app.graph.add(node);
            return node.id;
        }""")
        widgets = page.js("(id) => window.app.graph.getNodeById(id).widgets.map((w) => [w.name, w.type])", node)
        assert [w[0] for w in widgets] == ["file", "format", "width", "height", "video", "box_size"]
        assert widgets[0][1] == "combo"  # a plain file list: no upload widget comes with it
        options = "(id) => window.app.graph.getNodeById(id).widgets[0].options.values"
        listed = page.js(options, node)
        assert "tracks/seq_gt.txt" in listed and "tracks/link_out.txt" not in listed  # a link leading out: not offered
        (server.base / "input" / "tracks" / "copied_gt.txt").write_text(MOT)
        assert "tracks/copied_gt.txt" not in page.js(options, node)
        page.page.mouse.click(700, 600)  # focus the (empty) canvas, then press R as a person does
        page.page.keyboard.press("r")
        page.page.wait_for_function(f"() => ({options})({node}).includes('tracks/copied_gt.txt')", timeout=30_000)
        assert page.errors == []
    finally:
        page.close()

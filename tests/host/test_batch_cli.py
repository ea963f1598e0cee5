"""The headless batch CLI against live ComfyUI servers: a 3-item dataset, interrupted and resumed, with labels that
match the tracks it was given; failures reported with the server's error after bounded retries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import comfy_host
from workflow_setup import FRAMES, HEIGHT, WIDTH, for_the_tiny_model, install_test_models

SHIPPED = comfy_host.REPO_ROOT / "workflows" / "trackdiffusion_boxes.json"


def batch_workflow(server) -> dict:
    """The shipped TrackDiffusion workflow (boxes from the Tracklet Editor drive InstanceEnhancer), read by the CLI's
    converter with the server's object_info, on the tiny test setup."""
    from trackdiff_core.batch.workflow import ui_to_api

    return for_the_tiny_model(ui_to_api(json.loads(SHIPPED.read_text()), server.get("/object_info")))


def document(shift: float) -> dict:
    return {"version": 1, "kind": "tracklets", "frame_count": 14, "objects": [
        {"id": 3, "label": "car", "color": "#ff0000", "keyframes": [
            {"frame": 0, "box": [0.1 + shift, 0.1, 0.3 + shift, 0.4]}, {"frame": 13, "box": [0.5, 0.5, 0.8, 0.9]}]}]}


@pytest.fixture(scope="module")
def second_server(tiny_svd_path, tiny_svd, pack, tmp_path_factory):
    base = comfy_host.make_base_directory(tmp_path_factory.mktemp("comfy_base_2"), tiny_svd_path)
    install_test_models(base, tiny_svd.model, pack)
    server = comfy_host.ComfyServer(base).start()
    yield server
    server.stop()


def make_items(folder: Path, broken: bool = False, count: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        comfy_host.write_test_image(folder / f"clip{index}.png", 96 + 16 * index, 64)
        (folder / f"clip{index}.json").write_text(json.dumps(document(0.05 * index)))
    if broken:  # 21 objects: valid tracks, but more than the 20 slots of TrackDiffusion's weights (a server error)
        comfy_host.write_test_image(folder / "broken.png", 96, 64)
        many = document(0.0)
        many["objects"] = [{**many["objects"][0], "id": i} for i in range(21)]
        (folder / "broken.json").write_text(json.dumps(many))
    return folder


def cli(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(comfy_host.REPO_ROOT), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "trackdiff_core.batch", *args], cwd=comfy_host.REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finished(out: Path) -> list[Path]:
    items = out / "items"
    return sorted(p for p in items.iterdir() if (p / "meta.json").exists()) if items.exists() else []


@pytest.mark.filterwarnings("ignore:Operation with tuple is deprecated")  # motmetrics 1.4.0's own "X - 1" on pandas 3
def test_dataset_interrupted_and_resumed(comfy_server, second_server, tiny_models_installed, tmp_path):
    # Six items (about a second each): the interrupt lands part-way even when this process is slow to poll (with
    # three, a loaded machine saw all of them finish before it).
    items = make_items(tmp_path / "items", count=6)
    names = [f"clip{i}" for i in range(6)]
    workflow = tmp_path / "workflow.json"
    workflow.write_text(json.dumps(batch_workflow(comfy_server)))
    out = tmp_path / "dataset"
    args = ["--workflow", str(workflow), "--items", str(items), "--out", str(out), "--server", comfy_server.url]

    first = cli(args)  # one server: items go one by one, so the run can be interrupted between them
    deadline = time.monotonic() + 120
    while not finished(out) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    log = first.communicate(timeout=60)[0]
    done_first = finished(out)
    assert 1 <= len(done_first) < 6 and first.returncode == 130, log  # interrupted part-way
    assert not (out / "items" / "clip5").exists()
    assert all((p / "gt" / "gt.txt").exists() and len(list((p / "img1").iterdir())) == FRAMES for p in done_first)
    stamps = {p.name: (p / "meta.json").stat().st_mtime_ns for p in done_first}

    second = cli(args + ["--server", second_server.url])
    log = second.communicate(timeout=300)[0]
    assert second.returncode == 0, log
    assert f"{len(done_first)} already finished" in log
    done = finished(out)
    assert [p.name for p in done] == names
    assert {p.name: (p / "meta.json").stat().st_mtime_ns for p in done if p.name in stamps} == stamps  # not redone

    from trackdiff_core.crop import center_crop_box, crop_tracklets
    from trackdiff_core.formats.coco_vid import read_coco_vid
    from trackdiff_core.formats.mot import read_mot
    from trackdiff_core.tracklet_document import TrackletDocument

    for index, folder in enumerate(done):
        meta = json.loads((folder / "meta.json").read_text())
        assert meta["frames"] == FRAMES and (meta["width"], meta["height"]) == (WIDTH, HEIGHT)
        fidelity = meta["motion_fidelity"]  # the random tiny model follows no boxes: only its presence is checked here
        assert fidelity["frames"] == FRAMES and [o["label"] for o in fidelity["per_object"]] == ["car"]
        labels = read_mot((folder / "gt" / "gt.txt").read_text(), meta["width"], meta["height"], num_frames=FRAMES)
        # Tracks are given on the whole item image; ComfyUI centre-crops it to the video's 96×64, and so do the labels.
        whole = TrackletDocument.parse(json.dumps(document(0.05 * index))).to_tracklets(FRAMES)
        expected = crop_tracklets(whole, center_crop_box(96 + 16 * index, 64, WIDTH, HEIGHT))
        assert labels.ids == expected.ids and labels.labels == ("car",)
        np.testing.assert_array_equal(labels.visible, expected.visible)
        np.testing.assert_allclose(labels.boxes[expected.visible], expected.boxes[expected.visible], atol=1e-4)
        if index:
            assert not np.allclose(expected.boxes, whole.boxes)  # the crop really moved them
    videos = read_coco_vid((out / "annotations" / "coco_vid.json").read_text())
    assert [v.name for v in videos] == names
    assert all(v.tracklets.num_frames == FRAMES and v.file_names[0] == f"{v.name}/img1/000001.png" for v in videos)
    assert (out / "annotations" / "youtube_vis.json").exists()
    read_by_tracker_tools(out, done)


def read_by_tracker_tools(out: Path, done: list[Path]) -> None:
    """py-motmetrics reads every item as a MOTChallenge sequence and pycocotools reads the COCO-VID file, with the
    same boxes to the 1e-4 pixel the files are written at (MOT 1-based, COCO 0-based)."""
    import configparser

    mm = pytest.importorskip("motmetrics", reason="py-motmetrics is a test-only dependency")
    coco_api = pytest.importorskip("pycocotools.coco", reason="pycocotools is a test-only dependency")
    coco = coco_api.COCO(str(out / "annotations" / "coco_vid.json"))
    for folder in done:
        info = configparser.ConfigParser()
        info.read(folder / "seqinfo.ini")
        assert (info["Sequence"]["seqLength"], info["Sequence"]["imWidth"], info["Sequence"]["imHeight"]) == (
            str(FRAMES), str(WIDTH), str(HEIGHT))
        assert (folder / "img1" / f"{FRAMES:06d}.png").is_file()
        gt = mm.io.loadtxt(str(folder / "gt" / "gt.txt"), fmt="mot15-2D")
        video = next(v for v in coco.dataset["videos"] if v["name"] == folder.name)
        for image in (i for i in coco.dataset["images"] if i["video_id"] == video["id"]):
            assert (out / "items" / image["file_name"]).is_file()
            for ann in coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]])):
                row = gt.loc[(image["frame_id"] + 1, ann["instance_id"])]
                np.testing.assert_allclose([row.X, row.Y, row.Width, row.Height], ann["bbox"], atol=1e-4)
        assert len(gt) == sum(1 for a in coco.dataset["annotations"] if a["video_id"] == video["id"]) > 0


def test_two_servers_share_the_work_and_failures_carry_the_server_error(comfy_server, second_server, tiny_models_installed, tmp_path):
    items = make_items(tmp_path / "items", broken=True)
    workflow = tmp_path / "workflow.json"
    workflow.write_text(json.dumps(batch_workflow(comfy_server)))
    out = tmp_path / "dataset"
    run = cli(["--workflow", str(workflow), "--items", str(items), "--out", str(out), "--retries", "1",
               "--server", comfy_server.url, "--server", second_server.url])
    log = run.communicate(timeout=300)[0]
    assert run.returncode == 1, log
    assert [p.name for p in finished(out)] == ["clip0", "clip1", "clip2"]
    failures = json.loads((out / "failures.json").read_text())
    assert list(failures) == ["broken"] and "more objects than the weights' 20 slots" in failures["broken"], failures
    assert "InstanceEnhancer" in failures["broken"]  # the server's own error names the node
    assert log.count("broken failed on") == 1 and "broken failed after 2 attempt(s)" in log  # 1 retry, then give up
    servers = {json.loads((p / "meta.json").read_text())["server"] for p in finished(out)}
    assert servers == {comfy_server.url, second_server.url}
    assert not (out / "items" / "broken").exists()

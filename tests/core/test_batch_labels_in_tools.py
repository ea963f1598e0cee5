"""The labels a batch run writes, read by the tools people evaluate trackers with: py-motmetrics reads each item as a
MOTChallenge sequence (1-based pixels, so it subtracts 1 and gets our 0-based box back exactly), and pycocotools reads
the dataset's COCO-VID file. Both are test-only dependencies (installed by .ci/run)."""

from __future__ import annotations

import configparser
import json

import cv2
import numpy as np
import pytest

from trackdiff_core import Tracklets
from trackdiff_core.batch.sequence import frame_names, write_frame, write_labels
from trackdiff_core.formats.coco_vid import VideoTracks, write_coco_vid

mm = pytest.importorskip("motmetrics", reason="py-motmetrics is a test-only dependency: pip install motmetrics")
coco_api = pytest.importorskip("pycocotools.coco", reason="pycocotools is a test-only dependency")

W, H, FRAMES = 64, 40, 3
# Pixel boxes (x1, y1, x2, y2), 0-based; the first touches the frame's top-left corner.
PIXELS = np.array([
    [[0, 0, 16, 10], [32, 20, 48, 40]],
    [[4, 2, 20, 12], [30, 18, 46, 38]],
    [[8, 4, 24, 14], [28, 16, 44, 36]],
], dtype=np.float32)


def tracklets() -> Tracklets:
    boxes = PIXELS / np.array([W, H, W, H], dtype=np.float32)
    visible = np.ones((FRAMES, 2), bool)
    visible[2, 1] = False  # the second object is hidden on the last frame: no row, no annotation
    return Tracklets(boxes, visible, [7, 9], ["car", "pedestrian"], None)


@pytest.fixture
def sequence(tmp_path):
    folder = tmp_path / "items" / "clip0"
    for t in range(FRAMES):
        ok, png = cv2.imencode(".png", np.full((H, W, 3), 40 * t, np.uint8))
        write_frame(folder, t, png.tobytes())
    write_labels(folder, "clip0", tracklets(), W, H, frame_rate=6)
    return folder


@pytest.mark.filterwarnings("ignore:Operation with tuple is deprecated")  # motmetrics 1.4.0's own "X - 1" on pandas 3
def test_each_item_is_a_motchallenge_sequence_motmetrics_reads_exactly(sequence):
    info = configparser.ConfigParser()
    info.read(sequence / "seqinfo.ini")
    assert dict(info["Sequence"]) == {"name": "clip0", "imdir": "img1", "framerate": "6", "seqlength": "3",
                                      "imwidth": "64", "imheight": "40", "imext": ".png"}
    assert sorted(p.name for p in (sequence / "img1").iterdir()) == ["000001.png", "000002.png", "000003.png"]
    assert cv2.imread(str(sequence / "img1" / "000001.png")).shape == (H, W, 3)

    gt = mm.io.loadtxt(str(sequence / "gt" / "gt.txt"), fmt="mot15-2D")
    assert list(gt.index) == [(1, 7), (1, 9), (2, 7), (2, 9), (3, 7)]
    for (frame, obj), row in gt.iterrows():
        x1, y1, x2, y2 = PIXELS[frame - 1, [7, 9].index(obj)]
        assert (row.X, row.Y, row.Width, row.Height) == (x1, y1, x2 - x1, y2 - y1)  # exact, after its "- 1"
    assert gt.loc[(1, 7)].X == 0.0 and gt.loc[(1, 7)].Y == 0.0  # the frame's left edge, not -1


def test_coco_vid_file_pycocotools_reads_exactly(sequence, tmp_path):
    video = VideoTracks("clip0", W, H, tracklets(), frame_names("clip0", FRAMES))
    path = tmp_path / "coco_vid.json"
    path.write_text(json.dumps(write_coco_vid([video])))
    coco = coco_api.COCO(str(path))
    images = coco.loadImgs(coco.getImgIds())
    assert [i["file_name"] for i in images] == [f"clip0/img1/00000{n}.png" for n in (1, 2, 3)]
    assert all((tmp_path / "items" / i["file_name"]).is_file() for i in images)  # relative to items/
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["car", "pedestrian"]
    for image in images:
        t = image["frame_id"]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        got = {a["instance_id"]: a["bbox"] for a in anns}
        want = {obj: [float(v) for v in (*PIXELS[t, n, :2], *(PIXELS[t, n, 2:] - PIXELS[t, n, :2]))]
                for n, obj in enumerate((7, 9)) if tracklets().visible[t, n]}
        assert got == want  # COCO boxes are 0-based [x, y, w, h]: the corner box is at 0, 0

"""``python -m trackdiff_core.training prepare`` on small sources each test writes itself — a YouTube-VIS JSON with RLE
and polygon masks, a DAVIS folder, a MOT sequence, an mp4 written with PyAV — gives clips whose point tracks follow
the motion the test drew; reruns resume; bad input gets a named error and no clip."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from trackdiff_core.training.clips import ClipFolder
from trackdiff_core.training.cli import main
from trackdiff_core.training.prepare import PrepareOptions, run_prepare
from trackdiff_core.training.prepare.rle import counts_from_string, counts_to_string, decode_rle, mask_to_counts

W, H, T, SIDE, CLIP = 192, 160, 6, 64, 128  # the source; clips are 128×128: scaled by 0.8, 13 px cut left and right
SCALE, LEFT = 0.8, (round(W * 0.8) - CLIP) // 2
OBJECTS = {1: ((16, 16), (5, 2)), 2: ((104, 80), (-5, 0))}  # id: (top-left corner, pixels per frame)
OPTIONS = PrepareOptions(frames=T, stride=1, width=CLIP, height=CLIP, points_per_object=16, max_objects=4,
                         min_motion=1.0)


def texture(height, width, seed):
    noise = np.random.default_rng(seed).integers(0, 256, (height // 4, width // 4, 3)).astype(np.uint8)
    return cv2.GaussianBlur(cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC), (3, 3), 0)


def scene():
    """Frames of two textured squares moving at constant speed over a still textured background, and their masks."""
    background = texture(H, W, 0)
    patches = {i: texture(SIDE, SIDE, i) for i in OBJECTS}
    frames, masks = [], []
    for t in range(T):
        frame = background.copy()
        mask = np.zeros((len(OBJECTS), H, W), bool)
        for n, (i, ((x, y), (vx, vy))) in enumerate(OBJECTS.items()):
            x0, y0 = x + vx * t, y + vy * t
            frame[y0:y0 + SIDE, x0:x0 + SIDE] = patches[i]
            mask[n, y0:y0 + SIDE, x0:x0 + SIDE] = True
        frames.append(frame)
        masks.append(mask)
    return np.stack(frames), np.stack(masks)


def write_jpegs(folder: Path, frames, pattern="{:05d}.jpg", first=0):
    folder.mkdir(parents=True, exist_ok=True)
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / pattern.format(t + first)), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 98])


def assert_tracks_follow_the_drawn_motion(clip, velocities, objects=None):
    """Each object's visible points move (median) by its velocity, scaled to the clip, per frame (``objects``: the
    clip's object of each velocity, by default 0, 1, ...)."""
    points = clip.trajectories.points * (CLIP, CLIP)
    visible = clip.trajectories.visible
    assert clip.frames.shape == (T, CLIP, CLIP, 3)
    if objects is None:
        assert len(clip.masks) == len(velocities)
        objects = range(len(velocities))
    for n, velocity in zip(objects, velocities):
        members = clip.trajectories.groups == n
        assert members.sum() >= 8
        for t in range(1, T):
            seen = members & visible[t]
            assert seen.sum() >= 3, (n, t)  # the tracker hides the points it doubts (a third to a half here)
            moved = np.median(points[t, seen] - points[0, seen], axis=0)
            # to a pixel and 12 %: the tracker's first version under-reads motion by 4-9 % on these textures
            np.testing.assert_allclose(moved, np.array(velocity) * SCALE * t, rtol=0.12, atol=1.0,
                                       err_msg=f"object {n} frame {t}")


def test_rle_round_trip_of_the_coco_string_format():
    mask = np.zeros((7, 9), bool)
    mask[2:5, 3:8] = True
    mask[0, 0] = True
    counts = mask_to_counts(mask)
    assert counts_from_string(counts_to_string(counts)) == counts
    assert (decode_rle({"size": [7, 9], "counts": counts_to_string(counts)}) == mask).all()
    assert (decode_rle({"size": [7, 9], "counts": counts}) == mask).all()


def test_youtube_vis_json_with_rle_and_polygons(tmp_path):
    frames, masks = scene()
    write_jpegs(tmp_path / "jpg" / "vid0", frames)
    notes = []
    for n, i in enumerate(OBJECTS):
        if n == 0:  # RLE (COCO's compressed string)
            segmentations = [{"size": [H, W], "counts": counts_to_string([int(c) for c in mask_to_counts(masks[t, n])])}
                             for t in range(T)]
        else:  # polygons
            segmentations = []
            for t in range(T):
                ys, xs = np.nonzero(masks[t, n])
                x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
                segmentations.append([[x0, y0, x1, y0, x1, y1, x0, y1]])
        notes.append({"id": i, "video_id": 1, "category_id": 7, "segmentations": segmentations})
    data = {"videos": [{"id": 1, "height": H, "width": W, "file_names": [f"vid0/{t:05d}.jpg" for t in range(T)]}],
            "annotations": notes, "categories": [{"id": 7, "name": "square"}]}
    (tmp_path / "train.json").write_text(json.dumps(data))
    out = tmp_path / "clips"
    args = ["prepare", "--source", "youtube-vis", "--root", str(tmp_path / "jpg"), "--annotations",
            str(tmp_path / "train.json"), "--out", str(out), "--frames", str(T), "--width", str(CLIP), "--height", str(CLIP),
            "--points-per-object", "16", "--min-motion", "1", "--workers", "1"]
    assert main(args) == 0
    clips = ClipFolder(str(out))
    assert len(clips) == 1
    clip = clips.clip(0)
    assert list(clip.tracklets.ids) == [1, 2] and list(clip.tracklets.labels) == ["square", "square"]
    assert_tracks_follow_the_drawn_motion(clip, [v for _, v in OBJECTS.values()])
    summary = json.loads((out / "prepare_summary.json").read_text())
    assert (summary["written"], summary["existing"], summary["failed"]) == (1, 0, {})
    assert main(args) == 0  # a rerun resumes: nothing written again
    assert json.loads((out / "prepare_summary.json").read_text())["existing"] == 1


def test_davis_folders_in_two_processes_and_a_mask_of_the_wrong_size(tmp_path):
    frames, masks = scene()
    colours = [(0, 0, 128), (0, 128, 0)]  # BGR, as DAVIS's palette colours one object each
    for seq in ("walk", "bad"):
        write_jpegs(tmp_path / "JPEGImages" / "480p" / seq, frames)
        folder = tmp_path / "Annotations" / "480p" / seq
        folder.mkdir(parents=True)
        for t in range(T):
            png = np.zeros((H, W, 3), np.uint8)
            for n, colour in enumerate(colours):
                png[masks[t, n]] = colour
            if seq == "bad" and t == 2:
                png = png[: H // 2, : W // 2]
            cv2.imwrite(str(folder / f"{t:05d}.png"), png)
    summary = run_prepare("davis", str(tmp_path), str(tmp_path / "clips"), OPTIONS, workers=2)
    assert summary.written == 1 and list(summary.failed) == ["480p_bad"]
    assert "mask:" in summary.failed["480p_bad"] and "is 96×80 but its frame is 192×160" in summary.failed["480p_bad"]
    assert sorted(p.name for p in (tmp_path / "clips").iterdir()) == ["480p_walk__000000.safetensors",
                                                                        "prepare_summary.json"]
    assert_tracks_follow_the_drawn_motion(ClipFolder(str(tmp_path / "clips")).clip(0), [v for _, v in OBJECTS.values()])


def test_mot_sequence_boxes_become_box_masks_and_are_kept(tmp_path):
    frames, masks = scene()
    sequence = tmp_path / "MOT17-02"
    write_jpegs(sequence / "img1", frames, "{:06d}.jpg", first=1)
    rows = []
    for t in range(T):
        for n, i in enumerate(OBJECTS):
            ys, xs = np.nonzero(masks[t, n])
            rows.append(f"{t + 1},{i},{xs.min()},{ys.min()},{SIDE},{SIDE},1,1,1.0")
    (sequence / "gt").mkdir()
    (sequence / "gt" / "gt.txt").write_text("\n".join(rows) + "\n")
    summary = run_prepare("mot", str(tmp_path), str(tmp_path / "clips"), OPTIONS)
    assert summary.written == 1, summary
    clip = ClipFolder(str(tmp_path / "clips")).clip(0)
    assert_tracks_follow_the_drawn_motion(clip, [v for _, v in OBJECTS.values()])
    (x, y), (vx, vy) = OBJECTS[1]
    expected = np.array([x + vx * 3, y + vy * 3, x + vx * 3 + SIDE, y + vy * 3 + SIDE]) * SCALE - [LEFT, 0, LEFT, 0]
    np.testing.assert_allclose(clip.tracklets.boxes[3, 0] * CLIP, expected, atol=1.0)
    # a gt.txt naming a frame the sequence does not have: a named error, no clip
    (sequence / "gt" / "gt.txt").write_text("\n".join(rows + [f"{T + 5},1,1,1,5,5,1,1,1.0"]) + "\n")
    summary = run_prepare("mot", str(tmp_path), str(tmp_path / "again"), OPTIONS)
    assert summary.written == 0 and "names frame 11, which is not in" in summary.failed["MOT17-02"]
    assert not list((tmp_path / "again").glob("*.safetensors*"))


def write_mp4(path: Path, frames):
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=6, options={"crf": "4"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))


def test_a_folder_of_videos_finds_the_moving_objects_and_names_a_broken_video(tmp_path):
    frames, _ = scene()
    videos = tmp_path / "videos"
    videos.mkdir()
    write_mp4(videos / "squares.mp4", frames)
    (videos / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video at all" * 4)
    summary = run_prepare("videos", str(videos), str(tmp_path / "clips"), OPTIONS)
    assert summary.written == 1 and list(summary.failed) == ["broken"]
    error = summary.failed["broken"]
    assert error.startswith("video: cannot be decoded") and "(got 'broken.mp4')" in error and "Fix: re-encode" in error
    clip = ClipFolder(str(tmp_path / "clips")).clip(0)
    # the two squares, found from their motion alone: a region centred on each (the tracker's first version drags some
    # background below a square along, which can add a region of its own: at most one here)
    assert 2 <= len(clip.masks) <= 3
    centres = np.array([np.argwhere(m)[:, ::-1].mean(axis=0) for m in clip.masks])
    found = []
    for (x, y), _ in OBJECTS.values():
        drawn = np.array([(x + SIDE / 2) * SCALE - LEFT, (y + SIDE / 2) * SCALE])
        distances = np.linalg.norm(centres - drawn, axis=1)
        assert distances.min() < 4.0, (drawn, centres)
        found.append(int(distances.argmin()))
    assert_tracks_follow_the_drawn_motion(clip, [v for _, v in OBJECTS.values()], found)


def test_filters_skip_still_and_crowded_clips_and_say_so(tmp_path):
    frames, masks = scene()
    still = np.repeat(frames[:1], T, axis=0)
    write_jpegs(tmp_path / "JPEGImages" / "still", still)
    folder = tmp_path / "Annotations" / "still"
    folder.mkdir(parents=True)
    for t in range(T):
        png = np.zeros((H, W), np.uint8)
        png[masks[0, 0]] = 1
        png[masks[0, 1]] = 2
        cv2.imwrite(str(folder / f"{t:05d}.png"), png)
    summary = run_prepare("davis", str(tmp_path), str(tmp_path / "clips"), OPTIONS)
    assert summary.written == 0 and summary.skipped == {"too little motion": 1}
    crowded = PrepareOptions(**{**OPTIONS.__dict__, "max_objects": 1, "min_motion": 0.0})
    summary = run_prepare("davis", str(tmp_path), str(tmp_path / "clips2"), crowded)
    assert summary.skipped == {"too many objects": 1}

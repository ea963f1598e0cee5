"""Spread batch items over ComfyUI servers; write each video with its labels; resume without redoing finished items.

Output layout (``out``)::

    items/<name>/seqinfo.ini          a MOTChallenge sequence (TrackEval / py-motmetrics read it as it is):
    items/<name>/img1/000001.png …      the generated frames, in order, numbered from 1
    items/<name>/gt/gt.txt              MOT labels at the generated size and frame count (pixels from 1)
    items/<name>/tracklets.json       the same labels as a TrackDiff box document (one keyframe per frame)
    items/<name>/meta.json            seed, server, prompt id, frame count and size, attempts, and the motion
                                      fidelity: how far the video strays from the boxes (pixels; batch/fidelity.py)
    annotations/coco_vid.json         every finished item, COCO-VID layout (file names relative to items/)
    annotations/youtube_vis.json      the same, YouTube-VIS layout
    failures.json                     items that failed in the last run, with the server's error

``items/`` is thus also a MOTChallenge split folder: point TrackEval's ``GT_FOLDER`` (or ``motmetrics``' loaders) at it.

An item is written under ``.partial/<name>`` and moved to ``items/<name>`` only when complete, so an interrupted run
leaves no half result behind; an item whose folder exists is finished and is never run or written again. The two
annotation files are derived from the finished items and rebuilt at the end of every run.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..crop import center_crop_box, crop_document
from ..formats.coco_vid import VideoTracks, write_coco_vid, write_youtube_vis
from ..tracklet_document import TrackletDocument
from .client import ComfyClient, ServerError
from .fidelity import item_fidelity
from .items import BatchItem
from .labels import item_tracklets
from .sequence import frame_names, write_frame, write_labels
from .workflow import PromptTemplate

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    total: int
    finished: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already finished by an earlier run
    failed: dict[str, str] = field(default_factory=dict)  # name -> last server error

    @property
    def ok(self) -> bool:
        return not self.failed


class BatchRunner:
    def __init__(self, servers: list[str], template: PromptTemplate, items: list[BatchItem], out: Path,
                 retries: int = 2, seed: int = 0, timeout: float = 3600.0, limit: int | None = None):
        self.clients = [ComfyClient(url) for url in servers]
        self.template = template
        self.items = items
        self.out = Path(out)
        self.retries = retries
        self.seed = seed
        self.timeout = timeout
        self.limit = limit
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # -- paths ---------------------------------------------------------------------------------------------------------
    def item_dir(self, item: BatchItem) -> Path:
        return self.out / "items" / item.name

    def partial_dir(self, item: BatchItem) -> Path:
        return self.out / ".partial" / item.name

    # -- running -------------------------------------------------------------------------------------------------------
    def run(self) -> BatchReport:
        report = BatchReport(total=len(self.items))
        todo: queue.Queue = queue.Queue()
        for index, item in enumerate(self.items):
            if self.item_dir(item).exists():
                report.skipped.append(item.name)
            else:
                todo.put((index, item, 0))
        pending = todo.qsize() if self.limit is None else min(todo.qsize(), self.limit)
        log.info("%d items: %d already finished, %d to generate on %d server(s)",
                 len(self.items), len(report.skipped), pending, len(self.clients))
        budget = [pending]
        workers = [threading.Thread(target=self._worker, args=(client, todo, report, budget), daemon=True)
                   for client in self.clients]
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                while worker.is_alive():
                    worker.join(timeout=0.2)
        except KeyboardInterrupt:
            self._stop.set()
            log.warning("interrupted: finishing nothing new; finished items are kept, run again to resume")
            raise
        self.write_annotations()
        (self.out / "failures.json").write_text(json.dumps(report.failed, indent=2))
        return report

    def _worker(self, client: ComfyClient, todo: queue.Queue, report: BatchReport, budget: list[int]) -> None:
        while not self._stop.is_set():
            with self._lock:
                if budget[0] <= 0:
                    return
                try:
                    index, item, attempts = todo.get_nowait()
                except queue.Empty:
                    return
                budget[0] -= 1
            started = time.monotonic()
            try:
                self.run_item(client, index, item, attempts + 1)
            except (ServerError, OSError, ValueError) as exc:
                attempts += 1
                with self._lock:
                    if attempts <= self.retries and not self._stop.is_set():
                        log.warning("%s failed on %s (attempt %d of %d): %s", item.name, client.url, attempts,
                                    self.retries + 1, exc)
                        todo.put((index, item, attempts))
                        budget[0] += 1
                    else:
                        log.error("%s failed after %d attempt(s): %s", item.name, attempts, exc)
                        report.failed[item.name] = str(exc)
                continue
            with self._lock:
                report.finished.append(item.name)
                done = len(report.finished) + len(report.skipped) + len(report.failed)
                log.info("[%d/%d] %s done on %s in %.1f s", done, report.total, item.name, client.url,
                         time.monotonic() - started)

    def run_item(self, client: ComfyClient, index: int, item: BatchItem, attempt: int) -> Path:
        partial = self.partial_dir(item)
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        image = client.upload_image(item.image_path, f"{item.name}{item.image_path.suffix.lower()}")
        seed = self.seed + index
        document = self.generated_frame_document(item)
        prompt = self.template.instantiate(image, item.kind, document.dumps(), seed, f"trackdiff_batch/{item.name}")
        prompt_id = client.queue(prompt)
        outputs = client.wait(prompt_id, self.timeout)
        images = (outputs.get(self.template.output_node) or {}).get("images") or []
        if not images:
            raise ServerError(f"{client.url}: node {self.template.output_node} returned no images")
        width = height = None
        frames = []
        for frame, ref in enumerate(images):
            data = client.view(ref)
            decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if decoded is None:
                raise ServerError(f"{client.url}: frame {frame} of {item.name} is not an image")
            if frame == 0:
                height, width = decoded.shape[:2]
            frames.append(decoded)
            write_frame(partial, frame, data)
        tracklets = item_tracklets(document, len(images))
        write_labels(partial, item.name, tracklets, width, height, self.template.frame_rate)
        (partial / "tracklets.json").write_text(TrackletDocument.from_tracklets(tracklets, simplify=False).dumps())
        meta = {"item": item.name, "image": str(item.image_path), "seed": seed, "server": client.url,
                "prompt_id": prompt_id, "frames": len(images), "width": width, "height": height, "attempts": attempt,
                "kind": item.kind, "motion_fidelity": item_fidelity(tracklets, frames)}
        (partial / "meta.json").write_text(json.dumps(meta, indent=2))
        final = self.item_dir(item)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # finished meanwhile by another run: never overwrite it
            shutil.rmtree(partial)
            return final
        partial.rename(final)
        return final

    def generated_frame_document(self, item: BatchItem):
        """The item's tracks in the frame SVD generates: ComfyUI centre-crops the image to the video's aspect, so
        tracks made on the whole image are moved into that crop (a no-op when the aspects match)."""
        size = self.template.generation_size
        if size is None:
            return item.document
        return crop_document(item.document, center_crop_box(*item.size, *size))

    # -- dataset-wide labels -------------------------------------------------------------------------------------------
    def write_annotations(self) -> None:
        videos = []
        for item in self.items:
            folder = self.item_dir(item)
            if not (folder / "meta.json").exists():
                continue
            meta = json.loads((folder / "meta.json").read_text())
            tracklets = TrackletDocument.parse((folder / "tracklets.json").read_text()).to_tracklets()
            names = frame_names(item.name, meta["frames"])
            videos.append(VideoTracks(item.name, meta["width"], meta["height"], tracklets, names))
        target = self.out / "annotations"
        target.mkdir(parents=True, exist_ok=True)
        for name, writer in (("coco_vid.json", write_coco_vid), ("youtube_vis.json", write_youtube_vis)):
            temporary = target / f".{name}.tmp"
            temporary.write_text(json.dumps(writer(videos)))
            temporary.replace(target / name)

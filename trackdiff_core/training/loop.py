"""The training loop: any :class:`~trackdiff_core.training.tasks.TrainingTask` on any backend.

An output folder holds

* ``log.jsonl`` — one JSON object per step (``step``, ``loss`` and the task's values, ``grad_norm``, ``lr``, ``seconds``)
  and per evaluation (``eval_loss``: the loss on fixed held-out clips with fixed noise, so it is comparable over time;
  and, for tasks that give a prediction with and without their control, ``placement/<σ>/with|without|ratio``: the
  one-step prediction error per σ inside the objects' boxes, :mod:`.placement_eval`);
* ``checkpoints/step_NNNNNNN.safetensors`` — the task's weights in TrackDiff's format — and
  ``step_NNNNNNN.optimizer.safetensors`` — AdamW's state (safetensors too, never pickle); the last ``keep`` are kept;
* the task's final file (e.g. ``trackgo_adapter.safetensors``).

A step draws ``world_size · batch_size · grad_accum`` samples (:mod:`.distributed`); every random choice of sample
number ``g`` of the run (the clip, ``σ``, the noise, the points) comes from a generator seeded with ``(seed, g)``, so a
run resumed from a checkpoint continues exactly as if it had never stopped (with one process and batch 1, sample ``g``
is step ``g``). Under ``torchrun`` each rank computes its share and DDP averages the gradients; rank 0 alone writes.
Checkpoints are written file by file to a temporary name and renamed, the weights last: a checkpoint is complete when
both its files exist, so a kill leaves no half-written one behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import TrackDiffError
from . import distributed
from .backend import ModelBackend
from .checkpointing import checkpoint_forwards
from .distributed import Ranks
from .divergence import DivergenceWatch
from .placement_eval import placement_errors
from .task import TrainingTask

log = logging.getLogger(__name__)

STATE_FORMAT = "trackdiff.training_state"
STATE_VERSION = "1"
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}
_CHECKPOINT = re.compile(r"^step_(\d{7})\.safetensors$")
EVAL_OFFSET = 1 << 30  # held-out clip indices of endless datasets


def step_generator(seed: int, step: int) -> torch.Generator:
    """The generator of sample number ``step`` of a run (with one process and batch 1: of step ``step``)."""
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + int(step)) & 0x7FFFFFFFFFFFFFFF)


def clip_index(dataset, step: int, seed: int) -> int:
    """The clip of sample number ``step``. Endless datasets: clip ``step``. Finite ones: a fresh seeded permutation
    every epoch."""
    if getattr(dataset, "endless", False):
        return int(step)
    count = len(dataset)
    epoch, position = divmod(int(step), count)
    order = np.random.default_rng([int(seed) & 0xFFFFFFFF, epoch]).permutation(count)
    return int(order[position])


class BatchLoss(torch.nn.Module):
    """The mean loss of a task over a few clips: the module DDP wraps (its parameters are the task's module's)."""

    def __init__(self, task: TrainingTask, module: torch.nn.Module, backend: ModelBackend):
        super().__init__()
        self.module = module
        self.task, self.backend = task, backend

    def forward(self, clips: list, generators: list[torch.Generator]):
        losses, values = [], []
        for clip, generator in zip(clips, generators):
            loss, logged = self.task.loss(self.module, clip, self.backend, generator)
            losses.append(loss)
            values.append(logged)
        return torch.stack(losses).mean(), values


def _mean_values(values: list[dict]) -> dict:
    if len(values) == 1:
        return values[0]
    keys = [k for k in values[0] if all(isinstance(v.get(k), (int, float)) for v in values)]
    return {k: float(np.mean([v[k] for v in values])) for k in keys}


@dataclass
class TrainingResult:
    output: Path
    steps: int
    module: torch.nn.Module | None = None  # the trained modules, as they were saved
    backend: ModelBackend | None = None
    history: list[dict] = field(default_factory=list)
    evaluations: list[dict] = field(default_factory=list)


class Trainer:
    def __init__(self, task: TrainingTask, backend: ModelBackend, dataset, out_dir: str, steps: int,
                 lr: float = 1e-4, weight_decay: float = 0.0, seed: int = 0, save_every: int = 500, keep: int = 3,
                 resume: bool = False, init: str | None = None, grad_clip: float = 1.0, eval_every: int = 0,
                 eval_clips: int = 4, log_every: int = 10, batch_size: int = 1, grad_accum: int = 1,
                 precision: str = "fp32", checkpointing: bool = False, ranks: Ranks | None = None):
        if steps < 1:
            raise TrackDiffError("--steps", steps, "must be at least 1", "train for one step or more")
        for name, value in (("--batch-size", batch_size), ("--grad-accum", grad_accum)):
            if not isinstance(value, int) or not 1 <= value <= 4096:
                raise TrackDiffError(name, value, "must be a whole number from 1 to 4096", "leave it out for 1")
        if precision not in PRECISIONS:
            raise TrackDiffError("--precision", precision, "is not a training precision",
                                 f"use one of {', '.join(PRECISIONS)}")
        self.batch_size, self.grad_accum, self.precision = batch_size, grad_accum, precision
        self.checkpointing = bool(checkpointing)
        self.ranks = ranks or Ranks()
        self.task, self.backend, self.dataset = task, backend, dataset
        self.out = Path(out_dir)
        self.steps, self.lr, self.weight_decay, self.seed = int(steps), float(lr), float(weight_decay), int(seed)
        self.save_every, self.keep, self.resume, self.init = max(1, int(save_every)), max(1, int(keep)), resume, init
        self.grad_clip, self.eval_every, self.eval_clips, self.log_every = grad_clip, int(eval_every), int(eval_clips), \
            max(1, int(log_every))
        self.module: torch.nn.Module | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.step_module: torch.nn.Module | None = None  # what computes a micro-step's loss (DDP-wrapped on several ranks)

    # -- checkpoints ---------------------------------------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return self.out / "checkpoints"

    def checkpoints(self) -> list[tuple[int, Path]]:
        if not self.checkpoint_dir.is_dir():
            return []
        found = []
        for path in self.checkpoint_dir.iterdir():
            match = _CHECKPOINT.match(path.name)
            if match and path.with_name(path.name.replace(".safetensors", ".optimizer.safetensors")).is_file():
                found.append((int(match.group(1)), path))
        return sorted(found)

    def _save_checkpoint(self, step: int) -> Path:
        from safetensors.torch import save_file

        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        path = self.checkpoint_dir / f"step_{step:07d}.safetensors"
        state = self.optimizer.state_dict()
        tensors = {f"state.{index}.{key}": value.detach().cpu().contiguous() if torch.is_tensor(value)
                   else torch.tensor(value) for index, entries in state["state"].items() for key, value in entries.items()}
        metadata = {"format": STATE_FORMAT, "format_version": STATE_VERSION, "task": self.task.name,
                    "step": str(step), "param_groups": json.dumps(state["param_groups"]),
                    "world_size": str(self.ranks.world_size), "batch_size": str(self.batch_size),
                    "grad_accum": str(self.grad_accum)}
        optimizer_path = path.with_name(path.name.replace(".safetensors", ".optimizer.safetensors"))
        tmp = optimizer_path.with_name(optimizer_path.name + ".tmp")
        save_file(tensors, str(tmp), metadata=metadata)
        tmp.replace(optimizer_path)
        self.task.save(self.module, str(path), step)  # last: the pair is complete once this file exists (atomic)
        for old_step, old in self.checkpoints()[:-self.keep]:
            old.unlink(missing_ok=True)
            old.with_name(old.name.replace(".safetensors", ".optimizer.safetensors")).unlink(missing_ok=True)
        return path

    def _load_optimizer(self, path: Path) -> int:
        from ..trackgo.weights import read_safetensors

        optimizer_path = path.with_name(path.name.replace(".safetensors", ".optimizer.safetensors"))
        tensors, metadata = read_safetensors(str(optimizer_path))
        if metadata.get("format") != STATE_FORMAT or metadata.get("task") != self.task.name:
            raise TrackDiffError("checkpoint", optimizer_path.name, f"is not a {self.task.name} training state",
                                 "resume with the task that wrote it, or use a new --out folder")
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
        self.optimizer.load_state_dict({"state": state, "param_groups": json.loads(metadata["param_groups"])})
        return int(metadata["step"])

    # -- running -------------------------------------------------------------------------------------------------------
    def _setup(self) -> int:
        self.out.mkdir(parents=True, exist_ok=True)
        existing = self.checkpoints()
        if existing and not self.resume:
            raise TrackDiffError("--out", str(self.out), f"already holds checkpoints (up to step {existing[-1][0]})",
                                 "pass --resume to continue that run, or choose a new --out folder")
        start = 0
        if existing:
            start, path = existing[-1]
            self.module = self.task.load(str(path), self.backend)
        elif self.init:
            self.module = self.task.load(self.init, self.backend)
        else:
            self.module = self.task.build(self.backend)
        self.module.to(self.backend.device).train()
        params = self.task.trainable_parameters(self.module)
        if not params:
            raise TrackDiffError("task", self.task.name, "has no trainable parameter", "check the task")
        self.optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        if existing:
            start = self._load_optimizer(existing[-1][1])
            if self.ranks.main:
                log.info("resumed %s from step %d (%s)", self.task.name, start, existing[-1][1])
        for group in self.optimizer.param_groups:  # a task's group may ask for a multiple of --lr (its "lr_scale")
            group["lr"] = self.lr * float(group.get("lr_scale", 1.0))  # on resume too: --lr is this run's
        self.task.attach(self.backend, self.module)
        if self.checkpointing:
            blocks = getattr(self.backend, "frozen_blocks", None)
            if blocks is None:
                raise TrackDiffError("--checkpointing", True, f"needs the backend's frozen blocks, which "
                                     f"{type(self.backend).__name__} does not give", "leave out --checkpointing")
            checkpoint_forwards(blocks())
        self.step_module = BatchLoss(self.task, self.module, self.backend)
        if self.ranks.distributed:
            device = self.backend.device
            self.step_module = torch.nn.parallel.DistributedDataParallel(
                self.step_module, device_ids=[device.index if device.index is not None else torch.cuda.current_device()]
                if device.type == "cuda" else None,
                find_unused_parameters=True)  # a task may leave a module out of a step (e.g. a dropped condition)
        return start

    def _write(self, record: dict) -> None:
        if not self.ranks.main:
            return
        with open(self.out / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def evaluate(self) -> float:
        """The mean loss over ``eval_clips`` fixed held-out clips with fixed noise (no gradient)."""
        losses = []
        with torch.no_grad():
            for index, clip in enumerate(self._eval_clips()):
                loss, _ = self.task.loss(self.module, clip, self.backend, step_generator(self.seed + 7919, index))
                losses.append(float(loss))
        return float(np.mean(losses))

    def _micro_step(self, step: int, samples: list[int]) -> tuple[torch.Tensor, dict]:
        clips = [self.dataset.clip(clip_index(self.dataset, g, self.seed)) for g in samples]
        generators = [step_generator(self.seed, g) for g in samples]
        dtype = PRECISIONS[self.precision]
        with torch.autocast(self.backend.device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss, values = self.step_module(clips, generators)
        return loss.float(), _mean_values(values)

    def step(self, step: int, params: list) -> dict:
        """One optimizer step (every rank calls it); returns the step's record (loss averaged over all its samples)."""
        began = time.perf_counter()
        self.optimizer.zero_grad(set_to_none=True)
        micro_steps = distributed.rank_samples(step, self.ranks, self.batch_size, self.grad_accum)
        total, values = 0.0, []
        for index, samples in enumerate(micro_steps):
            last = index == len(micro_steps) - 1
            sync = self.step_module.no_sync() if self.ranks.distributed and not last else contextlib.nullcontext()
            with sync:
                loss, logged = self._micro_step(step, samples)
                (loss / self.grad_accum).backward()  # every rank, finite or not (DDP's reduction waits for all)
            total += float(loss.detach()) / self.grad_accum
            values.append(logged)
        total = distributed.mean_over_ranks(total, self.ranks, self.backend.device)
        if not math.isfinite(total):
            raise TrackDiffError("loss", total, f"is not finite at step {step + 1}",
                                 "lower --lr, or resume from the last checkpoint")
        norm = torch.nn.utils.clip_grad_norm_(params, self.grad_clip if self.grad_clip > 0 else math.inf)
        self.optimizer.step()
        return {"step": step + 1, "loss": total, **_mean_values(values), "grad_norm": float(norm), "lr": self.lr,
                "seconds": round(time.perf_counter() - began, 4)}

    def run(self) -> TrainingResult:
        start = self._setup()
        result = TrainingResult(self.out / self.task.output_name, self.steps, self.module, self.backend)
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        main = self.ranks.main
        watch, warned_at = DivergenceWatch.resumed(self.out / "log.jsonl", start), None
        if self.eval_every and start == 0 and main:
            result.evaluations.append(self._evaluation(0))
        for step in range(start, self.steps):
            record = self.step(step, params)
            self._write(record)
            result.history.append(record)
            jump = watch.update(record["grad_norm"])
            if main and jump is not None and (warned_at is None or step + 1 - warned_at >= 500):
                warned_at = step + 1
                log.warning("%s step %d: the gradient norm %.3g is %.0f× its median over the last steps: the run may "
                            "be diverging (clipping hides it; watch the held-out loss). Lower --lr and start again "
                            "from a checkpoint before it", self.task.name, step + 1, record["grad_norm"], jump)
            if main and ((step + 1) % self.log_every == 0 or step + 1 == self.steps):
                log.info("%s step %d/%d loss %.5f", self.task.name, step + 1, self.steps, record["loss"])
            if main and self.eval_every and ((step + 1) % self.eval_every == 0 or step + 1 == self.steps):
                result.evaluations.append(self._evaluation(step + 1))
            if main and ((step + 1) % self.save_every == 0 or step + 1 == self.steps):
                self._save_checkpoint(step + 1)
        if main:
            self.task.save(self.module, str(result.output), self.steps)
            log.info("%s: wrote %s", self.task.name, result.output)
        distributed.barrier(self.ranks)
        return result

    def _eval_clips(self) -> list:
        return [self.dataset.clip(EVAL_OFFSET + index if getattr(self.dataset, "endless", False)
                                  else index % len(self.dataset)) for index in range(self.eval_clips)]

    def _evaluation(self, step: int) -> dict:
        record = {"step": step, "eval_loss": self.evaluate()}
        placement = placement_errors(self.task, self.module, self.backend, self._eval_clips(), self.seed + 7919)
        record.update(placement)
        self._write(record)
        ratios = " ".join(f"σ {key.split('/')[1]}: {value:.3f}" for key, value in placement.items()
                          if key.endswith("/ratio"))
        log.info("%s step %d eval loss %.5f%s", self.task.name, step, record["eval_loss"],
                 f"; placement error with ÷ without control, {ratios}" if ratios else "")
        return record

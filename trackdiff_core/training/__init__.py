"""Training TrackDiff's modules with the video model frozen (``python -m trackdiff_core.training``).

* :mod:`.task` — the task interface (what to build, train, save); :mod:`.tasks` — the list of tasks (``trackgo``,
  ``trackdiffusion``, ``instance_enhancer``, ``backbone``), which imports their modules (never the other way);
* :mod:`.loop` — the trainer: AdamW, checkpoints, exact resume, ``log.jsonl``, evaluation on held-out clips
  (:mod:`.placement_eval`); :mod:`.distributed` — DDP under ``torchrun``; :mod:`.checkpointing` — gradient
  checkpointing of the frozen blocks;
* :mod:`.prepare` — real videos → clip files (``prepare``); :mod:`.evaluate` — held-out clips scored through a running
  ComfyUI (``evaluate``);
* :mod:`.backend` — where the frozen model comes from (ComfyUI as a library, through ``nodes/training_backend.py``);
* :mod:`.clips`, :mod:`.synthetic` — training clips, their file format, and a synthetic generator;
* :mod:`.edm` — SVD's EDM denoising loss.

Nothing here imports ComfyUI. ``docs/training.md`` explains how to run it.
"""

from .clips import Clip, ClipFolder, load_clip, save_clip
from .loop import Trainer, TrainingResult
from .synthetic import SyntheticClips
from .task import TrainingTask

__all__ = [
    "TASKS",
    "Clip",
    "ClipFolder",
    "SyntheticClips",
    "Trainer",
    "TrainingResult",
    "TrainingTask",
    "get_task",
    "load_clip",
    "save_clip",
]


def __getattr__(name: str):
    """``TASKS`` and ``get_task`` come from :mod:`.tasks` when first asked for, so that importing one task module
    does not import every other one through the list."""
    if name in ("TASKS", "get_task"):
        from . import tasks

        return getattr(tasks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

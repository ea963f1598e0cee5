"""Training TrackDiff's modules with the video model frozen (``python -m trackdiff_core.training``).

* :mod:`.tasks` — the task interface (what to build, train, save) and the registry: ``trackgo``
  (:mod:`.trackgo_task`) and TrackDiffusion's ``instance_enhancer`` (:mod:`.instance_enhancer_task`);
* :mod:`.loop` — the trainer: AdamW, checkpoints, exact resume, ``log.jsonl``, evaluation on held-out clips;
* :mod:`.backend` — where the frozen model comes from (ComfyUI as a library, through ``nodes/training_backend.py``);
* :mod:`.clips`, :mod:`.synthetic` — training clips, their file format, and a synthetic generator;
* :mod:`.edm` — SVD's EDM denoising loss.

Nothing here imports ComfyUI. ``docs/training.md`` explains how to run it.
"""

from .clips import Clip, ClipFolder, load_clip, save_clip
from .loop import Trainer, TrainingResult
from .synthetic import SyntheticClips
from .tasks import TASKS, TrainingTask, get_task, register_task

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
    "register_task",
    "save_clip",
]

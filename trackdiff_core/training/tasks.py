"""The training tasks that exist: each a sub-command of ``python -m trackdiff_core.training``.

The dependency goes one way: this list imports the task modules, and a task module imports only the base class
(:mod:`.task`), never this list. To add a task, write a module with a :class:`~.task.TrainingTask` subclass and add one
line to :data:`BUILTIN_TASKS`; the CLI gets a sub-command with the task's own options.

* ``trackgo`` (:mod:`.trackgo_task`): TrackGo's encoder and adapter;
* ``trackdiffusion`` (:mod:`.trackdiffusion_task`): TrackDiffusion's box control from scratch;
* ``instance_enhancer`` (:mod:`.instance_enhancer_task`): TrackDiffusion's Instance Enhancer;
* ``backbone`` (:mod:`.backbone_task`): the video model itself, with no control, for the toy-world proof.
"""

from __future__ import annotations

from ..errors import TrackDiffError
from .backbone_task import BackboneTask
from .instance_enhancer_task import InstanceEnhancerTask
from .task import TrainingTask
from .trackdiffusion_task import TrackDiffusionTask
from .trackgo_task import TrackGoTask

BUILTIN_TASKS: tuple[type[TrainingTask], ...] = (
    TrackGoTask,
    TrackDiffusionTask,
    InstanceEnhancerTask,
    BackboneTask,
)

TASKS: dict[str, type[TrainingTask]] = {task.name: task for task in BUILTIN_TASKS}


def get_task(name: str) -> type[TrainingTask]:
    if name not in TASKS:
        raise TrackDiffError("task", name, "is not a training task", f"use one of {', '.join(sorted(TASKS))}")
    return TASKS[name]

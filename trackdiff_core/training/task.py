"""What the training loop trains: a *task*. The loop (:mod:`.loop`) knows nothing of TrackGo or TrackDiffusion.

A task says what to build (its trainable modules, for the backend's model), which parameters train, how one clip turns
into a loss, and how to save and load the result in TrackDiff's format. The tasks that exist are listed in
:mod:`.tasks` (which imports their modules; a task module imports only this base class, never the list).
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from typing import ClassVar

import torch

from ..errors import TrackDiffError
from .backend import ModelBackend
from .clips import Clip


def paper_design(args: argparse.Namespace, option: str, value, paper_value, trackdiff_value):
    """An option of a task's design for a new training: the value asked for, else the paper's under ``--paper``, else
    TrackDiff's measured default. ``--paper`` with an option that is not the paper's is refused."""
    if getattr(args, "paper", False):
        if value is not None and value != paper_value:
            raise TrackDiffError(option, value, "is not the paper's design, which --paper asks for",
                                 f"leave out --paper, or leave out {option}")
        return paper_value
    return trackdiff_value if value is None else value


class TrainingTask(ABC):
    """One trainable method. Subclasses set ``name``, ``output_name`` and ``help``."""

    name: ClassVar[str]
    output_name: ClassVar[str]  # the final file, in the run's output folder
    help: ClassVar[str] = ""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add the task's own command-line options."""

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> "TrainingTask":
        return cls()

    @abstractmethod
    def build(self, backend: ModelBackend) -> torch.nn.Module:
        """Fresh trainable modules for the backend's model."""

    @abstractmethod
    def load(self, path: str, backend: ModelBackend) -> torch.nn.Module:
        """Modules saved by :meth:`save` (checked against the backend's model)."""

    @abstractmethod
    def save(self, module: torch.nn.Module, path: str, steps: int) -> None:
        """Write ``module`` in TrackDiff's versioned safetensors format."""

    @abstractmethod
    def attach(self, backend: ModelBackend, module: torch.nn.Module) -> None:
        """Install ``module`` into the backend's model (once, before the first step)."""

    @abstractmethod
    def loss(self, module: torch.nn.Module, clip: Clip, backend: ModelBackend,
             generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
        """The scalar loss of one clip (all randomness from ``generator``) and the values to log."""

    def trainable_parameters(self, module: torch.nn.Module) -> list:
        """The parameters to train: a list of parameters, or of AdamW parameter groups (dicts), where a group may
        carry ``lr_scale`` (its learning rate is ``--lr`` times it) and its own ``weight_decay``."""
        return [p for p in module.parameters() if p.requires_grad]

    def settings(self) -> dict:
        """The task's settings, for the run log."""
        return {}

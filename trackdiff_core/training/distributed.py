"""Training on several processes with PyTorch's DistributedDataParallel, as ``torchrun`` launches it.

``torchrun --nproc_per_node N -m trackdiff_core.training trackgo ...`` starts N processes with ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK`` set; each joins one process group (NCCL on GPUs, one GPU per rank; gloo on the CPU),
the task's module is wrapped in DDP (which averages the gradients over the ranks in backward), and rank 0 alone writes
the log and the checkpoints.

Which clips a step sees is a pure function (:func:`rank_samples`): the step's *global batch* is
``world_size · batch_size · grad_accum`` samples, sample ``j`` of step ``k`` is sample number ``k · global + j`` of the
run (its clip and all its randomness come from that number and the seed), and rank ``r`` takes, in micro-step ``m``,
the positions ``j = (m · world_size + r) · batch_size + i``. So N ranks with batch b see exactly the clips one rank
with batch ``N · b`` sees, and with one rank and batch 1 sample ``k`` is step ``k`` as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from ..errors import TrackDiffError


@dataclass(frozen=True)
class Ranks:
    """This process's place among the training processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def ranks_from_environment() -> Ranks:
    """The ranks ``torchrun`` gives (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``); one process without them."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise TrackDiffError("WORLD_SIZE / RANK", (os.environ.get("WORLD_SIZE"), os.environ.get("RANK")),
                             "are not whole numbers", "launch several processes with torchrun") from None
    if world < 1 or not 0 <= rank < world:
        raise TrackDiffError("RANK", rank, f"is not a rank of a world of {world}", "launch with torchrun")
    return Ranks(rank, world, local)


def global_batch(ranks: Ranks, batch_size: int, grad_accum: int) -> int:
    return ranks.world_size * int(batch_size) * int(grad_accum)


def rank_samples(step: int, ranks: Ranks, batch_size: int, grad_accum: int) -> list[list[int]]:
    """The run's sample numbers that rank ``ranks.rank`` draws at ``step``: one list of ``batch_size`` per micro-step."""
    total = global_batch(ranks, batch_size, grad_accum)
    return [[int(step) * total + (micro * ranks.world_size + ranks.rank) * batch_size + item
             for item in range(batch_size)] for micro in range(grad_accum)]


def start(ranks: Ranks, device: torch.device) -> None:
    """Join the process group (NCCL for CUDA devices, gloo otherwise); nothing with one process."""
    if not ranks.distributed or torch.distributed.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend=backend, rank=ranks.rank, world_size=ranks.world_size)


def stop(ranks: Ranks) -> None:
    if ranks.distributed and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def mean_over_ranks(value: float, ranks: Ranks, device: torch.device) -> float:
    """``value`` averaged over every rank (a collective: every rank must call it)."""
    if not ranks.distributed:
        return float(value)
    tensor = torch.tensor([float(value)], dtype=torch.float64,
                          device=device if device.type == "cuda" else torch.device("cpu"))
    torch.distributed.all_reduce(tensor)
    return float(tensor.item()) / ranks.world_size


def barrier(ranks: Ranks) -> None:
    if ranks.distributed:
        torch.distributed.barrier()

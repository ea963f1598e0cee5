"""A watch on the gradient norm that says when a run starts to diverge.

A diverging run need not fail: on the toy world, the backbone at ``--lr 1e-3`` went from gradient norms of about 1 to
10^5–10^9 after step 300 while its loss stayed finite and its held-out loss stopped falling for the remaining 5,700
steps (docs/toy-world.md). The loop's gradient clipping bounds each update, so nothing raised; only the logged
``grad_norm`` showed it. This watch compares each step's norm (before clipping) with the median of the recent ones."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np

#: Steps whose norms make the reference median, and the fewest needed before the watch speaks.
WINDOW, MIN_STEPS = 100, 10
#: A norm this many times the recent median is a jump no healthy run here showed (their largest: 8× to 22×; the
#: diverged toy backbone is flagged at step 320).
JUMP = 100.0


class DivergenceWatch:
    """Feed it each step's gradient norm; :meth:`update` returns the jump (norm ÷ recent median) when it is at least
    :data:`JUMP`, else None."""

    def __init__(self):
        self.norms: deque[float] = deque(maxlen=WINDOW)

    @classmethod
    def resumed(cls, log: Path, start: int) -> "DivergenceWatch":
        """A watch that already knows the norms of a resumed run's steps up to ``start`` (from its ``log.jsonl``; a
        step logged twice, by a run stopped after it and before its checkpoint, counts once, as last logged)."""
        watch = cls()
        if start > 0 and log.is_file():
            norms = {}
            for line in log.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill
                if isinstance(record, dict) and "grad_norm" in record and record.get("step", start + 1) <= start:
                    norms[record["step"]] = float(record["grad_norm"])
            for step in sorted(norms)[-WINDOW:]:
                watch.norms.append(norms[step])
        return watch

    def update(self, norm: float) -> float | None:
        jump = None
        if len(self.norms) >= MIN_STEPS:
            median = float(np.median(self.norms))
            if median > 0 and norm >= JUMP * median:
                jump = norm / median
        self.norms.append(float(norm))
        return jump

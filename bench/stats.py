"""Paired-ratio statistics for wall-clock comparisons (absolute times on shared machines are noise; ratios are not)."""

from __future__ import annotations

import random
import statistics


def median_ratio_interval(ratios: list[float], level: float = 0.95, resamples: int = 2000, seed: int = 0):
    """Median of per-pair ratios and a percentile-bootstrap interval for it."""
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(resamples))
    lo = medians[int((1 - level) / 2 * resamples)]
    hi = medians[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return statistics.median(ratios), lo, hi

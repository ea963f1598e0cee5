"""Wall-clock ratio on the tiny SVD on CPU: interleaved stock / patched pairs, one thread (informational only)."""

from __future__ import annotations

import time

import torch

from .stats import median_ratio_interval


def time_call(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired_ratio(stock_fn, patched_fn, pairs: int = 15, warmup: int = 2):
    """Median of ``patched / stock`` over ``pairs`` interleaved pairs (order alternates), with a 95% interval."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(warmup):
            stock_fn()
            patched_fn()
        ratios = []
        for i in range(pairs):
            if i % 2 == 0:
                s, p = time_call(stock_fn), time_call(patched_fn)
            else:
                p, s = time_call(patched_fn), time_call(stock_fn)
            ratios.append(p / s)
        return median_ratio_interval(ratios)
    finally:
        torch.set_num_threads(threads)

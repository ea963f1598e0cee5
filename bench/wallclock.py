"""Wall-clock ratios: interleaved stock / patched sampling steps (absolute times on shared machines are noise)."""

from __future__ import annotations

import time

import torch

from .stats import median_ratio_interval


def _sync(device) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def time_call(fn, device=None) -> float:
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def paired_times(stock_fn, patched_fn, pairs: int = 15, warmup: int = 2, device=None):
    """Per-pair times of ``stock_fn`` and ``patched_fn``, interleaved with alternating order."""
    for _ in range(warmup):
        stock_fn()
        patched_fn()
    stock, patched = [], []
    for i in range(pairs):
        if i % 2 == 0:
            s, p = time_call(stock_fn, device), time_call(patched_fn, device)
        else:
            p, s = time_call(patched_fn, device), time_call(stock_fn, device)
        stock.append(s)
        patched.append(p)
    return stock, patched


def paired_ratio(stock_fn, patched_fn, pairs: int = 15, warmup: int = 2, device=None, threads: int | None = 1):
    """Median of ``patched / stock`` over interleaved pairs, with a 95 % bootstrap interval."""
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        stock, patched = paired_times(stock_fn, patched_fn, pairs, warmup, device)
    finally:
        torch.set_num_threads(previous)
    return median_ratio_interval([p / s for s, p in zip(stock, patched)])

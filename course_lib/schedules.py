"""Learning-rate schedules as pure functions of the iteration number (SGDR and the lr_find sweep)."""
from __future__ import annotations

import math

import numpy as np


def cycle_epochs(n_cycle: int, cycle_len: float | None = None, cycle_mult: float = 1) -> list[float]:
    """Length in epochs of each cycle: cycle k lasts cycle_len * cycle_mult**k (one epoch per cycle without SGDR)."""
    if cycle_len is None:
        return [1.0] * int(n_cycle)
    return [cycle_len * cycle_mult ** k for k in range(int(n_cycle))]


def n_epochs(n_cycle: int, cycle_len: float | None = None, cycle_mult: float = 1) -> int:
    """Total epochs of `fit(lr, n_cycle, cycle_len, cycle_mult)`: (3, 1, 2) -> 1 + 2 + 4 = 7."""
    return int(round(sum(cycle_epochs(n_cycle, cycle_len, cycle_mult))))


def sgdr_mult(it: int, n_batch: int, cycle_len: float | None, cycle_mult: float = 1, warmup: bool = True) -> float:
    """Multiplier of every group's base lr at iteration `it` (0-based) of an SGDR fit.

    1. no cycle_len: constant 1.
    2. the first 1/20 of the first cycle runs at 1/100 (a short warm-up, as in the original).
    3. otherwise cosine from 1 down towards 0 within the current cycle, then restart at 1.
    """
    if cycle_len is None:
        return 1.0
    length = max(1, round(cycle_len * n_batch))       # iterations in the current cycle
    if warmup and it < length / 20:
        return 0.01
    start = 0
    while it >= start + length:                       # walk to the cycle containing `it`
        start += length
        length = max(1, round(length * cycle_mult))
    t = it - start
    return (math.cos(math.pi * t / length) + 1) / 2


def sgdr_schedule(n_batch: int, n_cycle: int, cycle_len: float | None = None, cycle_mult: float = 1,
                  warmup: bool = True) -> np.ndarray:
    """The multiplier for every iteration of a whole fit."""
    n_it = int(round(sum(cycle_epochs(n_cycle, cycle_len, cycle_mult)) * n_batch))
    return np.array([sgdr_mult(i, n_batch, cycle_len, cycle_mult, warmup) for i in range(n_it)])


def restart_epochs(n_cycle: int, cycle_len: float | None, cycle_mult: float = 1) -> list[float]:
    """Epochs after which the lr jumps back up (cycle ends, the last one excluded)."""
    ends = np.cumsum(cycle_epochs(n_cycle, cycle_len, cycle_mult))
    return [float(e) for e in ends[:-1]]


def find_lrs(start_lr: float, end_lr: float, num_it: int, linear: bool = False) -> np.ndarray:
    """The lr_find sweep: `num_it` rates from start to end, geometric (default) or linear."""
    if num_it < 2:
        raise ValueError("lr_find needs at least 2 iterations")
    t = np.arange(num_it) / (num_it - 1)
    return start_lr + (end_lr - start_lr) * t if linear else start_lr * (end_lr / start_lr) ** t


def smooth(values, beta: float = 0.98) -> np.ndarray:
    """Exponential moving average, debiased so the first values are not pulled towards 0."""
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** i))
    return np.array(out)

"""Learning-rate schedules as pure functions of the iteration number (SGDR and the lr_find sweep)."""
from __future__ import annotations

import math

from typing import NamedTuple

import numpy as np


def cycle_epochs(n_cycle: int, cycle_len: float | None = None, cycle_mult: float = 1) -> list[float]:
    """Length in epochs of each cycle: cycle k lasts cycle_len * cycle_mult**k (one epoch per cycle without SGDR)."""
    if cycle_len is None:
        return [1.0] * int(n_cycle)
    return [cycle_len * cycle_mult ** k for k in range(int(n_cycle))]


def n_epochs(n_cycle: int, cycle_len: float | None = None, cycle_mult: float = 1) -> int:
    """Total epochs of `fit(lr, n_cycle, cycle_len, cycle_mult)`: (3, 1, 2) -> 1 + 2 + 4 = 7."""
    return int(round(sum(cycle_epochs(n_cycle, cycle_len, cycle_mult))))


def check_cycles(n_cycle: int, cycle_len: float | None = None, cycle_mult: float = 1) -> int:
    """The number of epochs `fit(lr, n_cycle, cycle_len, cycle_mult)` runs; a clear error for arguments that
    would run none or make no sense."""
    if isinstance(n_cycle, bool) or not isinstance(n_cycle, (int, np.integer)) or n_cycle < 1:
        raise ValueError(f"n_cycle must be a whole number of epochs (or SGDR cycles) >= 1, got {n_cycle!r}: "
                         f"fit(1e-2, 3) trains 3 epochs.")
    if cycle_len is not None and not (isinstance(cycle_len, (int, float, np.number)) and 0 < cycle_len < math.inf):
        raise ValueError(f"cycle_len must be a positive number of epochs per cycle (or None for a constant lr), "
                         f"got {cycle_len!r}.")
    if not (isinstance(cycle_mult, (int, float, np.number)) and 1 <= cycle_mult < math.inf):
        raise ValueError(f"cycle_mult must be a number >= 1 (each cycle this many times longer than the last), "
                         f"got {cycle_mult!r}.")
    total = sum(cycle_epochs(n_cycle, cycle_len, cycle_mult))
    n = n_epochs(n_cycle, cycle_len, cycle_mult)
    if n < 1 or abs(total - n) > 1e-6:
        raise ValueError(f"n_cycle={n_cycle}, cycle_len={cycle_len}, cycle_mult={cycle_mult} add up to {total:g} "
                         f"epochs; fit trains whole epochs, so make them add up to a whole number >= 1 "
                         f"(e.g. cycle_len=0.5 with n_cycle=2).")
    return n


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


def warmup_cosine(t: int, total: int, lr_max: float, pct: float = 0.2) -> float:
    """One-cycle learning rate at step t (the pretraining schedule): linear warm-up for pct of total, then
    cosine to ~0."""
    warm = max(1, int(total * pct))
    if t < warm:  # 1. warm-up from lr_max/25
        return lr_max * (0.04 + 0.96 * t / warm)
    prog = (t - warm) / max(1, total - warm)  # 2. cosine decay over the rest
    return lr_max * 0.5 * (1 + math.cos(math.pi * min(prog, 1.0)))


def find_lrs(start_lr: float, end_lr: float, num_it: int, linear: bool = False) -> np.ndarray:
    """The lr_find sweep: `num_it` rates from start to end, geometric (default) or linear."""
    if isinstance(num_it, bool) or not isinstance(num_it, (int, np.integer)) or num_it < 2:
        raise ValueError(f"lr_find needs num_it, the number of batches to sweep, as a whole number >= 2; "
                         f"got {num_it!r}.")
    if not (0 < start_lr < end_lr < math.inf):
        raise ValueError(f"lr_find sweeps from start_lr up to end_lr, both > 0: got start_lr={start_lr}, "
                         f"end_lr={end_lr} (the lesson's sweep is start_lr=1e-5, end_lr=10).")
    t = np.arange(num_it) / (num_it - 1)
    return start_lr + (end_lr - start_lr) * t if linear else start_lr * (end_lr / start_lr) ** t


def smooth(values, beta: float = 0.98) -> np.ndarray:
    """Exponential moving average, debiased so the first values are not pulled towards 0."""
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** i))
    return np.array(out)


class Curve(NamedTuple):
    """An lr_find sweep as it is read: the last group's rates, the smoothed losses and the raw ones."""
    lrs: np.ndarray
    losses: np.ndarray
    raw: np.ndarray


def skips(n: int, skip_start: int | None = None, skip_end: int | None = None) -> tuple[int, int]:
    """How many noisy points to leave out at each end of an n-point sweep: 10 and 5, at most a tenth each.

    The original always skipped 10 + 5 points, which left nothing of a short sweep; under 3 points left, none.
    """
    a = min(10, n // 10) if skip_start is None else skip_start
    b = min(5, n // 10) if skip_end is None else skip_end
    return (0, 0) if n - a - b < 3 else (a, b)


def find_curve(lrs, losses, skip_start: int | None = None, skip_end: int | None = None,
               beta: float = 0.98) -> Curve:
    """The readable part of a sweep: per-iteration rates (the last group's, for a 2-d record) and losses,
    smoothed with `beta` over the whole sweep, then trimmed by `skips`."""
    lrs = np.asarray(lrs, dtype=float)
    lrs = lrs[:, -1] if lrs.ndim == 2 else lrs.ravel()
    raw = np.asarray(losses, dtype=float).ravel()
    sm = smooth(raw, beta)
    a, b = skips(len(raw), skip_start, skip_end)
    end = len(raw) - b
    return Curve(lrs[a:end], sm[a:end], raw[a:end])

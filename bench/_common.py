"""Shared bits for the benchmark scripts: timing, machine description, tensor data for loop benchmarks."""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from torch.utils.data import DataLoader, TensorDataset


def machine() -> str:
    """One line naming the machine the figures come from."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), {gpu}, Python {platform.python_version()}")


def median_time(fn, reps: int = 3) -> float:
    """Median wall time of `fn()` over `reps` runs."""
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def tensor_data(n: int, sz: int, c: int = 2, bs: int = 64, seed: int = 0) -> SimpleNamespace:
    """A data-like object with preloaded random tensors: what a Learner needs (trn_dl, val_dl)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, sz, sz, generator=g)
    y = torch.randint(0, c, (n,), generator=g)
    nv = max(bs, n // 8)
    trn = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=False)
    val = DataLoader(TensorDataset(x[:nv], y[:nv]), batch_size=bs)
    return SimpleNamespace(trn_dl=trn, val_dl=val, c=c, is_multi=False, classes=[str(i) for i in range(c)])

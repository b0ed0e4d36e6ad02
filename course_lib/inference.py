"""One inference path: eval mode -> autocast -> device -> model -> log-softmax (sigmoid for multi-label).

`predict`, `predict_array`, `predict_image`, TTA and the precompute build all go through `run_batches`,
so they compute in the same precision, on the same device and threads, and leave the model's train/eval
flags as they found them (also after an error or Ctrl-C).
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F

from .devices import amp_dtype, compute_threads, cpu_threads, to_device


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """model.eval() for the block, then every module's own flag back (frozen BatchNorm may be in eval
    inside a model in train mode, so one model.train(was) would not do)."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        yield model
    finally:
        for m, training in modes:
            m.training = training


def activation(out: torch.Tensor, is_multi: bool) -> torch.Tensor:
    """Log-probabilities for one label per image, per-class probabilities for multi-label."""
    return torch.sigmoid(out) if is_multi else F.log_softmax(out, dim=1)


@torch.inference_mode()
def run_batches(learn, batches: Iterable, fn: Callable | None = None, act: bool = True,
                on_batch: Callable[[int], None] | None = None, num_workers: int | None = None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(outputs, labels) of `fn` (default: the whole model) over (x, y) batches, stacked on the CPU.

    Eval mode, the learner's autocast dtype and device; `act` applies `activation`. `on_batch(n)` is
    called after each batch of n items (progress bars). `num_workers` says how many loader processes
    share the CPU (default: the data's), so the compute threads leave them their cores.
    """
    device, dtype = learn.device, amp_dtype(learn.device, getattr(learn, "amp", None))
    nw = learn.data.num_workers if num_workers is None else num_workers
    fn = learn.model if fn is None else fn
    outs, ys = [], []
    with eval_mode(learn.model), cpu_threads(compute_threads(device, nw)):
        for xb, yb in batches:
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                out = fn(to_device(xb, device))
            out = out.float()
            outs.append((activation(out, learn.data.is_multi) if act else out).cpu())
            if yb is not None:
                ys.append(torch.as_tensor(yb))
            if on_batch is not None:
                on_batch(len(xb))
    y = torch.cat(ys) if ys else None
    return (torch.cat(outs) if outs else torch.empty(0)), y

"""Figures: learning-rate schedules, lr_find curves with their suggestion. Every function returns the Figure."""
from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from .schedules import n_epochs, smooth


class Suggestion(NamedTuple):
    """Learning rates read off an lr_find curve."""
    lr: float         # the recommendation: one tenth of the lr at the lowest smoothed loss
    steep: float      # where the loss falls fastest (before the minimum)


def _skips(n: int, n_skip: int | None, n_skip_end: int | None) -> tuple[int, int]:
    # the original skipped 10 + 5 points always, which left nothing on tiny sweeps
    a = min(10, n // 10) if n_skip is None else n_skip
    b = min(5, n // 10) if n_skip_end is None else n_skip_end
    if n - a - b < 3:
        a, b = 0, 0
    return a, b


def suggest(lrs: np.ndarray, losses: np.ndarray) -> Suggestion:
    """Suggestion from (lr, smoothed loss) points: lowest loss / 10, and the steepest descent before it."""
    ok = np.isfinite(losses)
    lrs, losses = np.asarray(lrs)[ok], np.asarray(losses)[ok]
    if len(lrs) < 3:
        raise ValueError(f"only {len(lrs)} usable lr_find points; run it with more iterations (num_it).")
    i_min = int(np.argmin(losses))
    grads = np.gradient(losses, np.log(lrs))
    i_steep = int(np.argmin(grads[:max(1, i_min)]))
    return Suggestion(lr=float(lrs[i_min] / 10), steep=float(lrs[i_steep]))


def lr_suggestion(finder, n_skip: int | None = None, n_skip_end: int | None = None) -> Suggestion:
    """Suggest an lr from a finder's record, after skipping the noisy first and last points."""
    lrs = np.array([l[-1] for l in finder.lrs])
    losses = smooth(finder.losses)
    a, b = _skips(len(lrs), n_skip, n_skip_end)
    return suggest(lrs[a:len(lrs) - b], losses[a:len(losses) - b])


def plot_lr_find(finder, n_skip: int | None = None, n_skip_end: int | None = None, ax=None):
    """Smoothed training loss vs lr on a log axis, the suggested lrs marked."""
    fig, ax = _fig_ax(ax, (6, 4))
    lrs = np.array([l[-1] for l in finder.lrs])
    losses = smooth(finder.losses)
    a, b = _skips(len(lrs), n_skip, n_skip_end)
    ax.plot(lrs[a:len(lrs) - b], losses[a:len(losses) - b], label="smoothed training loss")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss (smoothed)")
    try:
        s = lr_suggestion(finder, n_skip, n_skip_end)
        ax.axvline(s.lr, color="C2", ls="--", label=f"suggested lr {s.lr:.2g} (minimum / 10)")
        ax.axvline(s.steep, color="C3", ls=":", label=f"steepest descent {s.steep:.2g}")
    except ValueError:
        pass
    ax.set_title("lr_find: pick the largest lr where the loss still falls clearly")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_lr(rec, ax=None, log: bool = False):
    """Learning rate of every layer group per iteration; x in epochs so cycle boundaries read off directly."""
    fig, ax = _fig_ax(ax, (7, 3.5))
    lrs = np.array(rec.lrs)
    if lrs.size == 0:
        raise ValueError("Nothing recorded yet: call learn.fit(...) or learn.lr_find() first.")
    per_epoch = getattr(rec, "iters_per_epoch", None)
    x = np.arange(len(lrs)) / per_epoch if per_epoch else np.arange(len(lrs))
    names = list(getattr(rec, "group_names", [])) or [f"group {k}" for k in range(lrs.shape[1])]
    for k in range(lrs.shape[1]):
        ax.plot(x, lrs[:, k], label=names[k] if k < len(names) else f"group {k}")
    if log:  # linear by default, as in the lesson; log shows the smaller groups' curves too
        ax.set_yscale("log")
    ax.set_xlabel("epoch" if per_epoch else "iteration")
    ax.set_ylabel("learning rate")
    args = getattr(rec, "sched_args", None)
    if args:
        ax.set_title(f"fit: n_cycle={args['n_cycle']}, cycle_len={args['cycle_len']}, "
                     f"cycle_mult={args['cycle_mult']} -> {n_epochs(**args)} epochs")
        if per_epoch:
            ax.set_xticks(range(0, n_epochs(**args) + 1))
    if lrs.shape[1] > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_loss(rec, ax=None):
    """Training loss per iteration, raw and smoothed."""
    fig, ax = _fig_ax(ax, (7, 3.5))
    ax.plot(rec.losses, alpha=0.3, label="batch loss")
    ax.plot(smooth(rec.losses), label="smoothed")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _fig_ax(ax, size):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=size)
    return fig, ax

"""Figures: learning-rate schedules, lr_find curves with their suggestion. Every function returns the Figure."""
from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from .schedules import n_epochs, smooth


class Suggestion(NamedTuple):
    """Learning rates read off an lr_find curve."""
    lr: float         # the recommendation: one tenth of the lr at the lowest smoothed loss
    steep: float      # where the smoothed loss falls fastest before its minimum, over a one-decade window


STEEP_WINDOW = 1.0  # decades of lr over which a slope is fitted: one noisy batch cannot make a steep point


def _slopes(log_lr: np.ndarray, losses: np.ndarray, window: float) -> np.ndarray:
    """Least-squares slope of loss against log10(lr) within +-window/2 decades of each point."""
    out = np.full(len(log_lr), np.nan)
    for i, x in enumerate(log_lr):
        m = np.abs(log_lr - x) <= window / 2
        if m.sum() >= 3:
            out[i] = np.polyfit(log_lr[m], losses[m], 1)[0]
    return out


def suggest(lrs: np.ndarray, losses: np.ndarray) -> Suggestion:
    """Suggestion from (lr, smoothed loss) points: lowest loss / 10, and the steepest descent before it.

    The steepest point is the most negative slope of a line fitted over one decade of lr around each
    point, among points whose whole window lies before the minimum: flat starts, single noisy batches and
    the climb after the minimum cannot win.
    """
    ok = np.isfinite(losses)
    lrs, losses = np.asarray(lrs, dtype=float)[ok], np.asarray(losses, dtype=float)[ok]
    if len(lrs) < 3:
        raise ValueError(f"only {len(lrs)} usable lr_find points; run it with more iterations (num_it).")
    i_min = int(np.argmin(losses))
    x = np.log10(lrs)
    slopes = _slopes(x, losses, STEEP_WINDOW)
    before = (x + STEEP_WINDOW / 2 <= x[i_min]) & (x - STEEP_WINDOW / 2 >= x[0]) & np.isfinite(slopes)
    if not before.any():  # a sweep too short for a whole window before the minimum: use what there is
        before = (np.arange(len(x)) <= max(1, i_min)) & np.isfinite(slopes)
    i_steep = int(np.flatnonzero(before)[np.argmin(slopes[before])]) if before.any() else 0
    return Suggestion(lr=float(lrs[i_min] / 10), steep=float(lrs[i_steep]))


def lr_suggestion(finder, n_skip: int | None = None, n_skip_end: int | None = None) -> Suggestion:
    """Suggest an lr from a finder's record, after skipping the noisy first and last points."""
    c = finder.curve(n_skip, n_skip_end)
    return suggest(c.lrs, c.losses)


def loss_ylim(losses: np.ndarray) -> tuple[float, float]:
    """A y-range that the useful part fills: from the minimum up to the highest loss before it.

    The blow-up after the minimum runs off the top instead of squashing the descent into a flat line.
    """
    losses = np.asarray(losses, dtype=float)
    losses = losses[np.isfinite(losses)]
    i_min = int(np.argmin(losses))
    lo, hi = float(losses[i_min]), float(losses[:i_min + 1].max())
    if hi - lo < 1e-8:
        hi = lo + max(abs(lo) * 0.1, 1e-3)
    pad = 0.1 * (hi - lo)
    return lo - pad, hi + pad


def plot_lr_find(finder, n_skip: int | None = None, n_skip_end: int | None = None, ax=None, beta: float = 0.98,
                 detail: bool = False):
    """Smoothed training loss vs lr on a log axis, the suggested lrs marked, the y-range on the useful part.

    `detail` also draws the raw batch losses and the lowest point (the lr_find explorer's view). With `beta=0`
    nothing is smoothed: the one line drawn is the raw batch loss, and its legend and y axis say so. Returns the
    Figure; the figure's `suggestion` attribute holds what it marked (None when the sweep was too short).
    """
    fig, ax = _fig_ax(ax, (7, 4))
    lrs, losses, raw = finder.curve(n_skip, n_skip_end, beta)
    if beta == 0:  # the "smoothed" curve is the raw one: one line, labelled for what it is
        ax.plot(lrs, losses, label="batch loss (unsmoothed, beta 0)")
        ax.set_ylabel("training loss (unsmoothed)")
    else:
        if detail:
            ax.plot(lrs, raw, alpha=0.25, label="batch loss")
        ax.plot(lrs, losses, label="smoothed training loss" + (f" (beta {beta})" if detail else ""))
        ax.set_ylabel("training loss (smoothed)")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    try:
        s = suggest(lrs, losses)
        if detail:
            ax.axvline(s.lr * 10, color="grey", ls=":", label=f"lowest loss at {s.lr * 10:.2g}")
        ax.axvline(s.lr, color="C2", ls="--", label=f"suggested lr {s.lr:.2g}\n(lowest loss / 10)")
        ax.axvline(s.steep, color="C3", ls=":", label=f"steepest descent {s.steep:.2g}\n(slope over one decade)")
        ax.set_ylim(*loss_ylim(losses))  # the descent fills the plot; the blow-up after the minimum runs off the top
    except ValueError:
        s = None
    ax.set_title("lr_find: pick the largest lr where the loss still falls clearly")
    outside_legend(ax)
    fig.tight_layout()
    fig.suggestion = s
    return fig


def outside_legend(ax) -> None:
    """The legend to the right of the axes, where it cannot hide a curve."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def plot_lr(rec, ax=None, log: bool = False, panels: bool | None = None):
    """Learning rate of every layer group per iteration; x in epochs so cycle boundaries read off directly.

    Differential rates 10x apart make the smaller groups flat lines on one linear axis, so by default
    (`panels=None`) groups whose rates differ by more than 10x get a panel each, with its own scale; `log=True`
    draws them on one log axis instead, where the curves have the same shape.
    """
    lrs = np.array(rec.lrs)
    if lrs.size == 0:
        raise ValueError("Nothing recorded yet: call learn.fit(...) or learn.lr_find() first.")
    per_epoch = getattr(rec, "iters_per_epoch", None)
    x = np.arange(len(lrs)) / per_epoch if per_epoch else np.arange(len(lrs))
    names = list(getattr(rec, "group_names", [])) or [f"group {k}" for k in range(lrs.shape[1])]
    names += [f"group {k}" for k in range(len(names), lrs.shape[1])]
    trainable = list(getattr(rec, "trainable", [])) or [True] * lrs.shape[1]
    shown = [k for k in range(lrs.shape[1]) if k >= len(trainable) or trainable[k]] or [lrs.shape[1] - 1]
    peaks = lrs[:, shown].max(0)
    if panels is None:
        panels = ax is None and not log and len(shown) > 1 and peaks.max() > 10 * max(peaks.min(), 1e-30)
    if panels:
        fig, axs = plt.subplots(len(shown), 1, figsize=(7, 1.6 * len(shown) + 0.8), sharex=True)
        for a, k in zip(axs, shown):
            a.plot(x, lrs[:, k], color=f"C{k}")
            a.set_ylabel("lr", fontsize=8)
            a.set_title(f"{names[k]} (peak {lrs[:, k].max():.0e})", fontsize=9, loc="left")
        _lr_axes(fig, axs[-1], rec, per_epoch, top=axs[0])
        return fig
    fig, ax = _fig_ax(ax, (7, 3.5))
    for k in shown:  # frozen groups are left out: their lr moves no weight
        ax.plot(x, lrs[:, k], label=names[k])
    if log:  # linear by default, as in the lesson; log shows the smaller groups' curves too
        ax.set_yscale("log")
    ax.set_ylabel("learning rate")
    if len(shown) > 1:
        outside_legend(ax)
    elif len(shown) < lrs.shape[1]:
        ax.set_ylabel(f"learning rate ({names[shown[0]]}; frozen groups not shown)")
    _lr_axes(fig, ax, rec, per_epoch)
    return fig


def _lr_axes(fig, ax, rec, per_epoch, top=None) -> None:
    """x label and ticks in epochs, and the fit's arguments as the title (on `top` when there are panels)."""
    ax.set_xlabel("epoch" if per_epoch else "iteration")
    args = getattr(rec, "sched_args", None)
    if args:
        title = (f"fit: n_cycle={args['n_cycle']}, cycle_len={args['cycle_len']}, "
                 f"cycle_mult={args['cycle_mult']} -> {n_epochs(**args)} epochs")
        (fig.suptitle(title, fontsize=10) if top is not None else ax.set_title(title))
        if per_epoch:
            ax.set_xticks(range(0, n_epochs(**args) + 1))
    fig.tight_layout()


def loss_beta(n: int) -> float:
    """Smoothing for a curve of n batch losses: an average over about a tenth of them (beta 0.98 at 500 and
    more). A fixed 0.98 over a short fit is close to the mean of everything so far, which lags far behind a
    falling loss and makes it look as if it were still falling at the end."""
    return float(np.clip(1 - 10 / max(n, 1), 0.5, 0.98))


def plot_loss(rec, ax=None):
    """Training loss per iteration, raw and smoothed (over about a tenth of the batches; see `loss_beta`)."""
    fig, ax = _fig_ax(ax, (7, 3.5))
    beta = loss_beta(len(rec.losses))
    raw, sm = np.asarray(rec.losses, dtype=float), smooth(rec.losses, beta)
    ax.plot(raw, alpha=0.3, label="batch loss")
    ax.plot(sm, label=f"smoothed (beta {beta:.2f})")
    ax.set_xlabel("iteration (training batch)")
    ax.set_ylabel("training loss")
    if len(sm) >= 3 and np.isfinite(sm).all():
        # the smoothed curve and 96% of the batches fill the plot; a single wild batch may run off it
        lo = min(sm.min(), np.percentile(raw, 2))
        hi = max(sm.max(), np.percentile(raw, 98))
        pad = 0.05 * (hi - lo) + 1e-6
        ax.set_ylim(lo - pad, hi + pad)
    outside_legend(ax)
    fig.tight_layout()
    return fig


def _fig_ax(ax, size):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=size)
    return fig, ax

"""lr_find's markers and y-range, plot_lr without frozen groups: what the figures claim, checked."""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from course_lib.callbacks import LRFinder
from course_lib.plots import loss_ylim, plot_lr, plot_lr_find, suggest
from course_lib.schedules import smooth


def sweep(rng, centre: float, noise: float):
    """A made-up lr_find record: flat, a sigmoid descent around 10**centre, a blow-up, batch noise."""
    lrs = np.logspace(-5, 1, 100)
    x = np.log10(lrs)
    clean = 1.0 - 0.6 / (1 + np.exp(-(x - centre) * 3)) + np.where(x > centre + 1.2, (x - centre - 1.2) ** 2 * 3, 0)
    return lrs, clean, clean + rng.normal(0, noise, 100)


def test_steepest_descent_marker_survives_batch_noise():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(100):
        lrs, clean, raw = sweep(rng, rng.uniform(-3.5, -1.5), noise=0.08)
        sl = slice(10, 95)  # the points lr_suggestion keeps
        x, sc = np.log10(lrs[sl]), smooth(clean)[sl]
        true = x[int(np.argmin(np.gradient(sc, x)[:int(np.argmin(sc))]))]  # steepest point without noise
        s = suggest(lrs[sl], smooth(raw)[sl])
        hits += abs(np.log10(s.steep) - true) < 0.3
        assert s.steep < s.lr * 10  # always before the minimum
    # a plain point-to-point gradient lands within 0.3 decade in about 70% of these sweeps
    assert hits >= 85, hits


def test_y_range_shows_the_descent_not_the_blow_up():
    losses = np.r_[np.linspace(1.0, 0.4, 50), np.linspace(0.4, 30, 20)]
    lo, hi = loss_ylim(losses)
    assert lo < 0.4 < 1.0 < hi < 1.2  # the climb to 30 runs off the top


class Finder(LRFinder):
    """A finder holding a recorded sweep (one layer group)."""

    def __init__(self, lrs, losses):
        super().__init__(np.asarray(lrs, dtype=float)[:, None])
        self.lrs, self.losses = [np.array([l]) for l in lrs], list(losses)


def test_lr_find_plot_marks_both_and_clips():
    rng = np.random.default_rng(1)
    lrs, _, raw = sweep(rng, -2.5, noise=0.02)
    raw[-10:] = 50.0  # divergence
    fig = plot_lr_find(Finder(lrs, raw))
    ax = fig.axes[0]
    labels = [l.get_label() for l in ax.get_lines()]
    assert labels[0] == "smoothed training loss" and any("suggested lr" in l for l in labels)
    assert any("steepest descent" in l for l in labels)
    assert ax.get_ylim()[1] < 5 and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # legend outside the axes


class Rec:
    def __init__(self, lrs, trainable):
        self.lrs, self.trainable = lrs, trainable
        self.group_names, self.iters_per_epoch = ["early", "late", "head"], 4
        self.sched_args = dict(n_cycle=1, cycle_len=1, cycle_mult=1)


def test_plot_lr_leaves_frozen_groups_out():
    lrs = [np.array([1e-4, 1e-3, 1e-2]) * (1 - i / 4) for i in range(4)]
    ax = plot_lr(Rec(lrs, [False, False, True])).axes[0]
    assert len(ax.get_lines()) == 1 and "frozen groups not shown" in ax.get_ylabel()
    ax = plot_lr(Rec(lrs, [True, True, True]), log=True).axes[0]
    assert [l.get_label() for l in ax.get_lines()] == ["early", "late", "head"]


def test_plot_lr_gives_rates_10x_apart_a_panel_each():
    lrs = [np.array([1e-4, 1e-3, 1e-2]) * (1 - i / 4) for i in range(4)]
    fig = plot_lr(Rec(lrs, [True, True, True]))
    assert len(fig.axes) == 3  # on one linear axis the 1e-4 group would be a flat line at zero
    for ax, peak in zip(fig.axes, (1e-4, 1e-3, 1e-2)):
        (line,) = ax.get_lines()
        assert line.get_ydata().max() == pytest.approx(peak)
        assert ax.get_ylim()[1] < 2 * peak  # each panel is scaled to its own group
    same = [np.array([1e-2, 1e-2]) * (1 - i / 4) for i in range(4)]
    assert len(plot_lr(Rec(same, [True, True])).axes) == 1  # equal rates: one panel


@pytest.mark.parametrize("detail", [True, False])
def test_lr_find_plot_without_smoothing_says_it_is_raw(detail):
    """beta 0 smooths nothing: one line, called the batch loss, on an axis that does not claim smoothing."""
    rng = np.random.default_rng(2)
    lrs, _, raw = sweep(rng, -2.5, noise=0.05)
    ax = plot_lr_find(Finder(lrs, raw), 0, 0, beta=0.0, detail=detail).axes[0]
    curves = [l for l in ax.get_lines() if len(l.get_xdata()) > 2]  # not the vertical markers
    assert len(curves) == 1 and np.allclose(curves[0].get_ydata(), raw)
    assert "unsmoothed" in curves[0].get_label() and "unsmoothed" in ax.get_ylabel()
    assert not any(l.get_label().startswith("smoothed") for l in ax.get_lines())
    ax = plot_lr_find(Finder(lrs, raw), 0, 0, beta=0.9, detail=True).axes[0]
    assert ax.get_ylabel() == "training loss (smoothed)"
    assert [l.get_label() for l in ax.get_lines()][:2] == ["batch loss", "smoothed training loss (beta 0.9)"]

"""The schedule and lr_find explorers: the pure functions behind them and the widgets driven headlessly."""
import matplotlib.figure
import numpy as np
import pytest

from course_lib.callbacks import LRFinder
from course_lib.classroom.widgets import (epoch_list, group_lrs, group_schedule, lr_find_explorer,
                                          schedule_explorer, schedule_figure)
from course_lib.plots import plot_lr_find
from course_lib.schedules import sgdr_schedule


def test_group_lrs_ratio():
    assert np.allclose(group_lrs(1e-2, 3, 10), [1e-4, 1e-3, 1e-2])
    assert np.allclose(group_lrs(9e-3, 3, 3), [1e-3, 3e-3, 9e-3])


def test_group_schedule_is_the_sgdr_multiplier_times_each_rate():
    s = group_schedule(1e-2, 3, 1, 2, n_batch=20, ratio=10)
    assert s.shape == (7 * 20, 3)
    assert np.allclose(s / s[:, [2]], [1e-2, 1e-1, 1])
    assert np.allclose(s[:, 2], 1e-2 * sgdr_schedule(20, 3, 1, 2))


def test_schedule_figure_summary():
    fig, summ = schedule_figure(1e-2, 3, 1, 2, n_batch=10)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert summ.epochs == 7 and summ.iterations == 70 and summ.restarts == [1.0, 3.0]
    assert "7 epochs" in fig.axes[0].get_title()
    assert fig.axes[0].get_title().endswith("restarts after [1, 3]")  # what notebook 03 prints: the same words


def test_epoch_list_prints_whole_epochs_as_whole_numbers():
    assert epoch_list([1.0, 3.0]) == "[1, 3]"
    assert epoch_list([0.5, 1.5, 3]) == "[0.5, 1.5, 3]"
    assert epoch_list([]) == "[]"


def test_schedule_explorer_recomputes_on_slider_change():
    w = schedule_explorer()
    sliders = {c.description: c for c in w.kwargs_widgets}
    sliders["cycle_mult"].value = 1
    assert w.result.epochs == 3
    sliders["n_cycle"].value = 4
    sliders["cycle_mult"].value = 2
    assert w.result.epochs == 15 and w.result.restarts == [1.0, 3.0, 7.0]


class FakeFinder(LRFinder):
    """A recorded sweep: loss falls, bottoms out at lr 1e-1, then explodes."""

    def __init__(self):
        lrs = np.logspace(-5, 1, 100)
        super().__init__(np.stack([lrs / 100, lrs / 10, lrs], 1))
        self.lrs = [np.array([l / 100, l / 10, l]) for l in lrs]
        x = np.log10(lrs)
        self.losses = list(np.where(x < -1, 1.0 - 0.5 * (x + 5) / 4, 0.5 + 3 * (x + 1) ** 2))


def test_plot_lr_find_in_detail_suggests_a_tenth_of_the_minimum():
    fig = plot_lr_find(FakeFinder(), 0, 0, beta=0.0, detail=True)
    s = fig.suggestion
    assert s.lr == pytest.approx(1e-2, rel=0.2)
    assert 1e-5 <= s.steep < 1e-1


def test_lr_find_explorer_changes_with_smoothing():
    w = lr_find_explorer(FakeFinder())
    sliders = {c.description: c for c in w.kwargs_widgets}
    sliders["beta"].value = 0.0
    raw = w.result.lr
    sliders["beta"].value = 0.9
    assert w.result.lr >= raw  # smoothing lags the curve, so its minimum moves right


def _png_size(b64: str) -> tuple[int, int]:
    import base64
    import io
    from PIL import Image
    return Image.open(io.BytesIO(base64.b64decode(b64))).size


@pytest.mark.parametrize("make", [schedule_explorer, lambda: lr_find_explorer(FakeFinder())],
                         ids=["schedule", "lr_find"])
def test_explorer_displays_widget_and_static_figure(make, monkeypatch):
    """display() gives the live widget, then the current figure as a PNG for pages without a kernel."""
    import course_lib.classroom.widgets as widgets
    shown = []
    monkeypatch.setattr(widgets, "display", lambda obj, **kw: shown.append((obj, kw)) or Handle())

    class Handle:
        updates = []

        def update(self, obj, **kw):
            self.updates.append(obj)

    ex = make()
    assert ex._view_count == 0  # a number, not None: the frontend counts the views it renders
    ex._ipython_display_()
    (live, live_kw), (static, static_kw) = shown
    assert "application/vnd.jupyter.widget-view+json" in live and live_kw == {"raw": True}
    assert live["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.model_id
    assert static_kw == {"raw": True, "display_id": True}
    width, height = _png_size(static["image/png"])
    assert width > 300 and height > 150
    # the frontend reports a rendered view: the static copy goes, once
    ex._view_count = 1
    ex._view_count = 2
    assert Handle.updates == [{"text/plain": ""}]


def test_static_figure_follows_the_sliders():
    ex = schedule_explorer()
    first = ex.static_bundle()["image/png"]
    {c.description: c for c in ex.kwargs_widgets}["n_cycle"].value = 5
    assert ex.static_bundle()["image/png"] != first

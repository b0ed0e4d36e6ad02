"""Interactive explorers for notebooks: the SGDR schedule of every layer group, and the lr_find curve.

The maths lives in pure functions (`group_schedule`, `plots.plot_lr_find`) that tests call directly; the
explorers only wire sliders to them. Each explorer also shows its first figure as a static image, so a page
without a kernel (exported HTML, GitHub, a notebook opened unexecuted) still shows a figure.
"""
from __future__ import annotations

import base64
import io
from typing import Callable, NamedTuple

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from ..plots import plot_lr_find
from ..schedules import n_epochs, restart_epochs, sgdr_schedule, skips


class ScheduleSummary(NamedTuple):
    """What a schedule amounts to: total epochs, iterations, and where the lr restarts."""
    epochs: int
    iterations: int
    restarts: list[float]
    group_lrs: list[float]


def epoch_list(epochs) -> str:
    """Epochs as the figures' titles and the notebooks print them: '[1, 3]', whole numbers without '.0'."""
    return "[" + ", ".join(str(int(e)) if float(e).is_integer() else f"{float(e):g}" for e in epochs) + "]"


def group_lrs(lr: float, n_groups: int = 3, ratio: float = 10.0) -> np.ndarray:
    """Base lrs for `n_groups` layer groups, each `ratio` times smaller than the next (head gets `lr`)."""
    return lr / ratio ** np.arange(n_groups - 1, -1, -1)


def group_schedule(lr: float, n_cycle: int, cycle_len: float | None, cycle_mult: float, n_batch: int,
                   ratio: float = 10.0, n_groups: int = 3) -> np.ndarray:
    """Per-iteration lr of every group: (iterations, n_groups)."""
    mult = sgdr_schedule(n_batch, n_cycle, cycle_len, cycle_mult)
    return mult[:, None] * group_lrs(lr, n_groups, ratio)[None]


def schedule_figure(lr: float = 1e-2, n_cycle: int = 3, cycle_len: float | None = 1, cycle_mult: float = 2,
                    n_batch: int = 100, ratio: float = 10.0, n_groups: int = 3, log: bool = False, ax=None):
    """Plot every group's schedule against epochs, restarts marked; returns (Figure, ScheduleSummary)."""
    lrs = group_schedule(lr, n_cycle, cycle_len, cycle_mult, n_batch, ratio, n_groups)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 3.5))
    x = np.arange(len(lrs)) / n_batch
    names = ["early body", "late body", "head"] if n_groups == 3 else [f"group {k}" for k in range(n_groups)]
    for k in range(n_groups):
        ax.plot(x, lrs[:, k], label=f"{names[k]} (lr {lrs.max(0)[k]:.1e})")
    restarts = restart_epochs(n_cycle, cycle_len, cycle_mult) if cycle_len else []
    for r in restarts:
        ax.axvline(r, color="grey", ls=":", lw=1)
    ep = n_epochs(n_cycle, cycle_len, cycle_mult)
    ax.set_yscale("log" if log else "linear")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.set_xticks(range(ep + 1))
    ax.set_title(f"fit(lr, {n_cycle}, cycle_len={cycle_len}, cycle_mult={cycle_mult}): {ep} epochs, "
                 f"restarts after {epoch_list(restarts)}", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig, ScheduleSummary(ep, len(lrs), restarts, list(group_lrs(lr, n_groups, ratio)))


def png_bytes(fig) -> bytes:
    """The figure as PNG bytes, cropped tight as the inline backend saves it; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


class Explorer(w.interactive):
    """Sliders wired to a figure, plus a static copy of the first figure for pages without a live kernel.

    `draw(**values)` returns (Figure, result). Displayed in a notebook, the explorer shows the widget and,
    below it, the figure as a plain image: exported HTML and GitHub cannot draw the widget (its figure lives
    in the kernel) but show the image. Where the widget does render, the image is removed as soon as the
    widget's view appears, so a live notebook shows the figure once.
    """

    def __init__(self, draw: Callable, **sliders):
        self.draw = draw

        def show(**values):
            _, result = draw(**values)
            plt.show()
            return result

        super().__init__(show, **sliders)
        self._static = None  # the display handle of the static image, until a live view replaces it
        self._view_count = 0  # opt in to ipywidgets' view counting: the frontend reports each view it renders
        self.observe(self._on_view, names="_view_count")

    def static_bundle(self) -> dict:
        """The current figure as a display bundle: PNG plus a text line for text-only readers."""
        fig, _ = self.draw(**self.kwargs)
        png = base64.b64encode(png_bytes(fig)).decode()
        return {"image/png": png, "text/plain": "<static copy of the explorer's figure>"}

    def _ipython_display_(self) -> None:
        display(self._repr_mimebundle_(), raw=True)  # the live widget
        self._static = display(self.static_bundle(), raw=True, display_id=True)

    def _on_view(self, change) -> None:
        if change["new"] and self._static is not None:  # the widget is drawn: the static copy would repeat it
            self._static.update({"text/plain": ""}, raw=True)
            self._static = None


def schedule_explorer() -> Explorer:
    """Sliders for lr, n_cycle, cycle_len, cycle_mult, batches per epoch and the group ratio."""

    def draw(log10_lr=-2.0, n_cycle=3, cycle_len=1, cycle_mult=2, n_batch=50, ratio=10.0, log_scale=False):
        return schedule_figure(10 ** log10_lr, n_cycle, cycle_len, cycle_mult, n_batch, ratio, log=log_scale)

    return Explorer(
        draw,
        log10_lr=w.FloatSlider(value=-2, min=-5, max=0, step=0.5, description="log10(lr)"),
        n_cycle=w.IntSlider(value=3, min=1, max=6, description="n_cycle"),
        cycle_len=w.IntSlider(value=1, min=1, max=4, description="cycle_len"),
        cycle_mult=w.IntSlider(value=2, min=1, max=3, description="cycle_mult"),
        n_batch=w.IntSlider(value=50, min=5, max=400, step=5, description="batches/epoch"),
        ratio=w.FloatSlider(value=10, min=1, max=10, step=1, description="group ratio"),
        log_scale=w.Checkbox(value=False, description="log scale"))


def lr_find_explorer(finder) -> Explorer:
    """Sliders for the skips and the smoothing of a recorded lr_find sweep."""
    n = len(finder.losses)
    a, b = skips(n)  # the finder's own defaults, as its plot uses them

    def draw(n_skip=a, n_skip_end=b, beta=0.98):
        fig = plot_lr_find(finder, n_skip, n_skip_end, beta=beta, detail=True)
        return fig, fig.suggestion

    return Explorer(draw, n_skip=w.IntSlider(value=a, min=0, max=max(0, n // 2)),
                    n_skip_end=w.IntSlider(value=b, min=0, max=max(0, n // 2)),
                    beta=w.FloatSlider(value=0.98, min=0.0, max=0.99, step=0.01))

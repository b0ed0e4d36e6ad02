"""The reference side of every check: the made-up cases the checkers try a student's code on, and the library's
own reading of a recorded run (where an lr_find curve falls, whether an epoch table over- or underfits, what
TTA changed), which answers about the student's own run are judged against."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import Change, paired_change
from ..steps import trn_column
from ..plots import suggest
from ..schedules import find_curve, find_lrs, smooth

SGDR_CASES = [  # (n_batch, n_cycle, cycle_len, cycle_mult): each run over a whole fit
    (20, 3, 1, 1),
    (20, 3, 1, 2),
    (10, 2, 2, 2),
]
FALL_LEVEL = 0.9  # the loss "starts to fall" where it last stands above 90% of the way from its lowest to its start
UNDER_RATIO = 1.05   # training loss this much above validation loss: the model has not fit its training set yet
OVER_RATIO = 0.8     # training loss this far below validation loss ...
OVER_RISE = 1.2      # ... while validation loss has risen this much above its best epoch: memorising


def restarts(v: np.ndarray, n_batch: int, first_len: int) -> list[float]:
    """Epochs at which a schedule jumps back up, ignoring the end of the first cycle's warm-up."""
    jumps = np.nonzero(np.diff(v) > 0.3)[0] + 1
    return [round(i / n_batch, 2) for i in jumps if i > first_len / 20 + 1]


def lr_find_record(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A recorded lr_find sweep (lrs, raw batch losses): falls, bottoms out near lr=0.1, then blows up."""
    rng = np.random.default_rng(seed)
    lrs = find_lrs(1e-5, 10, 100)
    x = np.log10(lrs)
    losses = 2.3 - 1.6 / (1 + np.exp(-2.5 * (x + 2.5))) + 0.6 * np.exp(2.5 * (x + 1)) + rng.normal(0, 0.03, len(x))
    return lrs, losses


def lr_find_suggestion(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, float]:
    """(suggested lr, lr at the lowest smoothed loss), as the lesson reads them off the plot."""
    s = suggest(lrs, smooth(losses))
    return s.lr, s.lr * 10


def tta_cases() -> list[np.ndarray]:
    """Two (n_aug + 1, N, C) log-probability arrays on which the usual wrong averages all differ from the right one."""
    rng = np.random.default_rng(1)
    out = []
    for n_aug, n, c in ((4, 6, 3), (2, 5, 4)):
        z = rng.normal(0, 2, (n_aug + 1, n, c))
        z[1, 0, 0] = -30  # one augmented copy nearly rules out a class: the two averages differ clearly here
        out.append(z - np.log(np.exp(z).sum(-1, keepdims=True)))
    return out


def log_loss_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(labels, probabilities) pairs: random ones, then certain right and certain wrong answers (0 and 1)."""
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(3), 6)
    y = rng.integers(0, 3, 6)
    sure = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])  # a certain right answer, a certain wrong one
    return [(y, p), (np.array([0, 0, 2]), sure)]


def submission_case() -> tuple[np.ndarray, list[str], list[str]]:
    """(probs, test file names, classes) of a tiny test set."""
    rng = np.random.default_rng(3)
    fnames = ["test/0a1b.jpg", "test/007.jpg", "test/ff3c.jpg", "test/NA.jpg"]
    classes = ["beagle", "boxer", "pug"]
    return rng.dirichlet(np.ones(3), len(fnames)), fnames, classes


def lr_range(lrs, losses) -> tuple[float, float]:
    """(lr where the smoothed loss starts to fall, lr where it is lowest) of a recorded lr_find sweep.

    The first and last points are left out, as the finder's plot does; a good pick lies between the two.
    """
    lrs, sm, _ = find_curve(lrs, losses)
    ok = np.isfinite(sm)
    if ok.sum() < 3:
        raise ValueError(f"only {int(ok.sum())} usable points in the sweep; run learn.lr_find() again")
    i_min = int(np.flatnonzero(ok)[np.argmin(sm[ok])])
    top = float(np.nanmedian(sm[:max(1, min(10, i_min))]))  # the plateau the curve starts from
    level = sm[i_min] + FALL_LEVEL * (top - sm[i_min])
    high = np.flatnonzero(ok[:i_min] & (sm[:i_min] >= level))
    return float(lrs[high[-1]] if len(high) else lrs[0]), float(lrs[i_min])


def fit_diagnosis(history: pd.DataFrame) -> str:
    """'underfitting', 'overfitting' or 'neither', read from an epoch table's training loss (`trn_column`: each
    epoch's mean batch loss where the table has it) and its val_loss.

    Underfitting: the last training loss above the validation loss (dropout and augmentation handicap training;
    the model does better on images it never saw). Overfitting: training loss well below validation loss, and
    validation loss risen from its best epoch. Anything between is neither.
    """
    trn, val = (np.asarray(history[c], dtype=float) for c in (trn_column(history), "val_loss"))
    if trn[-1] > UNDER_RATIO * val[-1]:
        return "underfitting"
    if trn[-1] < OVER_RATIO * val[-1] and val[-1] > OVER_RISE * val.min():
        return "overfitting"
    return "neither"


def tta_gain(log_preds, y) -> Change:
    """The paired change from the plain pass to the TTA average, on the same images (metrics.paired_change)."""
    lp, y = np.asarray(log_preds, dtype=float), np.asarray(y).astype(int)
    return paired_change(lp[0], np.exp(lp).mean(0), y)

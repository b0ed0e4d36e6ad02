"""Looking at predictions (lesson 1's plots): which images the model gets right, wrong, or is unsure about.

Every plot returns its matplotlib Figure (made through pyplot, like course_lib's other plots): a notebook
shows it with `plt.show()`, a script saves it with `fig.savefig(...)` and closes it with `plt.close(fig)`. Images are shown as the model saw them: opened with `open_image`, scaled and
centre-cropped by the validation transforms, then de-normalised.

    interp = ClassificationInterpretation.from_learner(learn, tta=True)
    interp.plot_random(correct=False)
    interp.plot_most_incorrect('cats')
    interp.plot_top_losses(9)
    interp.plot_confusion_matrix()
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Sequence

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .inference import tta as run_tta  # `tta` is also from_learner's flag
from .metrics import confusion_matrix
from .transforms import denorm

EPS = 1e-15  # the clip log_loss uses, so top losses agree with it


# ---------------------------------------------------------------------- drawing
def show_images(imgs: Sequence[np.ndarray], titles: Sequence[str], ncols: int = 4, suptitle: str | None = None,
                size: float = 3.0) -> Figure:
    """A Figure with one image (HWC array in [0, 1]) per axis, `ncols` per row, each with its title."""
    n = len(imgs)
    if n == 0:
        fig = plt.figure(figsize=(size * 2, 1.0))
        fig.text(0.5, 0.5, f"{suptitle or 'images'}: none to show", ha="center", va="center")
        return fig
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = plt.figure(figsize=(size * ncols, size * nrows + (0.5 if suptitle else 0)), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, img, title in zip(axes, imgs, titles):
        ax.imshow(img)
        ax.set_title(title, fontsize=10)
    for ax in axes:
        ax.axis("off")
    for ax in axes[n:]:
        fig.delaxes(ax)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_confusion_matrix(cm: np.ndarray, classes: Sequence[str], normalize: bool = False,
                          title: str = "Confusion matrix", cmap: str = "Blues") -> Figure:
    """Rows: actual class, columns: predicted; each cell shows its count (and its row fraction if normalize)."""
    cm = np.asarray(cm)
    c = len(classes)
    if cm.shape != (c, c):
        raise ValueError(f"confusion matrix is {cm.shape} but there are {c} class names; expected ({c}, {c}).")
    rows = cm.sum(1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)
    shown = frac if normalize else cm
    side = max(4.0, 0.5 * c + 2)
    fig = plt.figure(figsize=(side + 1, side), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(shown, interpolation="nearest", cmap=cmap, vmin=0, vmax=1 if normalize else max(1, cm.max()))
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.set_xticks(range(c), labels=list(classes), rotation=45, ha="right")
    ax.set_yticks(range(c), labels=list(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(title + (" (fraction of each actual class)" if normalize else ""))
    if c <= 30:  # beyond that the numbers overlap and only the colours are readable
        dark = shown.max() / 2 if shown.max() > 0 else 1
        for i in range(c):
            for j in range(c):
                text = f"{frac[i, j]:.2f}\n({cm[i, j]})" if normalize else f"{cm[i, j]}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > dark else "black")
    return fig


# ---------------------------------------------------------------------- the interpretation object
class ClassificationInterpretation:
    """Predicted probabilities (N, C) of a single-label data set next to its labels, with the lesson's plots."""

    def __init__(self, data, probs: np.ndarray, y: np.ndarray | None, ds=None):
        if getattr(data, "is_multi", False):
            raise ValueError("ClassificationInterpretation is for single-label data (one class per image); this "
                             "data is multi-label. Look at per-class thresholds of the sigmoid outputs instead.")
        self.data = data
        self.ds = ds if ds is not None else data.val_ds
        self.probs = np.asarray(probs, dtype=np.float64)
        n = len(self.ds)
        if self.probs.ndim != 2 or self.probs.shape != (n, data.c):
            raise ValueError(f"probs has shape {self.probs.shape}; expected ({n}, {data.c}) = (images, classes). "
                             f"Average TTA output first: np.mean(np.exp(log_preds), 0).")
        if self.probs.min() < 0 or not np.allclose(self.probs.sum(1), 1, atol=1e-3):
            raise ValueError("probs must be probabilities whose rows sum to 1; got log-probabilities? "
                             "Pass np.exp(log_preds) (or the TTA average).")
        self.y = None if y is None else np.asarray(y, dtype=np.int64)
        if self.y is not None and self.y.shape != (n,):
            raise ValueError(f"y has shape {self.y.shape}; expected ({n},) class indices.")
        self.preds = self.probs.argmax(1)

    @classmethod
    def from_learner(cls, learn, tta: bool = True, n_aug: int = 4, is_test: bool = False,
                     seed: int | None = None) -> "ClassificationInterpretation":
        """Predict the validation (or test) set, with TTA averaged in probability space or one plain pass."""
        ds = learn.data.test_ds if is_test else learn.data.val_ds
        if tta:
            probs, y = run_tta(learn, n_aug=n_aug, is_test=is_test, seed=seed, average=True)
        else:
            probs = np.exp(learn.predict(is_test=is_test))
            y = None if is_test else learn.data.val_y
        return cls(learn.data, probs, y, ds)

    # ------------------------------------------------------------------ what to look at
    @property
    def classes(self) -> list[str]:
        return list(self.data.classes)

    def _need_y(self) -> np.ndarray:
        if self.y is None:
            raise ValueError("No labels (a test set?): correct/incorrect needs the validation set.")
        return self.y

    @property
    def correct(self) -> np.ndarray:
        """Boolean mask: prediction equals label."""
        return self.preds == self._need_y()

    @property
    def losses(self) -> np.ndarray:
        """Per-image log loss: -log p(actual class), clipped like metrics.log_loss."""
        y = self._need_y()
        return -np.log(np.clip(self.probs[np.arange(len(y)), y], EPS, 1))

    def _class(self, cls: str | int) -> int:
        if isinstance(cls, (int, np.integer)):
            return int(cls)
        if cls not in self.classes:
            raise ValueError(f"Unknown class {cls!r}; the classes are {self.classes[:10]}.")
        return self.classes.index(cls)

    def rand_by_correct(self, is_correct: bool, n: int = 4, seed: int | None = None) -> np.ndarray:
        """Indices of up to `n` random correctly (or incorrectly) classified images."""
        idxs = np.flatnonzero(self.correct == is_correct)
        rng = np.random.default_rng(seed)
        return rng.choice(idxs, min(n, len(idxs)), replace=False) if len(idxs) else idxs

    def most_by_correct(self, cls: str | int, is_correct: bool, n: int = 4) -> np.ndarray:
        """Images of class `cls`: the most confidently right (highest p(cls)), or most confidently wrong (lowest)."""
        k = self._class(cls)
        idxs = np.flatnonzero((self._need_y() == k) & (self.correct == is_correct))
        p = self.probs[idxs, k]
        order = np.argsort(-p if is_correct else p, kind="stable")
        return idxs[order[:n]]

    def most_uncertain(self, n: int = 4, cls: str | int | None = None) -> np.ndarray:
        """Images whose top probability is nearest 1/C (0.5 for two classes): the model cannot decide.

        With `cls`, only images of that actual class.
        """
        gap = self.probs.max(1) - 1 / self.data.c
        idxs = np.arange(len(gap)) if cls is None else np.flatnonzero(self._need_y() == self._class(cls))
        return idxs[np.argsort(gap[idxs], kind="stable")[:n]]

    def top_losses(self, k: int = 9) -> tuple[np.ndarray, np.ndarray]:
        """(losses, indices) of the `k` images with the highest loss, largest first."""
        idxs = np.argsort(-self.losses, kind="stable")[:k]
        return self.losses[idxs], idxs

    def confusion_matrix(self) -> np.ndarray:
        """Counts [actual, predicted]."""
        return confusion_matrix(self._need_y(), self.preds, self.data.c)

    # ------------------------------------------------------------------ pictures
    def most_confused(self, n: int = 3, min_val: int = 1) -> list[tuple[str, str, int]]:
        """(actual, predicted, images) for the `n` most frequent mistakes of at least `min_val` images, most
        first; pairs tied with the n-th are included too, so the cut never ranks equal counts."""
        cm = self.confusion_matrix()
        pairs = sorted(((self.classes[i], self.classes[j], int(cm[i, j])) for i in range(len(cm))
                        for j in range(len(cm)) if i != j and cm[i, j] >= min_val), key=lambda t: -t[2])
        if len(pairs) <= n:
            return pairs
        return [t for t in pairs if t[2] >= pairs[n - 1][2]]

    def fname(self, i: int) -> str:
        """The file name of image i, without its folders."""
        return PurePosixPath(str(self.ds.fnames[i])).name

    def image(self, i: int, sz: int | None = None) -> np.ndarray:
        """Image i as the model sees it (validation transforms, centre crop), HWC in [0, 1]; `sz` to enlarge."""
        tfm = self.data.tfms[1] if sz is None else self.data.tfms[1].with_size(sz)
        return denorm(tfm(self.ds.path / self.ds.fnames[i]), tfm.stats)

    def _title(self, i: int) -> str:
        k = self.preds[i]
        return f"{self.probs[i, k]:.3f} {self.classes[k]}\n{self.fname(i)}"

    def plot_idxs(self, idxs: Sequence[int], title: str, titles: Sequence[str] | None = None, ncols: int = 4,
                  sz: int | None = None) -> Figure:
        """A row (or rows) of the given images, each titled with its predicted class probability and file name."""
        titles = [self._title(i) for i in idxs] if titles is None else titles
        return show_images([self.image(i, sz) for i in idxs], titles, ncols, suptitle=title)

    def plot_random(self, correct: bool = True, n: int = 4, seed: int | None = None, sz: int | None = None) -> Figure:
        """Random correctly (or incorrectly) classified images."""
        idxs = self.rand_by_correct(correct, n, seed)
        return self.plot_idxs(idxs, f"Random {'correctly' if correct else 'incorrectly'} classified", sz=sz)

    def plot_most_correct(self, cls: str | int, n: int = 4, sz: int | None = None) -> Figure:
        """The images of `cls` the model is surest are `cls`, and right."""
        idxs = self.most_by_correct(cls, True, n)
        return self.plot_idxs(idxs, f"Most correct {self.classes[self._class(cls)]}", sz=sz)

    def plot_most_incorrect(self, cls: str | int, n: int = 4, sz: int | None = None) -> Figure:
        """The images of `cls` the model is surest are something else (title: predicted class and its probability)."""
        idxs = self.most_by_correct(cls, False, n)
        return self.plot_idxs(idxs, f"Most incorrect {self.classes[self._class(cls)]}", sz=sz)

    def plot_most_uncertain(self, n: int = 4, sz: int | None = None, cls: str | int | None = None) -> Figure:
        """The images (of actual class `cls`, if given) whose top probability is nearest 1/C."""
        which = "" if cls is None else f" {self.classes[self._class(cls)]}"
        return self.plot_idxs(self.most_uncertain(n, cls),
                              f"Most uncertain{which} (top probability nearest 1/{self.data.c})", sz=sz)

    def plot_class(self, cls: str | int, n: int = 4, sz: int | None = None) -> Figure:
        """Three rows for one class: its most confidently right images, its most confidently wrong ones, and its
        most uncertain ones, each titled with what it shows, the predicted class and its probability."""
        rows = (("right", self.most_by_correct(cls, True, n)), ("wrong", self.most_by_correct(cls, False, n)),
                ("unsure", self.most_uncertain(n, cls)))
        idxs = [i for _, ix in rows for i in ix]
        titles = [f"{what}: {self.probs[i, self.preds[i]]:.3f} {self.classes[self.preds[i]]}" for what, ix in rows
                  for i in ix]
        name = self.classes[self._class(cls)]
        return show_images([self.image(i, sz) for i in idxs], titles, ncols=n, size=2.2,
                           suptitle=f"actual {name}: most confidently right, most confidently wrong, most uncertain")

    def plot_top_losses(self, k: int = 9, ncols: int = 3, sz: int | None = None) -> Figure:
        """The `k` highest-loss images titled predicted/actual, loss, p(actual) and file name."""
        losses, idxs = self.top_losses(k)
        titles = [f"{self.classes[self.preds[i]]}/{self.classes[self.y[i]]}\n"
                  f"loss {l:.2f}, p(actual) {self.probs[i, self.y[i]]:.3f}\n{self.fname(i)}"
                  for l, i in zip(losses, idxs)]
        return self.plot_idxs(idxs, "Top losses: predicted/actual", titles, ncols=ncols, sz=sz)

    def plot_confusion_matrix(self, normalize: bool = False, **kw) -> Figure:
        """The confusion matrix with class names, counts in the cells."""
        return plot_confusion_matrix(self.confusion_matrix(), self.classes, normalize, **kw)

    def __repr__(self) -> str:
        acc = f", accuracy {self.correct.mean():.4f}" if self.y is not None else ""
        return f"ClassificationInterpretation({len(self.probs)} images, {self.data.c} classes{acc})"


Interpretation = ClassificationInterpretation

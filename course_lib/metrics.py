"""Metrics on whole prediction arrays: accuracy, log loss, confusion matrix (no scikit-learn needed)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


def accuracy(preds: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose arg-max equals the label (multi-label: thresholded at 0 logit, per element)."""
    if y.dim() == 2 and y.dtype.is_floating_point:  # n-hot targets
        return ((preds > 0).float() == y).float().mean().item()
    return (preds.argmax(dim=-1) == y).float().mean().item()


def accuracy_np(preds: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of probabilities or scores `preds` (N, C) against integer labels `y` (N,)."""
    preds, y = np.asarray(preds), np.asarray(y)
    return float((np.argmax(preds, axis=1) == y).mean())


def accuracy_thresh(thresh: float = 0.5):
    """Multi-label accuracy at a probability threshold, for `metrics=[accuracy_thresh(0.5)]`."""
    def acc(preds: torch.Tensor, y: torch.Tensor) -> float:
        return ((torch.sigmoid(preds) > thresh).float() == y).float().mean().item()
    acc.__name__ = f"acc_{thresh}"
    return acc


def log_loss(y: np.ndarray, probs: np.ndarray, eps: float = 1e-15) -> float:
    """Mean negative log probability of the true class, probabilities clipped to [eps, 1-eps] and renormalised."""
    y, p = np.asarray(y), np.asarray(probs, dtype=np.float64)
    p = np.clip(p, eps, 1 - eps)
    p = p / p.sum(axis=1, keepdims=True)
    if y.ndim == 2:  # one-hot / n-hot targets
        return float(-(y * np.log(p)).sum(axis=1).mean())
    return float(-np.log(p[np.arange(len(y)), y]).mean())


def confusion_matrix(y: np.ndarray, preds: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Counts [true, predicted]; `preds` are class indices or (N, C) scores."""
    y, preds = np.asarray(y), np.asarray(preds)
    if preds.ndim == 2:
        preds = preds.argmax(axis=1)
    n = n_classes or int(max(y.max(initial=0), preds.max(initial=0)) + 1)
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y, preds), 1)
    return cm


def accuracy_se(acc: float, n: int) -> float:
    """Binomial standard error of an accuracy measured on n images: sqrt(acc (1 - acc) / n)."""
    return float(np.sqrt(max(acc * (1 - acc), 0.0) / n)) if n else float("nan")


class Change(NamedTuple):
    """How a step changed accuracy on the same validation images."""
    delta: float   # accuracy after - accuracy before
    se: float      # standard error of delta for paired predictions (McNemar): sqrt(fixed + broken) / n, roughly
    fixed: int     # images wrong before, right after
    broken: int    # images right before, wrong after


def paired_change(before: np.ndarray, after: np.ndarray, y: np.ndarray) -> Change:
    """Accuracy change between two predictions (scores (N, C) or classes (N,)) of the same images, with its noise.

    Only the images whose verdict changed carry information, so the paired standard error is much smaller
    than two separate binomial errors would suggest when both models agree on most images.
    """
    y = np.asarray(y)
    a = np.asarray(before)
    b = np.asarray(after)
    a = a.argmax(1) if a.ndim == 2 else a
    b = b.argmax(1) if b.ndim == 2 else b
    ra, rb = a == y, b == y
    fixed, broken, n = int((~ra & rb).sum()), int((ra & ~rb).sum()), len(y)
    d = (fixed - broken) / n
    se = float(np.sqrt(max(fixed + broken - n * d * d, 0.0)) / n) if n else float("nan")
    return Change(float(d), se, fixed, broken)

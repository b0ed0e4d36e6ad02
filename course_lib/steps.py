"""What each step of a recipe bought: accuracy with its standard error, paired changes, and plain verdicts."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import Change, accuracy_np, accuracy_se, log_loss, paired_change


def as_probs(outputs: np.ndarray, probs: bool = False) -> np.ndarray:
    """Probabilities from logits (softmax), or from probabilities (renormalised)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    p = outputs if probs else np.exp(outputs - outputs.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def verdict(change: Change) -> str:
    """A change compared with its noise, in words: helped / hurt by more than 2 standard errors, or within the noise."""
    d, se = change.delta, change.se
    if se == 0:
        return "no image changed its verdict" if d == 0 else f"{d:+.3f} (every changed image moved the same way)"
    if d / se > 2:
        return f"helped, by more than twice its standard error ({d:+.3f} +- {se:.3f})"
    if d / se < -2:
        return f"hurt, by more than twice its standard error ({d:+.3f} +- {se:.3f})"
    return f"moved accuracy by {d:+.3f} +- {se:.3f}: within the noise"


class Steps:
    """The validation predictions of one learner after each step, and the table of what each step changed."""

    def __init__(self, y: np.ndarray):
        self.y = np.asarray(y)
        self.names: list[str] = []
        self.probs: list[np.ndarray] = []

    def add(self, name: str, outputs: np.ndarray, probs: bool = False) -> None:
        """Record a step's validation outputs: logits (e.g. `learn.sched.last_preds()`) or probabilities."""
        p = as_probs(outputs, probs)
        if len(p) != len(self.y):
            raise ValueError(f"{name}: {len(p)} predictions for {len(self.y)} validation images.")
        self.names.append(name)
        self.probs.append(p)

    def change(self, i: int, j: int) -> Change:
        """Accuracy change from step i to step j on the same images."""
        return paired_change(self.probs[i], self.probs[j], self.y)

    def table(self) -> pd.DataFrame:
        """One row per step: accuracy, its standard error, log loss, and the change against the step before."""
        rows = []
        for k, (name, p) in enumerate(zip(self.names, self.probs)):
            acc = accuracy_np(p, self.y)
            row = {"step": name, "accuracy": acc, "±": accuracy_se(acc, len(self.y)), "log loss": log_loss(self.y, p)}
            if k:
                ch = self.change(k - 1, k)
                row.update({"change": ch.delta, "change ±": ch.se, "fixed": ch.fixed, "broke": ch.broken})
            rows.append(row)
        return pd.DataFrame(rows).set_index("step")

    def shown(self) -> pd.DataFrame:
        """The table for reading: three decimals, whole numbers of images, blanks where there is no step before."""
        t = self.table()
        return t.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else
                                           f"{v:.0f}" if col.name in ("fixed", "broke") else f"{v:.3f}"))

    def verdicts(self) -> list[str]:
        """One line per step after the first, and one for the whole chain."""
        lines = [f"{self.names[k]}: {verdict(self.change(k - 1, k))}" for k in range(1, len(self.names))]
        if len(self.names) > 1:
            lines.append(f"the whole chain, {self.names[0]} -> {self.names[-1]}: "
                         f"{verdict(self.change(0, len(self.names) - 1))}")
        return lines

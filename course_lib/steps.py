"""What each step of a recipe bought: accuracy with its standard error, paired changes, plain verdicts, and
the lesson's rule of going back to the better model when a step hurts."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .lang import say
from .metrics import Change, accuracy_np, accuracy_se, log_loss, paired_change

CLOSE = 1.6  # |change| / s.e. from here up to 2 is "within the noise, but close to 2 s.e."
CONFIDENT = 0.9  # a wrong answer given with at least this probability is a confident mistake


def as_probs(outputs: np.ndarray, probs: bool = False) -> np.ndarray:
    """Probabilities from logits (softmax), or from probabilities (renormalised)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    p = outputs if probs else np.exp(outputs - outputs.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def verdict(change: Change) -> str:
    """A change compared with its noise, in words: helped / hurt by more than 2 standard errors, or within the noise."""
    d, se = change.delta, change.se
    if se == 0:
        return say("steps.none_changed") if d == 0 else say("steps.same_way", d=d)
    z = d / se
    if z > 2:
        return say("steps.helped", d=d, se=se)
    if z < -2:
        return say("steps.hurt", d=d, se=se)
    close = say("steps.close", z=abs(z)) if abs(z) >= CLOSE else ""
    return say("steps.noise", d=d, se=se, close=close)


def rank_sentence(value: float, others: np.ndarray, who: str, what: str | None = None, step: float = 0.0) -> str:
    """Where one run's figure sits among other seeds' runs of the same step, in words.

    `step` is the smallest difference that means anything (one validation image, 1/n, for an accuracy): a run
    at most that far from the others' median is a typical start even at the bottom of their range, as when
    every seed gets all images but one or two right.
    """
    others = np.sort(np.asarray(others, dtype=float))
    # accuracies come as float32 from epoch tables and as float64 from predictions: 0.99 must equal 0.99000001
    below = int((others < value - 1e-6).sum())
    ties = int((np.abs(others - value) <= 1e-6).sum())
    n = len(others)
    if ties == n:
        where = say("steps.rank.equal_all", n=n)
    elif below == 0 and ties == 0:
        where = say("steps.rank.below_all", n=n)
    elif below == n:
        where = say("steps.rank.above_all", n=n)
    else:
        where = say("steps.rank.between", below=below, above=n - below - ties, n=n) + (
            say("steps.rank.ties", ties=ties) if ties else "")
    off = value - float(np.median(others))
    luck = ("typical" if abs(off) <= step + 1e-6 else "low" if below <= n // 4 and off < 0
            else "high" if below >= n - n // 4 and off > 0 else "typical")
    return say("steps.rank", who=who, what=what or say("steps.accuracy"), value=value, where=where,
               lo=others.min(), hi=others.max(), luck=say(f"steps.rank.{luck}"))


class Steps:
    """The validation predictions of one learner after each step, and the table of what each step changed.

    A step can be *reverted* (the lesson's rule: keep the better model). It stays in the table with its
    figures, and the next step is measured against the last step that was kept.
    """

    def __init__(self, y: np.ndarray):
        self.y = np.asarray(y)
        self.names: list[str] = []
        self.probs: list[np.ndarray] = []
        self.kept: list[bool] = []

    def add(self, name: str, outputs: np.ndarray, probs: bool = False, kept: bool = True) -> None:
        """Record a step's validation outputs: logits (e.g. `learn.sched.last_preds()`) or probabilities."""
        p = as_probs(outputs, probs)
        if len(p) != len(self.y):
            raise ValueError(f"{name}: {len(p)} predictions for {len(self.y)} validation images.")
        self.names.append(name)
        self.probs.append(p)
        self.kept.append(kept)

    @property
    def current(self) -> int:
        """Index of the last step that was kept: the model the learner holds now."""
        return max(k for k, kept in enumerate(self.kept) if kept)

    def accuracy(self, k: int) -> float:
        """Validation accuracy after step k."""
        return accuracy_np(self.probs[k], self.y)

    def log_loss(self, k: int) -> float:
        """Validation log loss after step k."""
        return log_loss(self.y, self.probs[k])

    def better(self, outputs: np.ndarray, probs: bool = False) -> bool:
        """Whether these outputs beat the current model on validation: higher accuracy, or equal accuracy and a
        lower log loss."""
        p = as_probs(outputs, probs)
        acc, cur = accuracy_np(p, self.y), self.accuracy(self.current)
        return acc > cur or (acc == cur and log_loss(self.y, p) < self.log_loss(self.current))

    def attempt(self, name: str, outputs: np.ndarray, revert: Callable[[], None], probs: bool = False) -> str:
        """Add a step that is kept only if it is better (see `better`); else `revert()` puts the model back.

        Returns the sentence that says which model stands, with the step's change and its noise.
        """
        before = self.current
        keep = self.better(outputs, probs)
        self.add(name, outputs, probs, kept=keep)
        ch = self.change(before, len(self.names) - 1)
        if keep:
            return say("steps.kept", name=name, verdict=verdict(ch))
        revert()
        return say("steps.reverted", name=name, verdict=verdict(ch), before=self.names[before])

    def change(self, i: int, j: int) -> Change:
        """Accuracy change from step i to step j on the same images."""
        return paired_change(self.probs[i], self.probs[j], self.y)

    def base(self, k: int) -> int:
        """The step that step k started from: the last kept step before it."""
        return max(i for i in range(k) if self.kept[i])

    def table(self) -> pd.DataFrame:
        """One row per step: accuracy, its standard error, log loss, the change against the step it started
        from, and whether its model was kept."""
        rows = []
        for k, (name, p) in enumerate(zip(self.names, self.probs)):
            acc = accuracy_np(p, self.y)
            row = {"step": name, "accuracy": acc, "±": accuracy_se(acc, len(self.y)), "log loss": log_loss(self.y, p)}
            if k:
                ch = self.change(self.base(k), k)
                row.update({"change": ch.delta, "change ±": ch.se, "fixed": ch.fixed, "broke": ch.broken})
            if not all(self.kept):
                row["kept"] = "yes" if self.kept[k] else "no, reverted"
            rows.append(row)
        return pd.DataFrame(rows).set_index("step")

    def shown(self) -> pd.DataFrame:
        """The table for reading: three decimals, whole numbers of images, blanks where there is no step before."""
        t = self.table()

        def fmt(col):
            if col.name == "kept":
                return col
            return col.map(lambda v: "" if pd.isna(v) else f"{v:.0f}" if col.name in ("fixed", "broke") else f"{v:.3f}")
        t = t.apply(fmt)
        if "kept" in t:
            t["kept"] = t["kept"].map({"yes": say("steps.yes"), "no, reverted": say("steps.no_reverted")})
        t.index.name = say("steps.col.step")
        return t.rename(columns=lambda c: say(f"steps.col.{c}"))

    def verdicts(self) -> list[str]:
        """One line per step after the first, and one for the whole chain (first step -> the model kept last)."""
        lines = []
        for k in range(1, len(self.names)):
            line = say("steps.line", name=self.names[k], verdict=verdict(self.change(self.base(k), k)))
            if not self.kept[k]:
                line += say("steps.reverted_to", before=self.names[self.base(k)])
            lines.append(line)
        last = self.current
        if last > 0:
            lines.append(say("steps.chain", first=self.names[0], last=self.names[last],
                             verdict=verdict(self.change(0, last))))
        return lines

    def image_losses(self, k: int) -> np.ndarray:
        """Each validation image's log loss after step k, -ln p(true class) (clipped as log_loss clips)."""
        return -np.log(np.clip(self.probs[k][np.arange(len(self.y)), self.y], 1e-15, 1))

    def confident_mistakes(self, k: int) -> np.ndarray:
        """Which images step k got wrong with probability at least CONFIDENT."""
        p = self.probs[k]
        return (p.argmax(1) != self.y) & (p.max(1) >= CONFIDENT)

    def loss_against_accuracy(self, i: int, j: int) -> str | None:
        """When accuracy and log loss move in opposite directions from step i to j, the sentence that says why:
        log loss weighs how sure each answer is, and a few confident mistakes outweigh many small gains."""
        da = self.accuracy(j) - self.accuracy(i)
        dl = self.log_loss(j) - self.log_loss(i)
        if not da * dl > 0:  # both rose (or both fell): better by one measure, worse by the other
            return None
        conf = [int(self.confident_mistakes(k).sum()) for k in (i, j)]
        worst = [float(self.image_losses(k).max()) for k in (i, j)]
        return say("steps.loss_against_accuracy", a=self.names[i], b=self.names[j],
                   da_dir=say("steps.rose" if da > 0 else "steps.fell"), da=abs(da),
                   dl_dir=say("steps.rose" if dl > 0 else "steps.fell"), dl=abs(dl), conf=CONFIDENT,
                   c0=conf[0], c1=conf[1], w0=worst[0], w1=worst[1])

    def loss_above_chance(self, k: int) -> str | None:
        """When step k's log loss is no better than chance although its accuracy is clearly above chance, the
        sentence that says why: how much of the loss its confident mistakes carry."""
        y, c = self.y, self.probs[k].shape[1]
        acc, ll = self.accuracy(k), self.log_loss(k)
        # accuracy clearly above guessing (2 s.e. of a coin's accuracy on these images), log loss not below it
        if ll < np.log(c) or acc <= 1 / c + 2 * accuracy_se(1 / c, len(y)):
            return None
        per, conf = self.image_losses(k), self.confident_mistakes(k)
        # "worse" only when clearly above: within 0.01 of ln c it is as good as always answering 1/c
        how = say("steps.chance.worse" if ll > np.log(c) + 0.01 else "steps.chance.level")
        return say("steps.loss_above_chance", name=self.names[k], ll=ll, c=c, chance=np.log(c), acc=acc, how=how,
                   n=int(conf.sum()), conf=CONFIDENT, share=float(per[conf].sum() / per.sum()),
                   frac=float(conf.mean()))


def trn_column(history: pd.DataFrame) -> str:
    """The training-loss column an epoch table is judged by: `trn_mean` (each epoch's mean batch loss) where
    learn.history has it, all finite; else the epoch table's `trn_loss`.

    `trn_loss` is the lesson's running average (beta 0.98 over the whole fit, about the last 50 batches): with a
    dozen batches an epoch it still carries the higher losses of earlier epochs, so it can stand above the
    validation loss while no epoch's own training loss does.
    """
    if "trn_mean" in history.columns:
        try:
            if np.isfinite(np.asarray(history["trn_mean"], dtype=float)).all():
                return "trn_mean"
        except (TypeError, ValueError):
            pass
    return "trn_loss"


def fit_losses(fit: pd.DataFrame) -> str:
    """What one fit's loss columns say, in words: the validation loss against its lowest, and the training loss
    beside it (overfitting, a training handicap, or neither). `fit` is that fit's rows of `learn.history`.

    The training loss compared is each epoch's mean batch loss (`trn_mean`), not the table's `trn_loss`: that is
    the lesson's running average (beta 0.98, about the last 50 batches), which on a small data set of a dozen
    batches an epoch still carries the higher losses of earlier epochs."""
    first, last = fit.iloc[0], fit.iloc[-1]
    trn = trn_column(fit)
    low, at = fit.val_loss.min(), int(np.argmin(fit.val_loss.to_numpy()))
    line = say("steps.fit_losses" if trn == "trn_mean" else "steps.fit_losses.smoothed", n=len(fit),
               v0=first.val_loss, v1=last.val_loss, low=low, epoch=at, t0=first[trn], t1=last[trn])
    rose = last.val_loss > max(1.2 * low, low + 0.02)  # clearly above its lowest, not a wobble
    if not rose:
        key = "steps.fit.above" if last[trn] > last.val_loss else "steps.fit.below"
    elif "accuracy" in fit and last.accuracy >= fit.accuracy.iloc[at]:
        key = "steps.fit.surer"  # loss up, accuracy not down: surer of its answers, the wrong ones too
    elif last[trn] > last.val_loss:
        key = "steps.fit.handicap"
    else:
        key = "steps.fit.overfit"
    return line + say(key)


def loss_trend(losses, part: float = 1 / 3) -> str:
    """Whether a fit's batch losses were still falling at its end: the mean of the last `part` of the batches
    against the `part` before, compared with their batch-to-batch noise."""
    x = np.asarray(losses, dtype=float)
    k = max(2, int(len(x) * part))
    if len(x) < 2 * k or not np.isfinite(x).all():
        return say("steps.trend.short", n=len(x))
    a, b = x[-2 * k:-k], x[-k:]
    d, se = b.mean() - a.mean(), float(np.sqrt(a.var(ddof=1) / k + b.var(ddof=1) / k))
    key = "steps.trend.falling" if d < -2 * se else "steps.trend.rising" if d > 2 * se else "steps.trend.flat"
    return say(key, k=k, a=a.mean(), b=b.mean(), se=se)

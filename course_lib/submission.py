"""Kaggle submissions: write the CSV the dog-breed competition expects, and check one against the sample file.

    probs, _ = learn.TTA(is_test=True, average=True)
    fn = make_submission(probs, data, f'{PATH}subm/breeds.csv.gz')
    check_submission(fn, f'{PATH}sample_submission.csv')   # raises, listing what differs
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .csvfile import read_csv
from .lang import say

ROW_SUM_ATOL = 1e-3  # written probabilities are rounded; a real mistake is off by far more


def submission_ids(fnames) -> list[str]:
    """Kaggle ids from file names: the name without folders and without its last suffix ('test/0a1b.jpg' -> '0a1b')."""
    return [PurePosixPath(str(f)).stem for f in fnames]


def make_submission(probs: np.ndarray, data, fn: str | os.PathLike, gzip: bool | None = None,
                    ids: list[str] | None = None) -> Path:
    """Write `id` + one column per class (in `data.classes` order) for the test set; `.gz` (or gzip=True) compresses.

    A 1-D `probs` writes Kaggle's dogs-vs-cats redux format instead: `id,label`, one probability per image
    (of `data.classes[1]`, the dog, when given `probs[:, 1]`).
    """
    probs = np.asarray(probs)
    if data.test_ds is None and ids is None:
        raise ValueError("This data has no test set: build it with test_name='test' and predict with "
                         "learn.TTA(is_test=True, average=True).")
    ids = submission_ids(data.test_ds.fnames) if ids is None else [str(i) for i in ids]
    one_col = probs.ndim == 1  # dogs-vs-cats redux: `id,label`, the label being the probability of a dog
    if one_col:
        if len(probs) != len(ids):
            raise ValueError(f"probs has {len(probs)} values for {len(ids)} test images.")
        probs = probs[:, None]
    if probs.ndim == 3:
        raise ValueError(f"probs has shape {probs.shape}: raw TTA output. Average the passes first: "
                         f"np.mean(np.exp(log_preds), 0), or learn.TTA(is_test=True, average=True).")
    if not one_col and (probs.ndim != 2 or probs.shape != (len(ids), data.c)):
        hint = ""
        if data.val_ds is not None and probs.ndim == 2 and len(probs) == len(data.val_ds) != len(ids):
            hint = " These look like validation predictions: use learn.TTA(is_test=True, average=True)."
        raise ValueError(f"probs has shape {probs.shape}; expected ({len(ids)}, {data.c}) = "
                         f"(test images, classes).{hint}")
    if probs.size and probs.max() <= 0:
        raise ValueError("probs are all <= 0: log-probabilities? Kaggle scores probabilities; pass np.exp(...) "
                         "or learn.TTA(is_test=True, average=True).")
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique()[:5].tolist()
        raise ValueError(f"{len(ids) - len(set(ids))} duplicate ids (first: {dup}): two test files share a name "
                         f"apart from their suffix.")
    fn = Path(fn)
    if gzip is None:
        gzip = fn.suffix == ".gz"
    fn.parent.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(probs, columns=["label"] if one_col else list(data.classes))
    df.insert(0, "id", ids)
    # written next to its final name, checked as check_submission checks any file, then renamed: a file
    # with NaN, negative values or rows that do not sum to 1 is never left under that name
    tmp = fn.with_name(f".{os.getpid()}.{fn.name}")  # same suffix, so .gz is still read as gzip
    try:
        df.to_csv(tmp, index=False, compression="gzip" if gzip else None)
        try:
            check_submission(tmp, sums_to_one=not (one_col or getattr(data, "is_multi", False)))
        except SubmissionError as e:
            e.report.fn = fn
            raise SubmissionError(e.report) from None
        os.replace(tmp, fn)
    finally:
        tmp.unlink(missing_ok=True)
    return fn


class SubmissionError(ValueError):
    """A submission file that Kaggle would reject or score wrongly; `.report` lists every problem."""

    def __init__(self, report: "SubmissionReport"):
        self.report = report
        super().__init__(str(report))


@dataclass
class SubmissionReport:
    """What differs between a submission and the sample file (empty lists: it matches)."""
    fn: Path
    n_rows: int = 0
    problems: list[str] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)
    extra_ids: list[str] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    nan_rows: list[str] = field(default_factory=list)
    bad_sum_rows: list[str] = field(default_factory=list)
    misordered: int | None = None  # the first column whose name differs from the sample's there

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return say("submission.ok", fn=self.fn, n=self.n_rows)
        return "\n".join([say("submission.problems", fn=self.fn, n=self.n_rows, k=len(self.problems)),
                          *(f"  - {p}" for p in self.problems)])


def _first(xs, k: int = 5) -> str:
    xs = list(xs)
    return ", ".join(map(str, xs[:k])) + (say("submission.in_all", n=len(xs)) if len(xs) > k else "")


def check_submission(fn: str | os.PathLike, sample: str | os.PathLike | None = None, raise_error: bool = True,
                     sums_to_one: bool | None = None) -> SubmissionReport:
    """Compare a submission with Kaggle's sample file: column names and order, ids, NaNs, rows summing to 1.

    Raises SubmissionError listing every difference (or returns the report with raise_error=False).
    Without `sample` only the file's own checks run. `sums_to_one=None` checks row sums when there
    are two or more numeric columns (one probability per class); pass False for multi-label scores.
    """
    fn = Path(fn)
    if not fn.is_file():
        raise FileNotFoundError(f"Submission file {fn} does not exist.")
    sub = read_csv(fn, sep=",")
    rep = SubmissionReport(fn, n_rows=len(sub))
    if sub.shape[1] == 0:
        rep.problems.append(say("submission.no_columns"))
        return _finish(rep, raise_error)
    id_col = sub.columns[0]
    ids = sub[id_col].astype(str)
    if id_col.lower() != "id" and sample is None:
        rep.problems.append(say("submission.first_column", col=repr(id_col)))

    if sample is not None:
        smp = read_csv(Path(sample), sep=",")
        s_cols, cols = list(smp.columns), list(sub.columns)
        rep.missing_columns = [c for c in s_cols if c not in cols]
        rep.extra_columns = [c for c in cols if c not in s_cols]
        if rep.missing_columns:
            rep.problems.append(say("submission.missing_columns", n=len(rep.missing_columns),
                                    first=_first(rep.missing_columns)))
        if rep.extra_columns:
            rep.problems.append(say("submission.extra_columns", n=len(rep.extra_columns),
                                    first=_first(rep.extra_columns)))
        if not rep.missing_columns and not rep.extra_columns and cols != s_cols:
            k = rep.misordered = next(i for i, (a, b) in enumerate(zip(cols, s_cols)) if a != b)
            rep.problems.append(say("submission.column_order", k=k, col=repr(cols[k]), want=repr(s_cols[k])))
        s_ids = set(smp[s_cols[0]].astype(str))
        have = set(ids)
        rep.missing_ids = sorted(s_ids - have)
        rep.extra_ids = sorted(have - s_ids)
        if rep.missing_ids:
            rep.problems.append(say("submission.missing_ids", n=len(rep.missing_ids), first=_first(rep.missing_ids)))
        if rep.extra_ids:
            rep.problems.append(say("submission.extra_ids", n=len(rep.extra_ids), first=_first(rep.extra_ids))
                                + (say("submission.ids_suffix")
                                   if any("." in i or "/" in i for i in rep.extra_ids[:20]) else ""))
        if len(sub) != len(smp):
            rep.problems.append(say("submission.rows", n=len(sub), want=len(smp)))

    dup = ids[ids.duplicated()]
    rep.duplicate_ids = sorted(set(dup))
    if rep.duplicate_ids:
        rep.problems.append(say("submission.duplicate_ids", n=len(rep.duplicate_ids), first=_first(rep.duplicate_ids)))

    # prediction columns: those that hold numbers (a text column, e.g. space-separated tags, is left alone)
    pred_cols = [c for c in sub.columns[1:] if pd.to_numeric(sub[c], errors="coerce").notna().any()
                 or (sub[c] == "").all()]
    vals = sub[pred_cols].apply(pd.to_numeric, errors="coerce") if pred_cols else pd.DataFrame(index=sub.index)
    if pred_cols:
        nan = vals.isna().any(axis=1).to_numpy()
        rep.nan_rows = ids[nan].tolist()
        if rep.nan_rows:
            bad_cols = [c for c in pred_cols if vals[c].isna().any()]
            rep.problems.append(say("submission.nan_rows", n=len(rep.nan_rows), first=_first(rep.nan_rows),
                                    cols=_first(bad_cols)))
        a = vals.to_numpy(dtype=float)
        out = np.isfinite(a) & ((a < 0) | (a > 1))
        if out.any():
            rows = ids[out.any(axis=1)].tolist()
            rep.problems.append(say("submission.out_of_range", n=len(rows), first=_first(rows)))
        check_sums = len(pred_cols) >= 2 if sums_to_one is None else sums_to_one
        if check_sums:
            s = np.nansum(a, axis=1)
            bad = ~nan & (np.abs(s - 1) > ROW_SUM_ATOL)
            rep.bad_sum_rows = ids[bad].tolist()
            if rep.bad_sum_rows:
                worst = int(np.argmax(np.where(bad, np.abs(s - 1), -1)))
                rep.problems.append(say("submission.bad_sums", n=len(rep.bad_sum_rows), first=_first(rep.bad_sum_rows),
                                        worst=ids.iloc[worst], sum=s[worst]))
    if len(sub) == 0:
        rep.problems.append(say("submission.no_rows"))
    return _finish(rep, raise_error)


def _finish(rep: SubmissionReport, raise_error: bool) -> SubmissionReport:
    if raise_error and not rep.ok:
        raise SubmissionError(rep)
    return rep

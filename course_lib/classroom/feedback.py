"""What a student sees from a checker: the `Result`, the `Feedback` that stops a check at the first problem,
and the helpers that turn the student's code and values into plain-words feedback instead of tracebacks.

Every sentence comes from the catalog (`course_lib.lang.say`); this module only picks the key and fills the fields.
"""
from __future__ import annotations

import math
import traceback
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..lang import say
from ..steps import trn_column
from .messages import has
from .sandbox import SandboxTimeout, StudentError

MARKER = "EXERCISE"  # grader lines: "EXERCISE <id> PASS" or "EXERCISE <id> FAIL <hint>"


@dataclass
class Result:
    """Outcome of one check: passed or not, what happened, and where to look next."""
    exercise: str
    passed: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = say("result.passed" if self.passed else "result.not_yet", exercise=self.exercise, message=self.message)
        return head + ("\n  " + say("result.hint", hint=self.hint) if self.hint else "")

    def marker(self) -> str:
        """The one machine-readable line the grader parses."""
        hint = " ".join(self.hint.split())  # one line, whatever the hint holds
        return f"{MARKER} {self.exercise} PASS" if self.passed else f"{MARKER} {self.exercise} FAIL {hint}".rstrip()

    def _ipython_display_(self) -> None:
        pass  # the checker has already printed it; a notebook cell ending in check(...) shows it once


class Feedback(Exception):
    """Raised inside a checker to stop at the first problem found."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def fail(key: str, hint: str | None = None, **fields) -> Feedback:
    """Feedback with the catalog's message `key` and hint `hint` (by default `<key>.hint`, if there is one)."""
    hint = hint or (f"{key}.hint" if has(f"{key}.hint") else None)
    return Feedback(say(key, **fields), say(hint, **fields) if hint else "")


def call(fn, *args, name: str):
    """Call the student's function; an exception becomes feedback naming it."""
    if not callable(fn):
        raise fail("common.not_a_function", name=name, type=type(fn).__name__)
    try:
        with np.errstate(all="ignore"):  # log(0) and friends: the result is explained, the warning is noise
            return fn(*args)
    except NotImplementedError:
        raise fail("common.not_written", name=name) from None
    except StudentError as e:  # raised inside the grader's sandbox, where the student's code runs
        if e.type_name == "NotImplementedError":
            raise fail("common.not_written", name=name) from None
        raise fail("common.raised", name=name, type=e.type_name, error=e.message, lineno=e.lineno,
                   line=e.line.strip()) from None
    except SandboxTimeout:
        raise fail("common.timeout", name=name, seconds=getattr(fn, "timeout", 10)) from None
    except Exception as e:
        where = traceback.extract_tb(e.__traceback__)[-1]
        raise fail("common.raised", name=name, type=type(e).__name__, error=e, lineno=where.lineno,
                   line=where.line) from None


def answered(value, name: str):
    """`value`, unless the student left the `...` (or None) of the handed-out notebook in place."""
    if value is Ellipsis or value is None:
        raise fail("common.no_answer", name=name)
    return value


def number(x, what: str) -> float:
    """`x` as one finite float, or feedback on what it is instead."""
    if isinstance(x, (str, bytes)):
        raise fail("common.text_not_number", what=what, value=x)
    if isinstance(x, (bool, np.bool_)) or np.ndim(x) != 0:
        raise fail("common.not_one_number", "common.one_float.hint", what=what, type=type(x).__name__, value=short(x))
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise fail("common.not_a_number", "common.one_float.hint", what=what, type=type(x).__name__,
                   value=short(x)) from None
    if not math.isfinite(v):
        raise fail("common.not_finite", what=what, value=v)
    return v


def array(x, shape: tuple, what: str) -> np.ndarray:
    """`x` (an array, a list or a tensor) as a float64 array of `shape`, or feedback."""
    try:
        a = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail("common.not_numeric_array", what=what, type=type(x).__name__) from None
    if a.shape != shape:
        raise fail("common.wrong_shape", what=what, shape=a.shape, want=shape)
    return a


def short(x) -> str:
    """repr(x), cut to 60 characters: a student's value quoted in a message."""
    s = repr(x)
    return s if len(s) <= 60 else s[:57] + "..."


def listed(xs) -> str:
    """Numbers as words: '1', '1 and 3', '1, 2 and 3' ('none' for none; in Chinese '1、2、3')."""
    xs = [f"{x:g}" for x in xs]
    if not xs:
        return say("common.none")
    return xs[0] if len(xs) == 1 else say("common.comma").join(xs[:-1]) + say("common.and") + xs[-1]


def epochs(xs) -> str:
    """'epoch 1' or 'epochs 1 and 3'."""
    return say("common.epoch" if len(xs) == 1 else "common.epochs", list=listed(xs))


def raw_number(x) -> float:
    """Like `number`, but inf and nan are let through: they are the symptom to explain (exercise 5)."""
    if np.ndim(x) != 0 or isinstance(x, (bool, np.bool_)):
        raise fail("log_loss.not_one_number", type=type(x).__name__, value=short(x))
    try:
        return float(x)
    except (TypeError, ValueError):
        raise fail("log_loss.not_float", type=type(x).__name__) from None


def loss_columns(history, name: str) -> tuple[str, np.ndarray, np.ndarray]:
    """(the name of the training-loss column judged, `steps.trn_column`; its values; val_loss) of an epoch table
    (learn.history), checked (exercise 8)."""
    rerun = "fit_verdict.rerun.hint"
    if not isinstance(history, pd.DataFrame) or "val_loss" not in history.columns or \
            not {"trn_mean", "trn_loss"} & set(history.columns):
        raise fail("fit_verdict.not_table", rerun, name=name, type=type(history).__name__)
    column = trn_column(history)
    if column not in history.columns:  # a trn_mean that is not all numbers, and no trn_loss to fall back on
        raise fail("fit_verdict.not_numbers", rerun, name=name)
    try:
        trn, val = (history[c].to_numpy(dtype=float) for c in (column, "val_loss"))
    except (TypeError, ValueError):
        raise fail("fit_verdict.not_numbers", rerun, name=name) from None
    if len(trn) == 0 or not (np.all(np.isfinite(trn)) and np.all(np.isfinite(val))):
        raise fail("fit_verdict.no_losses", rerun, name=name)
    return column, trn, val

"""Classroom exercises: run a student's function or answer against the library and say, in plain words, what is off.

    from course_lib.classroom.exercises import check_sgdr
    check_sgdr(lr_at)      # prints a friendly line and `EXERCISE sgdr PASS|FAIL <hint>` for the grader

Every checker returns a `Result` (passed, message, hint). Wrong types, wrong shapes and exceptions
raised by the student's code become feedback, never a traceback. Hints point at the lesson step
to re-read; they describe the idea, not the code of the answer.
"""
from __future__ import annotations

import math
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..csvfile import read_csv
from ..metrics import Change, accuracy_np, accuracy_se, log_loss as ref_log_loss, paired_change
from ..plots import suggest
from ..schedules import find_curve, find_lrs, restart_epochs, sgdr_mult, smooth
from ..submission import check_submission, submission_ids
from ..synthetic import find_sample  # noqa: F401  (its old home: handed-out notebooks import it from here)
from .sandbox import SandboxTimeout, StudentError

MARKER = "EXERCISE"  # grader lines: "EXERCISE <id> PASS" or "EXERCISE <id> FAIL <hint>"
EXERCISES = ("sgdr", "lr_find", "diff_lrs", "tta", "log_loss", "submission", "lr_run", "fit_verdict", "tta_noise")
# the names each exercise's answer is bound to in the notebook: what the grader takes out of it. The last three
# exercises read a run the notebook just made, so the grader takes that run's record out of the notebook too.
ANSWERS = {"sgdr": ("lr_at",), "lr_find": ("lr_pick",), "diff_lrs": ("lrs_photos", "lrs_satellite"),
           "tta": ("average_tta",), "log_loss": ("my_log_loss",), "submission": ("make_df",),
           "lr_run": ("my_lr", "lr_reason", "run_lrs", "run_losses"),
           "fit_verdict": ("verdict_a", "verdict_b", "history_a", "history_b"),
           "tta_noise": ("fixed", "broke", "delta_se", "tta_helped", "tta_log_preds", "y_valid")}
_results: dict[str, "Result"] = {}  # latest result per exercise in this session, for summary()


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
        head = "passed" if self.passed else "not yet"
        return f"[{self.exercise}] {head}: {self.message}" + (f"\n  hint: {self.hint}" if self.hint else "")

    def marker(self) -> str:
        """The one machine-readable line the grader parses."""
        hint = " ".join(self.hint.split())  # one line, whatever the hint holds
        return f"{MARKER} {self.exercise} PASS" if self.passed else f"{MARKER} {self.exercise} FAIL {hint}".rstrip()

    def _ipython_display_(self) -> None:
        pass  # the checker has already printed it; a notebook cell ending in check_x(...) shows it once


class _Feedback(Exception):
    """Raised inside a checker to stop at the first problem found."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def _report(exercise: str, passed: bool, message: str, hint: str = "", quiet: bool = False) -> Result:
    r = Result(exercise, passed, message, hint)
    _results[exercise] = r
    if not quiet:
        print(str(r))
        print(r.marker(), flush=True)
    return r


def _run(exercise: str, check, quiet: bool) -> Result:
    try:
        message = check()
    except _Feedback as f:
        return _report(exercise, False, f.message, f.hint, quiet)
    except Exception as e:  # a bug in the checker itself: still feedback, with the cause named
        return _report(exercise, False, f"the check could not run: {type(e).__name__}: {e}",
                       "ask your instructor; this is a problem with the exercise, not your answer", quiet)
    return _report(exercise, True, message, "", quiet)


def _call(fn, *args, name: str):
    """Call the student's function; an exception becomes feedback naming it."""
    if not callable(fn):
        raise _Feedback(f"expected a function for `{name}`, got {type(fn).__name__}",
                        f"pass the function itself, not its result: `{name}`, not `{name}(...)`")
    not_written = _Feedback(f"`{name}` is not written yet (it raises NotImplementedError)",
                            "replace the `raise NotImplementedError` line with your code")
    try:
        with np.errstate(all="ignore"):  # log(0) and friends: the result is explained, the warning is noise
            return fn(*args)
    except NotImplementedError:
        raise not_written from None
    except StudentError as e:  # raised inside the grader's sandbox, where the student's code runs
        if e.type_name == "NotImplementedError":
            raise not_written from None
        raise _Feedback(f"`{name}` raised {e.type_name}: {e.message} (line {e.lineno}: {e.line.strip()})",
                        "run your function by hand on the small example in the exercise and read the error") from None
    except SandboxTimeout:
        raise _Feedback(f"`{name}` did not return within {getattr(fn, 'timeout', 10):g} s (an endless loop?)",
                        "check that every loop in your function ends; try it by hand on the example") from None
    except Exception as e:
        where = traceback.extract_tb(e.__traceback__)[-1]
        raise _Feedback(f"`{name}` raised {type(e).__name__}: {e} (line {where.lineno}: {where.line})",
                        "run your function by hand on the small example in the exercise and read the error") from None


def _answered(value, name: str):
    if value is Ellipsis or value is None:
        raise _Feedback(f"`{name}` has no answer yet", f"replace the `...` after `{name} =` with your answer")
    return value


def _number(x, what: str) -> float:
    if isinstance(x, (str, bytes)):
        raise _Feedback(f"{what} should be a number, got the text {x!r}",
                        "return a single float, e.g. 0.01, not a string")
    if isinstance(x, (bool, np.bool_)) or np.ndim(x) != 0:
        raise _Feedback(f"{what} should be one number, got {type(x).__name__} {_short(x)}",
                        "return a single float, e.g. 0.01")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise _Feedback(f"{what} should be a number, got {type(x).__name__} {_short(x)}",
                        "return a single float, e.g. 0.01") from None
    if not math.isfinite(v):
        raise _Feedback(f"{what} is {v}", "a learning rate or loss must be a finite number")
    return v


def _array(x, shape: tuple, what: str) -> np.ndarray:
    try:
        a = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Feedback(f"{what} should be a numeric array, got {type(x).__name__}",
                        "return a numpy array (np.array(...))") from None
    if a.shape != shape:
        raise _Feedback(f"{what} has shape {a.shape}; expected {shape}", "")
    return a


def _short(x) -> str:
    s = repr(x)
    return s if len(s) <= 60 else s[:57] + "..."


def _epochs(xs) -> str:
    return f"epoch {_fmt(xs)}" if len(xs) == 1 else f"epochs {_fmt(xs)}"


def _fmt(xs) -> str:
    xs = [f"{x:g}" for x in xs]
    if not xs:
        return "none"
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]


# ---- 1. SGDR: the lr multiplier at iteration `it` -------------------------------------------------------------

SGDR_STEP = "03_lr_schedules, section 2 (SGDR) and section 1 (how many epochs)"
SGDR_CASES = [  # (n_batch, n_cycle, cycle_len, cycle_mult): each run over a whole fit
    (20, 3, 1, 1),
    (20, 3, 1, 2),
    (10, 2, 2, 2),
]


def _sgdr_case(lr_at, n_batch: int, n_cycle: int, cycle_len: float, cycle_mult: float):
    n_it = int(round(sum(cycle_len * cycle_mult ** k for k in range(n_cycle)) * n_batch))
    ref = np.array([sgdr_mult(i, n_batch, cycle_len, cycle_mult) for i in range(n_it)])
    got = np.array([_number(_call(lr_at, i, n_batch, cycle_len, cycle_mult, name="lr_at"),
                            f"lr_at({i}, {n_batch}, {cycle_len}, {cycle_mult})") for i in range(n_it)])
    return ref, got


def _restarts(v: np.ndarray, n_batch: int, first_len: int) -> list[float]:
    """Epochs at which a schedule jumps back up, ignoring the end of the first cycle's warm-up."""
    jumps = np.nonzero(np.diff(v) > 0.3)[0] + 1
    return [round(i / n_batch, 2) for i in jumps if i > first_len / 20 + 1]


def check_sgdr(lr_at, quiet: bool = False) -> Result:
    """Exercise 1: `lr_at(it, n_batch, cycle_len, cycle_mult)` must match `course_lib.schedules.sgdr_mult`."""
    def check():
        for n_batch, n_cycle, cycle_len, cycle_mult in SGDR_CASES:
            ref, got = _sgdr_case(lr_at, n_batch, n_cycle, cycle_len, cycle_mult)
            if np.allclose(got, ref, atol=1e-6):
                continue
            case = f"n_batch={n_batch}, cycle_len={cycle_len}, cycle_mult={cycle_mult}"
            length = round(cycle_len * n_batch)
            if got[0] > 0.5:
                raise _Feedback(f"lr_at(0, {case}) returned {got[0]:.3g}; expected {ref[0]:.3g} (the warm-up)",
                                f"the first 1/20 of the first cycle runs at 1/100 of the rate; see {SGDR_STEP}")
            want = restart_epochs(n_cycle, cycle_len, cycle_mult)
            starts = [int(round(e * n_batch)) for e in want]
            if any(got[s] < 0.05 for s in starts):
                raise _Feedback(f"at the restart after epoch {want[0]:g} ({case}) your lr is {got[starts[0]]:.3g};"
                                f" expected {ref[starts[0]]:.3g}",
                                "the warm-up happens once, at the start of the first cycle only; later cycles "
                                "restart straight at the full rate")
            have = _restarts(got, n_batch, length)
            if have != want:
                gaps = set(np.round(np.diff([0] + have), 2))
                said = f"restarts after {_epochs(have)}" if have else "never restarts"
                if len(have) > 1 and len(gaps) == 1:
                    said = f"restarts every {have[0]:g} epoch(s) (after {_epochs(have)})"
                raise _Feedback(f"for {case} over {n_cycle} cycles your schedule {said}; "
                                f"expected restarts after {_epochs(want)}",
                                f"cycle k lasts cycle_len * cycle_mult**k epochs, so with cycle_mult={cycle_mult}"
                                f" the restarts come after {_epochs(want)}; see {SGDR_STEP}")
            q = length // 4 + 1  # a quarter into the first cycle: cosine and straight line differ most here
            lin = 1 - q / length
            if abs(got[q] - lin) < 0.02 and abs(ref[q] - lin) > 0.05:
                raise _Feedback(f"lr_at({q}, {case}) returned {got[q]:.3f}; expected {ref[q]:.3f}: your lr "
                                f"falls in a straight line", "within a cycle the lr follows half a cosine, from 1"
                                f" down towards 0: (cos(pi * t / T) + 1) / 2; see {SGDR_STEP}")
            i = int(np.argmax(np.abs(got - ref) > 1e-6))
            raise _Feedback(f"lr_at({i}, {case}) returned {got[i]:.4f}; expected {ref[i]:.4f} "
                            f"(iteration {i - int(i // n_batch) * n_batch} of epoch {i // n_batch})",
                            f"t counts iterations since the last restart and T is the current cycle's length in "
                            f"iterations; see {SGDR_STEP}")
        return f"matches the library on {len(SGDR_CASES)} fits (warm-up, restarts, cycle_mult 1 and 2)"
    return _run("sgdr", check, quiet)


# ---- 2. Reading a suggested lr off an lr_find curve -----------------------------------------------------------

LR_FIND_STEP = "03_lr_schedules, section 6 (reading the lr finder)"


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


def check_lr_pick(lr_pick, lrs: np.ndarray | None = None, losses: np.ndarray | None = None,
                  quiet: bool = False) -> Result:
    """Exercise 2: a learning rate read off the curve, accepted within a factor 3 of the suggestion."""
    def check():
        nonlocal lrs, losses
        if lrs is None or losses is None:
            lrs, losses = lr_find_record()
        v = _number(_answered(lr_pick, "lr_pick"), "lr_pick")
        sugg, at_min = lr_find_suggestion(lrs, losses)
        why = f"the smoothed loss is lowest near lr={at_min:.2g}; one tenth of that, {sugg:.2g}, is the suggestion"
        if v <= 0:
            raise _Feedback(f"lr_pick is {v:g}; a learning rate must be positive", why)
        ratio = v / sugg
        if 1 / 3 <= ratio <= 3:
            return f"{v:.2g} is a good pick: {why}"
        if ratio < 1 / 3:
            raise _Feedback(f"{v:.2g} is {1 / ratio:.0f}x below the suggestion ({sugg:.2g})",
                            f"there the loss has barely started to fall, so training would be slow; pick the "
                            f"largest lr where the loss still falls clearly. {why}; see {LR_FIND_STEP}")
        if v < at_min * 3:
            raise _Feedback(f"{v:.2g} is close to the lowest point of the curve ({at_min:.2g})",
                            f"at the minimum the loss is about to blow up; go back about 10x, to where it is still "
                            f"falling clearly; see {LR_FIND_STEP}")
        raise _Feedback(f"{v:.2g} is past the lowest point of the curve ({at_min:.2g}): the loss is rising there",
                        f"training at that rate diverges; pick a rate about 10x below the minimum; see {LR_FIND_STEP}")
    return _run("lr_find", check, quiet)


# ---- 3. Differential learning rates: photos vs satellite images -----------------------------------------------

DIFF_STEP = "01_dogs_vs_cats, section 4 (differential learning rates)"


def check_diff_lrs(lrs_photos, lrs_satellite, quiet: bool = False) -> Result:
    """Exercise 3: three group lrs each (early layers, middle, head): ~10x steps for photos, ~3x for satellite."""
    def check():
        arrs = []
        for name, x in (("lrs_photos", lrs_photos), ("lrs_satellite", lrs_satellite)):
            a = _array(_answered(x, name), (3,), name)
            if not np.all(np.isfinite(a)) or np.any(a <= 0):
                raise _Feedback(f"{name} = {a.tolist()}: every learning rate must be positive", "")
            if a[0] > a[1] > a[2]:
                raise _Feedback(f"{name} = {_fmt(a)} goes down from the first group to the head",
                                f"the order is [early layers, middle layers, new head]; the early layers are "
                                f"already good and move least, the head most; see {DIFF_STEP}")
            if not a[0] < a[1] < a[2]:
                raise _Feedback(f"{name} = {_fmt(a)} is not increasing",
                                f"one lr per layer group, smallest for the early layers; see {DIFF_STEP}")
            if not 1e-4 <= a[2] <= 1:
                raise _Feedback(f"{name}: the head's lr is {a[2]:g}",
                                "the last group gets the rate lr_find suggested, typically around 1e-2")
            arrs.append(a)
        ratio = [float(np.exp(np.mean(np.log(a[1:] / a[:-1])))) for a in arrs]  # geometric mean step
        photos_ok, sat_ok = 5 <= ratio[0] <= 20, 2 <= ratio[1] <= 5
        if photos_ok and sat_ok:
            return f"photos step {ratio[0]:.0f}x, satellite {ratio[1]:.0f}x between groups"
        # the hints say where the rule is taught and what to ask oneself, never the ratio itself
        if 2 <= ratio[0] <= 5 and 5 <= ratio[1] <= 20:
            raise _Feedback(f"photos step {ratio[0]:.1f}x, satellite {ratio[1]:.1f}x between groups: the two rules "
                            f"look swapped", "which kind of picture looks more like ImageNet's, so that its early "
                            f"layers need the least change? See {DIFF_STEP}")
        if not sat_ok:
            raise _Feedback(f"satellite images step {ratio[1]:.1f}x between groups: not the lesson's rule for "
                            f"pictures unlike ImageNet's",
                            f"the lesson gives a separate, different ratio for satellite and medical images; "
                            f"see {DIFF_STEP}")
        raise _Feedback(f"photos step {ratio[0]:.1f}x between groups: not the lesson's rule for pictures like "
                        f"ImageNet's", f"re-read the ratio the lesson gives for photos; see {DIFF_STEP}")
    return _run("diff_lrs", check, quiet)


# ---- 4. Averaging TTA predictions --------------------------------------------------------------------------

TTA_STEP = "01_dogs_vs_cats, section 5 (test-time augmentation)"


def _tta_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    out = []
    for n_aug, n, c in ((4, 6, 3), (2, 5, 4)):
        z = rng.normal(0, 2, (n_aug + 1, n, c))
        z[1, 0, 0] = -30  # one augmented copy nearly rules out a class: the two averages differ clearly here
        out.append(z - np.log(np.exp(z).sum(-1, keepdims=True)))
    return out


def check_tta(average_tta, quiet: bool = False) -> Result:
    """Exercise 4: `average_tta(log_preds)` from (n_aug + 1, N, C) log-probabilities to (N, C) probabilities."""
    def check():
        for lp in _tta_cases():
            k, n, c = lp.shape
            ref = np.exp(lp).mean(0)
            raw = _call(average_tta, lp.copy(), name="average_tta")
            try:
                got = np.asarray(raw.detach().cpu() if hasattr(raw, "detach") else raw, dtype=np.float64)
            except (TypeError, ValueError):
                raise _Feedback(f"average_tta returned {type(raw).__name__}; expected an array", "") from None
            if got.shape == (k, n, c):
                raise _Feedback(f"the result has shape {got.shape}, one row per pass",
                                f"average over axis 0, the {k} passes (the plain one and {k - 1} augmented)")
            if got.shape in ((k, c), (k, n)):
                raise _Feedback(f"the result has shape {got.shape}; expected ({n}, {c})",
                                "you averaged over the wrong axis: axis 0 holds the passes")
            if got.shape != (n, c):
                raise _Feedback(f"the result has shape {got.shape}; expected ({n}, {c}) = (images, classes)", "")
            if np.allclose(got, ref, atol=1e-6):
                continue
            if np.allclose(got, lp.mean(0), atol=1e-6) or np.allclose(got, np.exp(lp.mean(0)), atol=1e-6):
                raise _Feedback("you averaged the log-probabilities (the classic mistake): that is the geometric "
                                "mean, its rows do not sum to 1, and one bad crop drags a class towards 0",
                                f"turn log-probabilities into probabilities first, then average; see {TTA_STEP}")
            if np.allclose(got, np.log(ref), atol=1e-6):
                raise _Feedback("the average is right but still in log space",
                                "return probabilities: accuracy, log loss and Kaggle all expect them")
            if np.allclose(got, np.exp(lp[0]), atol=1e-6):
                raise _Feedback("you returned only the first (un-augmented) pass",
                                f"use all {k} passes along axis 0")
            if np.allclose(got, np.exp(lp[1:]).mean(0), atol=1e-6):
                raise _Feedback("you left out the first pass (the plain, un-augmented one)",
                                f"average all {k} passes, including pass 0")
            rows = got.sum(1)
            raise _Feedback(f"row 0 is {np.round(got[0], 4).tolist()}; expected {np.round(ref[0], 4).tolist()}"
                            + ("" if np.allclose(rows, 1, atol=1e-6) else " (your rows do not sum to 1)"),
                            f"exponentiate, then take the mean over the passes; see {TTA_STEP}")
        return "probabilities averaged over the passes, rows sum to 1"
    return _run("tta", check, quiet)


# ---- 5. Log loss by hand -----------------------------------------------------------------------------------

LOG_LOSS_STEP = "02_dog_breeds, section 5 (TTA, accuracy and log loss)"


def _log_loss_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(3), 6)
    y = rng.integers(0, 3, 6)
    sure = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])  # a certain right answer, a certain wrong one
    return [(y, p), (np.array([0, 0, 2]), sure)]


def check_log_loss(my_log_loss, quiet: bool = False) -> Result:
    """Exercise 5: `my_log_loss(y, probs)` must match `course_lib.metrics.log_loss`, clipping included."""
    def check():
        for j, (y, p) in enumerate(_log_loss_cases()):
            ref = ref_log_loss(y, p)
            got = _raw_number(_call(my_log_loss, y.copy(), p.copy(), name="my_log_loss"))
            if math.isclose(got, ref, rel_tol=1e-6):
                continue
            n = len(y)
            if not math.isfinite(got):
                raise _Feedback(f"a probability of 0 for the true class gives {got}; expected {ref:.4f}",
                                f"the lesson's log loss has a rule for probabilities of exactly 0 and 1 (what is "
                                f"the log of 0?); see {LOG_LOSS_STEP}")
            if math.isclose(got, -ref, rel_tol=1e-6):
                raise _Feedback(f"got {got:.4f}; expected {ref:.4f}", "log loss is the *negative* mean log "
                                "probability: logs of probabilities are <= 0")
            if math.isclose(got, n * ref, rel_tol=1e-6):
                raise _Feedback(f"got {got:.4f}, {n}x the expected {ref:.4f}", "take the mean over images, not the sum")
            if any(math.isclose(got, ref / math.log(b), rel_tol=1e-6) for b in (10, 2)):  # log10 or log2
                raise _Feedback(f"got {got:.4f}; expected {ref:.4f}", "use the natural log (np.log)")
            pc = np.clip(p, 1e-15, 1 - 1e-15)
            if math.isclose(got, float(-np.log(pc).mean()), rel_tol=1e-6) or \
                    math.isclose(got, float(-np.log(pc).sum(1).mean()), rel_tol=1e-6):
                raise _Feedback(f"got {got:.4f}; expected {ref:.4f}",
                                "only the probability given to the true class counts: p[i, y[i]] for each row i")
            if j == 1:
                raise _Feedback(f"with a certain wrong answer (true-class probability 0) you get {got:.4f}; "
                                f"expected {ref:.4f}", f"compare your handling of 0 and 1 with the rule taught "
                                f"where log loss first appears, step by step (the bounds, then the rows); see "
                                f"{LOG_LOSS_STEP}")
            raise _Feedback(f"got {got:.4f}; expected {ref:.4f}",
                            f"mean over images of -log(probability of the true class); see {LOG_LOSS_STEP}")
        return "matches course_lib.metrics.log_loss, also on probabilities of exactly 0 and 1"
    return _run("log_loss", check, quiet)


def _raw_number(x) -> float:
    """Like _number, but inf and nan are let through: they are the symptom to explain."""
    if np.ndim(x) != 0 or isinstance(x, (bool, np.bool_)):
        raise _Feedback(f"my_log_loss should return one number, got {type(x).__name__} {_short(x)}",
                        "average over the images to get a single float")
    try:
        return float(x)
    except (TypeError, ValueError):
        raise _Feedback(f"my_log_loss returned {type(x).__name__}; expected a float", "") from None


# ---- 6. A Kaggle submission DataFrame ----------------------------------------------------------------------

SUB_STEP = "02_dog_breeds, section 6 (a Kaggle submission)"


def submission_case() -> tuple[np.ndarray, list[str], list[str]]:
    """(probs, test file names, classes) of a tiny test set."""
    rng = np.random.default_rng(3)
    fnames = ["test/0a1b.jpg", "test/007.jpg", "test/ff3c.jpg", "test/NA.jpg"]
    classes = ["beagle", "boxer", "pug"]
    return rng.dirichlet(np.ones(3), len(fnames)), fnames, classes


def check_submission_df(make_df, quiet: bool = False) -> Result:
    """Exercise 6: `make_df(probs, fnames, classes)` returns Kaggle's table: id, then one column per class."""

    def check():
        probs, fnames, classes = submission_case()
        df = _call(make_df, probs.copy(), list(fnames), list(classes), name="make_df")
        if not isinstance(df, pd.DataFrame):
            raise _Feedback(f"make_df returned {type(df).__name__}; expected a pandas DataFrame", "")
        ids = submission_ids(fnames)
        if "id" not in df.columns and [str(i) for i in df.index] == ids:
            raise _Feedback("the ids are the DataFrame's index, not a column",
                            "Kaggle reads the first column as the id: insert it as a column named 'id'")
        ref = pd.DataFrame(probs, columns=classes)
        ref.insert(0, "id", ids)
        with tempfile.TemporaryDirectory() as d:
            fn, smp = Path(d) / "sub.csv", Path(d) / "sample.csv"
            df.to_csv(fn, index=False)
            ref.to_csv(smp, index=False)
            rep = check_submission(fn, smp, raise_error=False)
            got = read_csv(fn) if rep.ok else None
        if rep.ok:
            if not np.allclose(got[classes].to_numpy(float), probs, atol=1e-6):
                raise _Feedback("the file has the right shape but other probabilities",
                                "write probs unchanged, one column per class in `classes` order")
            return f"{len(df)} rows, columns id + {len(classes)} classes: matches the sample"
        hint = f"see {SUB_STEP}"
        if rep.extra_ids and any("." in i or "/" in i for i in rep.extra_ids):
            hint = "ids are the file names without folder and suffix: 'test/0a1b.jpg' -> '0a1b'"
        elif rep.missing_columns and "id" in rep.missing_columns:
            hint = "the first column must be named 'id'"
        elif any("another order" in p for p in rep.problems):
            hint = "'id' first, then the classes in the order given"
        raise _Feedback("the submission differs from the sample: " + "; ".join(rep.problems), hint)
    return _run("submission", check, quiet)


# ---- 7. Reading the lr finder of a run the notebook just made -----------------------------------------------

LR_RUN_STEP = "03_lr_schedules, section 6 (reading the lr finder)"
FALL_LEVEL = 0.9  # the loss "starts to fall" where it last stands above 90% of the way from its lowest to its start
# why one picks an lr: the student answers with a letter; "b" is the lesson's reason
LR_REASONS = {
    "a": "the loss is lowest there",
    "b": "the loss is still falling clearly there, some way before its lowest point",
    "c": "it is the largest learning rate the finder tried",
    "d": "the loss has not started to move there, so training is safe",
}
REASON_HINTS = {
    "a": "at the lowest point the loss is about to blow up: a rate there is already too large to train with",
    "c": "past the lowest point the loss explodes; the largest rate tried is the worst choice",
    "d": "where the loss does not move yet, the model barely learns: training would be very slow",
}


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


def check_lr_run(my_lr, lr_reason, run_lrs, run_losses, quiet: bool = False) -> Result:
    """Exercise 7: an lr read off the notebook's own lr_find curve (between where the loss starts to fall and its
    lowest point), and the reason for it."""
    def check():
        lrs = _array(run_lrs, np.shape(run_lrs), "run_lrs")
        losses = _array(run_losses, np.shape(run_losses), "run_losses")
        if lrs.ndim != 1 or losses.shape != lrs.shape:
            raise _Feedback(f"run_lrs {lrs.shape} and run_losses {losses.shape} should be two 1-D arrays of the "
                            "same length", "run the cell that records the sweep again, unchanged")
        try:
            lo, hi = lr_range(lrs, losses)
        except ValueError as e:
            raise _Feedback(f"the recorded sweep cannot be read: {e}", "run the lr_find cell again") from None
        if not lo < hi:
            raise _Feedback("the recorded loss never falls, so no rate can be read off it",
                            "run the lr_find cell again; if the loss rises from the start, lower start_lr")
        v = _number(_answered(my_lr, "my_lr"), "my_lr")
        # the lesson's rule of thumb, a tenth of the lowest point, can land on the flat start of a short descent
        tenth = f"{hi / 10:.2g}" + ("" if hi / 10 > lo else ", too low on this curve: its descent is short")
        where = (f"on your curve the smoothed loss starts to fall near lr={lo:.2g} and is lowest near {hi:.2g}; "
                 f"pick a rate between the two (the lesson's rule of thumb, a tenth of the lowest point: {tenth})")
        if v <= 0:
            raise _Feedback(f"my_lr is {v:g}; a learning rate must be positive", where)
        if v >= hi:
            raise _Feedback(f"{v:.2g} is at or past the lowest point of your curve ({hi:.2g})",
                            f"there the loss is about to blow up (or already does); go back to where it still falls "
                            f"clearly. {where}; see {LR_RUN_STEP}")
        if v <= lo:
            raise _Feedback(f"{v:.2g} is where your loss has not started to fall yet (it starts near {lo:.2g})",
                            f"a rate there trains very slowly; pick the largest rate where the loss still falls "
                            f"clearly. {where}; see {LR_RUN_STEP}")
        reason = _answered(lr_reason, "lr_reason")
        key = str(reason).strip().lower()
        if key not in LR_REASONS:
            raise _Feedback(f"lr_reason is {reason!r}; expected one of the letters {', '.join(LR_REASONS)}",
                            "set lr_reason to the letter of the sentence that says why, e.g. \"a\"")
        if key != "b":
            raise _Feedback(f"{v:.2g} is a good rate, but not because {LR_REASONS[key]!r}",
                            f"{REASON_HINTS[key]}; see {LR_RUN_STEP}")
        return f"{v:.2g} lies on the falling part of your curve ({lo:.2g} to {hi:.2g}), where the loss still falls"
    return _run("lr_run", check, quiet)


# ---- 8. Under- or over-fitting, from the epoch tables the notebook just printed -------------------------------

FIT_STEP = "01_dogs_vs_cats, fine-tuning: the note on training loss above validation loss"
VERDICTS = ("underfitting", "overfitting", "neither")
UNDER_RATIO = 1.05   # training loss this much above validation loss: the model has not fit its training set yet
OVER_RATIO = 0.8     # training loss this far below validation loss ...
OVER_RISE = 1.2      # ... while validation loss has risen this much above its best epoch: memorising


def fit_diagnosis(history: pd.DataFrame) -> str:
    """'underfitting', 'overfitting' or 'neither', read from an epoch table's trn_loss and val_loss columns.

    Underfitting: the last training loss above the validation loss (dropout and augmentation handicap training;
    the model does better on images it never saw). Overfitting: training loss well below validation loss, and
    validation loss risen from its best epoch. Anything between is neither.
    """
    trn, val = (np.asarray(history[c], dtype=float) for c in ("trn_loss", "val_loss"))
    if trn[-1] > UNDER_RATIO * val[-1]:
        return "underfitting"
    if trn[-1] < OVER_RATIO * val[-1] and val[-1] > OVER_RISE * val.min():
        return "overfitting"
    return "neither"


def _losses(history, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The trn_loss and val_loss columns of an epoch table (learn.history), checked."""
    if not isinstance(history, pd.DataFrame) or not {"trn_loss", "val_loss"} <= set(history.columns):
        raise _Feedback(f"{name} should be the epoch table, learn.history (a DataFrame with trn_loss and "
                        f"val_loss); got {type(history).__name__}", "run the training cell again, unchanged")
    try:
        trn, val = (history[c].to_numpy(dtype=float) for c in ("trn_loss", "val_loss"))
    except (TypeError, ValueError):
        raise _Feedback(f"{name} has losses that are not numbers", "run the training cell again, unchanged") from None
    if len(trn) == 0 or not (np.all(np.isfinite(trn)) and np.all(np.isfinite(val))):
        raise _Feedback(f"{name} holds no finite losses", "run the training cell again, unchanged")
    return trn, val


FIT_HINTS = {
    "underfitting": "training loss above validation loss means the model does better on images it never trained "
                    "on: dropout (and augmentation) handicap it in training, and it has not fit the training set "
                    "yet. Train longer or with less dropout",
    "overfitting": "training loss far below validation loss, with validation loss risen from its best epoch, means "
                   "the model memorises its training images. Stop earlier, or add augmentation, dropout or data",
    "neither": "training loss a little below validation loss, with validation loss still near its best, is a "
               "model that fits about right: neither sign is there",
}


def check_fit_verdict(verdict_a, verdict_b, history_a, history_b, quiet: bool = False) -> Result:
    """Exercise 8: under- or over-fitting, for two runs, judged from their own epoch tables."""
    def check():
        found = []
        for run, said, hist in (("a", verdict_a, history_a), ("b", verdict_b, history_b)):
            trn, val = _losses(hist, f"history_{run}")
            want = fit_diagnosis(hist)
            said = _answered(said, f"verdict_{run}")
            if not isinstance(said, str) or said.strip().lower() not in VERDICTS:
                raise _Feedback(f"verdict_{run} is {_short(said)}; expected one of {', '.join(map(repr, VERDICTS))}",
                                "answer with one of the three words, as a string")
            if said.strip().lower() != want:
                best = int(np.argmin(val))
                raise _Feedback(f"verdict_{run} = {said!r}, but run {run.upper()} ends with trn_loss {trn[-1]:.3f} "
                                f"and val_loss {val[-1]:.3f}, and its best val_loss was {val[best]:.3f} (epoch "
                                f"{best})", f"{FIT_HINTS[want]}; see {FIT_STEP}")
            found.append(f"run {run.upper()} is {want}")
        return " and ".join(found) + ", read from the last epoch's training and validation losses"
    return _run("fit_verdict", check, quiet)


# ---- 9. Did TTA help by more than the noise? (the paired change that 01 teaches) -------------------------------

TTA_NOISE_STEP = "01_dogs_vs_cats, 'How precise is a validation accuracy?' (a change judged on the same images)"


def tta_gain(log_preds, y) -> Change:
    """The paired change from the plain pass to the TTA average, on the same images (metrics.paired_change)."""
    lp, y = np.asarray(log_preds, dtype=float), np.asarray(y).astype(int)
    return paired_change(lp[0], np.exp(lp).mean(0), y)


def check_tta_noise(fixed, broke, delta_se, tta_helped, tta_log_preds, y_valid, quiet: bool = False) -> Result:
    """Exercise 9: images fixed and broken by TTA, the paired standard error of its change, and whether the change
    exceeds two of them."""
    def check():
        lp = _array(tta_log_preds, np.shape(tta_log_preds), "tta_log_preds")
        y = np.asarray(y_valid)
        if lp.ndim != 3 or y.shape != (lp.shape[1],):
            raise _Feedback(f"tta_log_preds {lp.shape} and y_valid {y.shape} should be what learn.TTA() returned: "
                            "(passes, images, classes) and (images,)", "run the TTA cell again, unchanged")
        ch = tta_gain(lp, y)
        n = len(y)
        for name, got, want in (("fixed", fixed, ch.fixed), ("broke", broke, ch.broken)):
            got = _number(_answered(got, name), name)
            if got != want:
                swapped = got == (ch.broken if name == "fixed" else ch.fixed)
                raise _Feedback(f"{name} = {got:g}; expected {want} of the {n} images",
                                "fixed: wrong in the plain pass, right with TTA; broke: the other way round"
                                if swapped else f"count the images whose verdict changed between the plain pass "
                                f"(tta_log_preds[0]) and the TTA average; see {TTA_NOISE_STEP}")
        got = _number(_answered(delta_se, "delta_se"), "delta_se")
        if not math.isclose(got, ch.se, rel_tol=0.02, abs_tol=1e-4):
            plain = accuracy_np(lp[0], y)
            if math.isclose(got, accuracy_se(plain, n), rel_tol=0.02) or \
                    math.isclose(got, math.sqrt(2) * accuracy_se(plain, n), rel_tol=0.02):
                hint = ("that is the standard error of one accuracy on its own; a change measured on the same "
                        "images is judged by the images that changed verdict")
            elif math.isclose(got, ch.se ** 2, rel_tol=0.02):
                hint = "that is the variance; the standard error is its square root"
            else:
                hint = "only the images that changed verdict carry information about the change"
            raise _Feedback(f"delta_se is {got:.4g}; expected {ch.se:.4f} for {ch.fixed} fixed and {ch.broken} "
                            f"broken of {n} images", f"{hint}; see {TTA_NOISE_STEP}")
        if not isinstance(tta_helped, (bool, np.bool_)):
            raise _Feedback(f"tta_helped is {_short(tta_helped)}; expected True or False",
                            "answer with a boolean: True if TTA gained more than two standard errors")
        real = ch.delta > 2 * ch.se
        facts = (f"TTA fixed {ch.fixed} and broke {ch.broken} of {n} images: {ch.delta:+.3f} +- {ch.se:.3f} "
                 f"(paired), so two standard errors are {2 * ch.se:.3f}")
        if bool(tta_helped) != real:
            hint = ("a change smaller than two standard errors is within the noise: another seed or another "
                    "validation set could give the opposite" if not real else
                    "a gain of more than two standard errors is unlikely to be luck")
            raise _Feedback(f"tta_helped = {bool(tta_helped)}, but {facts}", f"{hint}; see {TTA_NOISE_STEP}")
        return facts + (": a real gain" if real else ": within the noise")
    return _run("tta_noise", check, quiet)


def summary() -> None:
    """Print how many exercises passed in this session (the latest try of each)."""
    done = [e for e in EXERCISES if e in _results]
    passed = [e for e in done if _results[e].passed]
    todo = [e for e in EXERCISES if e not in passed]
    print(f"{len(passed)} of {len(EXERCISES)} exercises passed" + (f"; still to do: {', '.join(todo)}" if todo else ""))


# the checker of each exercise, called with the answers named in ANSWERS (the grader's entry point)
CHECKS = {"sgdr": check_sgdr, "lr_find": check_lr_pick, "diff_lrs": check_diff_lrs, "tta": check_tta,
          "log_loss": check_log_loss, "submission": check_submission_df, "lr_run": check_lr_run,
          "fit_verdict": check_fit_verdict, "tta_noise": check_tta_noise}

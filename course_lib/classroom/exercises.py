"""Classroom exercises: one table of exercises, and the checker of each, which runs a student's function or
answer against the library and says, in plain words, what is off.

    from course_lib.classroom.exercises import check
    check("sgdr", lr_at)   # prints a friendly line and `EXERCISE sgdr PASS|FAIL <hint>` for the grader

`EXERCISES` is the one table (answers, checker, lesson step, hint keys); the exercise notebooks (notebooks/build.py)
and the grader are made from it. Every checker returns a `Result` (passed, message, hint); wrong types, wrong shapes
and the student's exceptions become feedback, never a traceback (`feedback`), in the catalog's words (`messages`).
A message says what is wrong with what came back, never the expected value or verdict; a hint points to the lesson
step to re-read: the idea, not the code of the answer.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..csvfile import read_csv
from ..metrics import accuracy_np, accuracy_se, log_loss as ref_log_loss
from ..schedules import restart_epochs, sgdr_mult
from ..submission import check_submission, submission_ids
from ..synthetic import find_sample  # noqa: F401  (its old home: handed-out notebooks import it from here)
from ..lang import say, template
from .cases import (OVER_RATIO, SGDR_CASES, fit_diagnosis, log_loss_cases, lr_find_record, lr_find_suggestion, lr_range,
                    restarts, submission_case, tta_cases, tta_gain)
from .feedback import (Feedback, Result, answered, array, call, epochs, fail, listed, loss_columns, number,
                       raw_number, short)
from .messages import hint_keys

_results: dict[str, Result] = {}  # latest result per exercise in this session, for summary()


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id, its title (the notebook heading), the notebook names its answers are bound to (what
    the grader takes out), its checker, the lesson step its hints point to, and the catalog keys of its hints."""
    id: str
    title: str
    answer_names: tuple[str, ...]
    check: Callable[..., Result]
    lesson_step: str
    hints: tuple[str, ...]


def _run(exercise: str, check: Callable[[str], str], quiet: bool) -> Result:
    """Run `check(lesson_step)` (the step in the chosen language): its return is the message of a pass, a Feedback
    it raises that of a fail."""
    try:
        r = Result(exercise, True, check(exercise_step(EXERCISES[exercise])))
    except Feedback as f:
        r = Result(exercise, False, f.message, f.hint)
    except Exception as e:  # a bug in the checker itself: still feedback, with the cause named
        f = fail("common.checker_broke", type=type(e).__name__, error=e)
        r = Result(exercise, False, f.message, f.hint)
    _results[exercise] = r
    if not quiet:
        print(f"{r}\n{r.marker()}", flush=True)
    return r


# ---- 1. SGDR: the lr multiplier at iteration `it` -------------------------------------------------------------

def _sgdr_case(lr_at, n_batch: int, n_cycle: int, cycle_len: float, cycle_mult: float):
    n_it = int(round(sum(cycle_len * cycle_mult ** k for k in range(n_cycle)) * n_batch))
    ref = np.array([sgdr_mult(i, n_batch, cycle_len, cycle_mult) for i in range(n_it)])
    got = np.array([number(call(lr_at, i, n_batch, cycle_len, cycle_mult, name="lr_at"),
                           f"lr_at({i}, {n_batch}, {cycle_len}, {cycle_mult})") for i in range(n_it)])
    return ref, got


def check_sgdr(lr_at, quiet: bool = False) -> Result:
    """Exercise 1: `lr_at(it, n_batch, cycle_len, cycle_mult)` must match `course_lib.schedules.sgdr_mult`."""
    def check(step: str) -> str:
        for n_batch, n_cycle, cycle_len, cycle_mult in SGDR_CASES:
            ref, got = _sgdr_case(lr_at, n_batch, n_cycle, cycle_len, cycle_mult)
            if np.allclose(got, ref, atol=1e-6):
                continue
            case = f"n_batch={n_batch}, cycle_len={cycle_len}, cycle_mult={cycle_mult}"
            length = round(cycle_len * n_batch)
            if got[0] > 0.5:
                raise fail("sgdr.warmup", case=case, got=got[0], want=ref[0], step=step)
            want = restart_epochs(n_cycle, cycle_len, cycle_mult)
            starts = [int(round(e * n_batch)) for e in want]
            if any(got[s] < 0.05 for s in starts):
                raise fail("sgdr.warmup_once", epoch=want[0], case=case, got=got[starts[0]], want=ref[starts[0]])
            have = restarts(got, n_batch, length)
            if have != want:
                gaps = set(np.round(np.diff([0] + have), 2))
                said = say("sgdr.restarts_after", epochs=epochs(have)) if have else say("sgdr.restarts_never")
                if len(have) > 1 and len(gaps) == 1:
                    said = say("sgdr.restarts_every", every=have[0], epochs=epochs(have))
                raise fail("sgdr.restarts", case=case, n_cycle=n_cycle, said=said, want=epochs(want),
                           cycle_mult=cycle_mult, step=step)
            q = length // 4 + 1  # a quarter into the first cycle: cosine and straight line differ most here
            lin = 1 - q / length
            if abs(got[q] - lin) < 0.02 and abs(ref[q] - lin) > 0.05:
                raise fail("sgdr.straight", it=q, case=case, got=got[q], want=ref[q], step=step)
            i = int(np.argmax(np.abs(got - ref) > 1e-6))
            raise fail("sgdr.differs", it=i, case=case, got=got[i], want=ref[i], batch=i - int(i // n_batch) * n_batch,
                       epoch=i // n_batch, step=step)
        return say("sgdr.passed", n=len(SGDR_CASES))
    return _run("sgdr", check, quiet)


# ---- 2. Reading a suggested lr off an lr_find curve -----------------------------------------------------------

def check_lr_pick(lr_pick, lrs: np.ndarray | None = None, losses: np.ndarray | None = None,
                  quiet: bool = False) -> Result:
    """Exercise 2: a learning rate read off the curve, accepted within a factor 3 of the suggestion."""
    def check(step: str) -> str:
        nonlocal lrs, losses
        if lrs is None or losses is None:
            lrs, losses = lr_find_record()
        v = number(answered(lr_pick, "lr_pick"), "lr_pick")
        sugg, at_min = lr_find_suggestion(lrs, losses)
        why = say("lr_find.why", at_min=at_min, sugg=sugg)
        if v <= 0:
            raise fail("lr_find.not_positive", value=v, why=why)
        ratio = v / sugg
        if 1 / 3 <= ratio <= 3:
            return say("lr_find.passed", value=v, why=why)
        if ratio < 1 / 3:
            raise fail("lr_find.too_low", value=v, times=1 / ratio, sugg=sugg, why=why, step=step)
        if v < at_min * 3:
            raise fail("lr_find.near_min", value=v, at_min=at_min, step=step)
        raise fail("lr_find.past_min", value=v, at_min=at_min, step=step)
    return _run("lr_find", check, quiet)


# ---- 3. Differential learning rates: photos vs satellite images -----------------------------------------------

def check_diff_lrs(lrs_photos, lrs_satellite, quiet: bool = False) -> Result:
    """Exercise 3: three group lrs each (early layers, middle, head): ~10x steps for photos, ~3x for satellite."""
    def check(step: str) -> str:
        arrs = []
        for name, x in (("lrs_photos", lrs_photos), ("lrs_satellite", lrs_satellite)):
            a = array(answered(x, name), (3,), name)
            if not np.all(np.isfinite(a)) or np.any(a <= 0):
                raise fail("diff_lrs.not_positive", name=name, values=a.tolist())
            if a[0] > a[1] > a[2]:
                raise fail("diff_lrs.decreasing", name=name, values=listed(a), step=step)
            if not a[0] < a[1] < a[2]:
                raise fail("diff_lrs.not_increasing", name=name, values=listed(a), step=step)
            if not 1e-4 <= a[2] <= 1:
                raise fail("diff_lrs.head", name=name, head=a[2])
            arrs.append(a)
        photos, satellite = [float(np.exp(np.mean(np.log(a[1:] / a[:-1])))) for a in arrs]  # geometric mean step
        photos_ok, sat_ok = 5 <= photos <= 20, 2 <= satellite <= 5
        if photos_ok and sat_ok:
            return say("diff_lrs.passed", photos=photos, satellite=satellite)
        if 2 <= photos <= 5 and 5 <= satellite <= 20:
            raise fail("diff_lrs.swapped", photos=photos, satellite=satellite, step=step)
        if not sat_ok:
            raise fail("diff_lrs.satellite", satellite=satellite, step=step)
        raise fail("diff_lrs.photos", photos=photos, step=step)
    return _run("diff_lrs", check, quiet)


# ---- 4. Averaging TTA predictions --------------------------------------------------------------------------

def check_tta(average_tta, quiet: bool = False) -> Result:
    """Exercise 4: `average_tta(log_preds)` from (n_aug + 1, N, C) log-probabilities to (N, C) probabilities."""
    def check(step: str) -> str:
        for lp in tta_cases():
            k, n, c = lp.shape
            ref = np.exp(lp).mean(0)
            raw = call(average_tta, lp.copy(), name="average_tta")
            try:
                got = np.asarray(raw.detach().cpu() if hasattr(raw, "detach") else raw, dtype=np.float64)
            except (TypeError, ValueError):
                raise fail("tta.not_array", type=type(raw).__name__) from None
            if got.shape == (k, n, c):
                raise fail("tta.per_pass", shape=got.shape, k=k, k_aug=k - 1)
            if got.shape in ((k, c), (k, n)):
                raise fail("tta.wrong_axis", shape=got.shape, n=n, c=c)
            if got.shape != (n, c):
                raise fail("tta.wrong_shape", shape=got.shape, n=n, c=c)
            if np.allclose(got, ref, atol=1e-6):
                continue
            if np.allclose(got, lp.mean(0), atol=1e-6) or np.allclose(got, np.exp(lp.mean(0)), atol=1e-6):
                raise fail("tta.log_mean", step=step)
            if np.allclose(got, np.log(ref), atol=1e-6):
                raise fail("tta.log_space")
            if np.allclose(got, np.exp(lp[0]), atol=1e-6):
                raise fail("tta.first_only", k=k)
            if np.allclose(got, np.exp(lp[1:]).mean(0), atol=1e-6):
                raise fail("tta.no_plain", k=k)
            rows = "" if np.allclose(got.sum(1), 1, atol=1e-6) else say("tta.rows_not_one")
            raise fail("tta.differs", got=np.round(got[0], 4).tolist(), want=np.round(ref[0], 4).tolist(), rows=rows,
                       step=step)
        return say("tta.passed")
    return _run("tta", check, quiet)


# ---- 5. Log loss by hand -----------------------------------------------------------------------------------

def check_log_loss(my_log_loss, quiet: bool = False) -> Result:
    """Exercise 5: `my_log_loss(y, probs)` must match `course_lib.metrics.log_loss`, clipping included."""
    def check(step: str) -> str:
        for j, (y, p) in enumerate(log_loss_cases()):
            ref = ref_log_loss(y, p)
            got = raw_number(call(my_log_loss, y.copy(), p.copy(), name="my_log_loss"))
            if math.isclose(got, ref, rel_tol=1e-6):
                continue
            vs = {"got": got, "n": len(y), "step": step}  # never the expected value: the hints point to 02 instead
            if not math.isfinite(got):
                raise fail("log_loss.not_finite", **vs)
            if math.isclose(got, -ref, rel_tol=1e-6):
                raise fail("log_loss.negative", **vs)  # its number would be the answer, negated
            if math.isclose(got, len(y) * ref, rel_tol=1e-6):
                raise fail("log_loss.sum", **vs)
            if any(math.isclose(got, ref / math.log(b), rel_tol=1e-6) for b in (10, 2)):  # log10 or log2
                raise fail("log_loss.got", "log_loss.base.hint", **vs)
            nll = -np.log(np.clip(p, 1e-15, 1 - 1e-15))  # every class's, where only the true class's counts
            if any(math.isclose(got, float(v), rel_tol=1e-6) for v in (nll.mean(), nll.sum(1).mean())):
                raise fail("log_loss.got", "log_loss.all_classes.hint", **vs)
            if j == 1:
                raise fail("log_loss.certain_wrong", **vs)
            raise fail("log_loss.got", **vs)
        return say("log_loss.passed")
    return _run("log_loss", check, quiet)


# ---- 6. A Kaggle submission DataFrame ----------------------------------------------------------------------

def check_submission_df(make_df, quiet: bool = False) -> Result:
    """Exercise 6: `make_df(probs, fnames, classes)` returns Kaggle's table: id, then one column per class."""
    def check(step: str) -> str:
        probs, fnames, classes = submission_case()
        df = call(make_df, probs.copy(), list(fnames), list(classes), name="make_df")
        if not isinstance(df, pd.DataFrame):
            raise fail("submission.not_df", type=type(df).__name__)
        ids = submission_ids(fnames)
        if "id" not in df.columns and [str(i) for i in df.index] == ids:
            raise fail("submission.id_index")
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
                raise fail("submission.other_probs")
            return say("submission.passed", rows=len(df), n_classes=len(classes))
        hint = None  # the catalog's own: see the lesson step
        if rep.extra_ids and any("." in i or "/" in i for i in rep.extra_ids):
            hint = "submission.ids.hint"
        elif rep.missing_columns and "id" in rep.missing_columns:
            hint = "submission.id_first.hint"
        elif rep.misordered is not None:
            hint = "submission.order.hint"
        raise fail("submission.differs", hint, problems="; ".join(rep.problems), step=step)
    return _run("submission", check, quiet)


# ---- 7. Reading the lr finder of a run the notebook just made -----------------------------------------------

# why one picks an lr: the student answers with a letter; "b" is the lesson's reason
REASON_LETTERS = "abcd"


def lr_reasons(lang: str | None = None) -> dict[str, str]:
    """The reasons to choose from, by letter, in `lang` (default: course_lib.lang's choice); the notebook prints
    them."""
    return {k: say(f"lr_run.reason.{k}", lang) for k in REASON_LETTERS}


def __getattr__(name: str):
    """`LR_REASONS`, which notebooks handed out earlier import: the reasons in the language chosen when it is read."""
    if name == "LR_REASONS":
        return lr_reasons()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_lr_run(my_lr, lr_reason, run_lrs, run_losses, quiet: bool = False) -> Result:
    """Exercise 7: an lr read off the notebook's own lr_find curve (between where the loss starts to fall and its
    lowest point), and the reason for it."""
    def check(step: str) -> str:
        lrs = array(run_lrs, np.shape(run_lrs), "run_lrs")
        losses = array(run_losses, np.shape(run_losses), "run_losses")
        if lrs.ndim != 1 or losses.shape != lrs.shape:
            raise fail("lr_run.bad_record", lrs=lrs.shape, losses=losses.shape)
        try:
            lo, hi = lr_range(lrs, losses)
        except ValueError as e:
            raise fail("lr_run.unreadable", error=e) from None
        if not lo < hi:
            raise fail("lr_run.never_falls")
        v = number(answered(my_lr, "my_lr"), "my_lr")
        # the lesson's rule of thumb, a tenth of the lowest point, can land on the flat start of a short descent
        short_descent = "" if hi / 10 > lo else say("lr_run.short_descent")
        where = say("lr_run.where", lo=lo, hi=hi, tenth=hi / 10, short=short_descent)
        if v <= 0:
            raise fail("lr_run.not_positive", value=v, where=where)
        if v >= hi:
            raise fail("lr_run.past_min", value=v, hi=hi, where=where, step=step)
        if v <= lo:
            raise fail("lr_run.flat", value=v, lo=lo, where=where, step=step)
        key = str(reason := answered(lr_reason, "lr_reason")).strip().lower()
        if key not in REASON_LETTERS:
            raise fail("lr_run.unknown_reason", reason=reason, letters=", ".join(REASON_LETTERS))
        if key != "b":
            raise fail("lr_run.wrong_reason", f"lr_run.reason.{key}.hint", value=v, reason=say(f"lr_run.reason.{key}"),
                       step=step)
        return say("lr_run.passed", value=v, lo=lo, hi=hi)
    return _run("lr_run", check, quiet)


# ---- 8. Under- or over-fitting, from the epoch tables the notebook just printed -------------------------------

VERDICTS = {  # each answer, and the catalog's "run X is <answer>" (in Chinese, the English word with a gloss)
    "underfitting": "fit_verdict.is_under", "overfitting": "fit_verdict.is_over", "neither": "fit_verdict.is_neither"}


def check_fit_verdict(verdict_a, verdict_b, history_a, history_b, quiet: bool = False) -> Result:
    """Exercise 8: under- or over-fitting of two runs, from each epoch's mean training loss (`steps.trn_column`)."""
    def check(step: str) -> str:
        found, columns = [], []
        for run, said, hist in (("a", verdict_a, history_a), ("b", verdict_b, history_b)):
            column, trn, val = loss_columns(hist, f"history_{run}")  # trn_mean where the table has it
            columns.append(column)
            want = fit_diagnosis(hist)
            said = answered(said, f"verdict_{run}")
            word = said.strip().lower() if isinstance(said, str) else None
            if word not in VERDICTS:
                raise fail("fit_verdict.unknown", run=run, said=short(said), verdicts=", ".join(map(repr, VERDICTS)))
            if word != want:  # the hint: what in this run contradicts the answer given (never the right answer)
                best = int(np.argmin(val))
                missing = say("fit_verdict.no_rise" if trn[-1] < OVER_RATIO * val[-1] else "fit_verdict.no_gap")
                raise fail("fit_verdict.wrong", f"fit_verdict.{word}.hint", run=run, said=said, name=run.upper(),
                           step=step, column=column, trn=trn[-1], val=val[-1], best_val=val[best], best=best,
                           missing=missing)
            found.append(say(VERDICTS[want], run=run.upper()))
        return say("fit_verdict.passed", runs=say("common.and").join(found), column="/".join(sorted(set(columns))))
    return _run("fit_verdict", check, quiet)


# ---- 9. Did TTA help by more than the noise? (the paired change that 01 teaches) -------------------------------

def check_tta_noise(fixed, broke, delta_se, tta_helped, tta_log_preds, y_valid, quiet: bool = False) -> Result:
    """Exercise 9: TTA's images fixed and broken, the paired s.e. of its change, and whether it exceeds twice that."""
    def check(step: str) -> str:
        lp = array(tta_log_preds, np.shape(tta_log_preds), "tta_log_preds")
        y = np.asarray(y_valid)
        if lp.ndim != 3 or y.shape != (lp.shape[1],):
            raise fail("tta_noise.bad_record", lp=lp.shape, y=y.shape)
        ch = tta_gain(lp, y)
        n = len(y)
        for name, got, want in (("fixed", fixed, ch.fixed), ("broke", broke, ch.broken)):
            got = number(answered(got, name), name)  # the messages never quote the expected counts or s.e.
            if got != int(got) or not 0 <= got <= n:
                raise fail("tta_noise.not_count", "tta_noise.count.hint", name=name, got=got, n=n, step=step)
            if got != want:
                swapped = got == (ch.broken if name == "fixed" else ch.fixed)
                raise fail("tta_noise.count", "tta_noise.swapped.hint" if swapped else None, name=name, got=got, n=n,
                           step=step)
        got = number(answered(delta_se, "delta_se"), "delta_se")
        if not math.isclose(got, ch.se, rel_tol=0.02, abs_tol=1e-4):
            near = lambda *vs: any(math.isclose(got, v, rel_tol=0.02) for v in vs)  # noqa: E731
            one = accuracy_se(accuracy_np(lp[0], y), n)  # the s.e. of the plain pass's accuracy on its own
            hint = ("tta_noise.se_unpaired.hint" if near(one, math.sqrt(2) * one) else
                    "tta_noise.se_variance.hint" if near(ch.se ** 2) else
                    "tta_noise.se_scale.hint" if near(*(ch.se * n ** k for k in (-1, -0.5, 0.5, 1))) else
                    "tta_noise.se.hint")
            raise fail("tta_noise.se", hint, got=got, fixed=ch.fixed, broken=ch.broken, n=n, step=step)
        if not isinstance(tta_helped, (bool, np.bool_)):
            raise fail("tta_noise.not_bool", value=short(tta_helped))
        real = ch.delta > 2 * got  # judged on the student's own s.e., accepted above
        if bool(tta_helped) != real:  # the student's own numbers, not the verdict they lead to
            raise fail("tta_noise.verdict", said=bool(tta_helped), delta=ch.delta, se=got, fixed=ch.fixed,
                       broken=ch.broken, n=n, step=step)
        facts = say("tta_noise.facts", fixed=ch.fixed, broken=ch.broken, n=n, delta=ch.delta, se=got, two_se=2 * got)
        return say("tta_noise.real" if real else "tta_noise.noise", facts=facts)
    return _run("tta_noise", check, quiet)


# ---- the table: notebooks, checkers and grader are all made from it -----------------------------------------

def _table(*exercises: Exercise) -> dict[str, Exercise]:
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise ValueError(f"exercise ids must be unique; got {ids}")
    return {e.id: e for e in exercises}


# in lesson order, which is the notebook's order and its numbering; the last three read a run the notebook makes,
# so their answers include that run's record, which the grader takes out of the notebook too
EXERCISES: dict[str, Exercise] = _table(
    Exercise("sgdr", title="The SGDR learning rate", answer_names=("lr_at",), check=check_sgdr,
             lesson_step="03_lr_schedules, section 2 (SGDR) and section 1 (how many epochs)", hints=hint_keys("sgdr")),
    Exercise("lr_find", title="Read the lr finder", answer_names=("lr_pick",), check=check_lr_pick,
             lesson_step="03_lr_schedules, section 6 (reading the lr finder)", hints=hint_keys("lr_find")),
    Exercise("diff_lrs", title="Differential learning rates", answer_names=("lrs_photos", "lrs_satellite"),
             check=check_diff_lrs, hints=hint_keys("diff_lrs"),
             lesson_step="01_dogs_vs_cats, section 4 (differential learning rates)"),
    Exercise("tta", title="Average TTA predictions", answer_names=("average_tta",), check=check_tta,
             lesson_step="01_dogs_vs_cats, section 5 (test-time augmentation)", hints=hint_keys("tta")),
    Exercise("log_loss", title="Log loss by hand", answer_names=("my_log_loss",), check=check_log_loss,
             lesson_step="02_dog_breeds, section 5 (TTA, accuracy and log loss)", hints=hint_keys("log_loss")),
    Exercise("submission", title="A Kaggle submission", answer_names=("make_df",), check=check_submission_df,
             lesson_step="02_dog_breeds, section 6 (a Kaggle submission)", hints=hint_keys("submission")),
    Exercise("lr_run", title="Read the lr finder of your own run",
             answer_names=("my_lr", "lr_reason", "run_lrs", "run_losses"), check=check_lr_run,
             lesson_step="03_lr_schedules, section 6 (reading the lr finder)", hints=hint_keys("lr_run")),
    Exercise("fit_verdict", title="Under- or over-fitting?",
             answer_names=("verdict_a", "verdict_b", "history_a", "history_b"), check=check_fit_verdict,
             hints=hint_keys("fit_verdict"),
             lesson_step="01_dogs_vs_cats, fine-tuning: the note on training loss above validation loss"),
    Exercise("tta_noise", title="Did TTA help, or was it noise?",
             answer_names=("fixed", "broke", "delta_se", "tta_helped", "tta_log_preds", "y_valid"),
             check=check_tta_noise, hints=hint_keys("tta_noise"),
             lesson_step="01_dogs_vs_cats, 'How precise is a validation accuracy?' (a change judged on the same "
                         "images)"),
)


def exercise_title(ex: Exercise, lang: str | None = None) -> str:
    """The exercise's title in `lang` (default: course_lib.lang's choice): that language's catalog entry
    `<id>.title`, else the table's (English) title."""
    return template(f"{ex.id}.title", lang, default=ex.title)


def exercise_step(ex: Exercise, lang: str | None = None) -> str:
    """The lesson step `ex`'s hints point to, in `lang` (default: course_lib.lang's choice): that language's
    catalog entry `<id>.lesson_step` (naming its edition's notebook sections), else the table's (English) step."""
    return template(f"{ex.id}.lesson_step", lang, default=ex.lesson_step)


def check(exercise: str, *answers, quiet: bool = False) -> Result:
    """Check the answers to `exercise` (an id of EXERCISES), given in the order of its answer_names."""
    if exercise not in EXERCISES:
        raise KeyError(f"no exercise {exercise!r}; the exercises are {', '.join(EXERCISES)}")
    return EXERCISES[exercise].check(*answers, quiet=quiet)


def summary() -> None:
    """Print how many exercises passed in this session (the latest try of each)."""
    passed = [e for e in EXERCISES if e in _results and _results[e].passed]
    todo = [e for e in EXERCISES if e not in passed]
    print(say("summary.score", passed=len(passed), total=len(EXERCISES))
          + (say("summary.todo", todo=", ".join(todo)) if todo else ""))

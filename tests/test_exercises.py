"""Classroom exercises: checkers accept the solutions, explain typical mistakes, survive broken code; the student
notebook builder and the grader."""
import ast
import importlib.util
import csv
import json
import math
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from course_lib.classroom import exercises as ex
from course_lib.metrics import accuracy_np
from course_lib.schedules import find_curve, smooth
from course_lib.classroom.grade import grade, main, markers, run_notebook, table, write_csv

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
EX_DIR = NB_DIR / "exercises"


def _load(path: Path):
    """A script of the repository as a module, without putting its folder on sys.path."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


build = _load(NB_DIR / "build.py")  # the notebook builder, which also writes the exercises


def _history(trn, val) -> pd.DataFrame:
    """An epoch table as learn.history gives it."""
    return pd.DataFrame({"epoch": range(len(trn)), "trn_loss": trn, "val_loss": val, "accuracy": 0.6, "time": "0:00"})


UNDER = _history([1.36, 1.1], [0.81, 0.78])                          # training loss above validation loss
OVER = _history([1.3, 0.8, 0.5, 0.3, 0.2], [0.9, 0.85, 1.0, 1.3, 1.5])  # training falls, validation rises from its best
FINE = _history([1.0, 0.7, 0.6], [0.8, 0.7, 0.68])                   # a little below, validation still at its best


def _tta_case(fixed: int, n: int = 200, right: int = 120, broke: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(log_preds (5, n, 2), y): the plain pass gets `right` images right; averaging the passes fixes `fixed` more
    and breaks `broke` of the right ones."""
    y = np.arange(n) % 2
    p_true = np.full((5, n), 0.3)
    p_true[:, :right] = 0.7                       # right in every pass
    p_true[1:, right:right + fixed] = 0.9         # wrong in the plain pass, right on average: (0.3 + 4 * 0.9) / 5
    p_true[1:, :broke] = 0.1                      # right in the plain pass, wrong on average: (0.7 + 4 * 0.1) / 5
    probs = np.zeros((5, n, 2))
    probs[:, np.arange(n), y] = p_true
    probs[:, np.arange(n), 1 - y] = 1 - p_true
    return np.log(probs), y


@pytest.fixture(scope="module")
def sol():
    """The answers of src/solutions.py, run as plain Python on recorded runs: the checkers must accept these."""
    _, nb = build.exercise_notebooks()
    run_lrs, run_losses = ex.lr_find_record()
    tta_log_preds, y_valid = _tta_case(fixed=4)
    ns = {"np": np, "pd": pd, "math": math, "lr": 1e-2, "smooth": smooth, "accuracy_np": accuracy_np,
          "run_lrs": run_lrs, "run_losses": run_losses, "curve": find_curve(run_lrs, run_losses),
          "history_a": UNDER, "history_b": OVER, "tta_log_preds": tta_log_preds, "y_valid": y_valid}
    for c in nb.cells:
        if build.is_solution(c):
            exec(c.source, ns)
    return ns


def test_solutions_pass_and_print_a_marker(sol, capsys):
    results = [ex.check_sgdr(sol["lr_at"]), ex.check_lr_pick(sol["lr_pick"]),
               ex.check_diff_lrs(sol["lrs_photos"], sol["lrs_satellite"]), ex.check_tta(sol["average_tta"]),
               ex.check_log_loss(sol["my_log_loss"]), ex.check_submission_df(sol["make_df"]),
               ex.check_lr_run(sol["my_lr"], sol["lr_reason"], sol["run_lrs"], sol["run_losses"]),
               ex.check_fit_verdict(sol["verdict_a"], sol["verdict_b"], sol["history_a"], sol["history_b"]),
               ex.check_tta_noise(sol["fixed"], sol["broke"], sol["delta_se"], sol["tta_helped"], sol["tta_log_preds"],
                                  sol["y_valid"])]
    assert [r.exercise for r in results] == list(ex.EXERCISES)
    assert all(r.passed for r in results), [str(r) for r in results if not r.passed]
    out = capsys.readouterr().out
    for e in ex.EXERCISES:
        assert f"[{e}] passed" in out and f"EXERCISE {e} PASS\n" in out


def _cos_schedule(warm_every_cycle=False, warm=True, restart_each_epoch=False, linear=False):
    def lr_at(it, n_batch, cycle_len, cycle_mult):
        length, start = round(cycle_len * n_batch), 0
        if warm and not warm_every_cycle and it < length / 20:
            return 0.01
        while it >= start + length:
            start += length
            length = length if restart_each_epoch else round(length * cycle_mult)
        t = it - start
        if warm_every_cycle and t < length / 20:
            return 0.01
        return 1 - t / length if linear else (math.cos(math.pi * t / length) + 1) / 2
    return lr_at


@pytest.mark.parametrize("fn, hint", [
    (_cos_schedule(warm=False), "first 1/20 of the first cycle"),
    (_cos_schedule(warm_every_cycle=True), "warm-up happens once"),
    (_cos_schedule(restart_each_epoch=True), "the restarts come after epochs 1 and 3"),
    (_cos_schedule(linear=True), "half a cosine"),
], ids=["no-warmup", "warmup-every-cycle", "cycle_mult-ignored", "linear"])
def test_sgdr_mistakes(fn, hint):
    r = ex.check_sgdr(fn, quiet=True)
    assert not r.passed and hint in r.hint, r
    if "restarts" in hint:
        assert "restarts every 1 epoch(s)" in r.message and "expected restarts after epochs 1 and 3" in r.message


@pytest.mark.parametrize("pick, passed, words", [
    (1e-2, True, "good pick"), (3e-2, True, "good pick"),
    (0.1, False, "about 10x"), (5.0, False, "diverges"), (1e-4, False, "barely started to fall"),
    (-1, False, "must be positive"), ("1e-2", False, "single float"), (np.array([0.01, 0.1]), False, "one number"),
    (..., False, "replace the `...`"),
])
def test_lr_pick(pick, passed, words):
    r = ex.check_lr_pick(pick, quiet=True)
    assert r.passed is passed and words in r.message + r.hint, r


def test_lr_pick_explains_the_suggestion():
    lrs, losses = ex.lr_find_record()
    sugg, at_min = ex.lr_find_suggestion(lrs, losses)
    assert 0.005 < sugg < 0.03 and at_min == pytest.approx(10 * sugg)
    assert f"{sugg:.2g}" in ex.check_lr_pick(sugg, lrs, losses, quiet=True).message


@pytest.mark.parametrize("photos, satellite, hint", [
    ([1e-2, 1e-3, 1e-4], [1e-2 / 9, 1e-2 / 3, 1e-2], "early layers are already good"),
    ([1e-2 / 9, 1e-2 / 3, 1e-2], [1e-4, 1e-3, 1e-2], "looks more like ImageNet's"),
    ([1e-4, 1e-3, 1e-2], [1e-4, 1e-3, 1e-2], "separate, different ratio for satellite"),
    ([1e-2 / 9, 1e-2 / 3, 1e-2], [1e-2 / 9, 1e-2 / 3, 1e-2], "ratio the lesson gives for photos"),
    ([1e-2, 1e-2, 1e-2], [1e-2 / 9, 1e-2 / 3, 1e-2], "smallest for the early layers"),
], ids=["reversed", "swapped", "satellite-10x", "photos-3x", "flat"])
def test_diff_lrs_mistakes(photos, satellite, hint):
    r = ex.check_diff_lrs(np.array(photos), np.array(satellite), quiet=True)
    assert not r.passed and hint in r.hint, r
    # a hint points to the lesson step, never to the answer: no ratio and no rate array in it
    assert not re.search(r"\b(3|9|10|100) ?x|lr ?/ ?(3|9|10|100)", r.hint), r


def test_diff_lrs_wrong_shapes_are_feedback():
    r = ex.check_diff_lrs([1e-4, 1e-2], [[1, 2, 3]], quiet=True)
    assert not r.passed and "shape (2,); expected (3,)" in r.message


@pytest.mark.parametrize("fn, words", [
    (lambda lp: lp.mean(0), "classic mistake"),
    (lambda lp: np.exp(lp.mean(0)), "classic mistake"),
    (lambda lp: np.log(np.exp(lp).mean(0)), "still in log space"),
    (lambda lp: np.exp(lp).mean(1), "wrong axis"),
    (lambda lp: np.exp(lp), "one row per pass"),
    (lambda lp: np.exp(lp[0]), "only the first"),
    (lambda lp: np.exp(lp[1:]).mean(0), "left out the first pass"),
], ids=["mean-log", "exp-mean-log", "log-of-mean", "axis-1", "no-mean", "first-pass", "no-plain-pass"])
def test_tta_mistakes(fn, words):
    r = ex.check_tta(fn, quiet=True)
    assert not r.passed and words in r.message + r.hint, r


def test_tta_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    assert ex.check_tta(lambda lp: torch.tensor(lp).exp().mean(0), quiet=True).passed


def _true_class(p, y):
    return p[np.arange(len(y)), y]


LOG_LOSS_MISTAKES = [
    (lambda y, p: float(-np.log(_true_class(p, y)).mean()), "what is the log of 0?"),
    (lambda y, p: float(np.log(_true_class(np.clip(p, 1e-15, 1), y)).mean()), "a log loss is never below 0"),
    (lambda y, p: float(-np.log(_true_class(np.clip(p, 1e-15, 1), y)).sum()), "mean over images"),
    (lambda y, p: float(-np.log10(_true_class(np.clip(p, 1e-15, 1), y)).mean()), "natural log"),
    (lambda y, p: float(-np.log(np.clip(p, 1e-15, 1)).mean()), "other classes too"),
    (lambda y, p: float(-np.log(np.clip(p, 1e-15, 1)).sum(1).mean()), "other classes too"),
    (lambda y, p: float(-np.log(_true_class(np.clip(p, 1e-7, 1 - 1e-7), y)).mean()), "the bounds, then the rows"),
    (lambda y, p: float(-np.log(_true_class(np.clip(p, 0.1, 0.9), y)).mean() + 0.3), "where 02 first defines"),
    (lambda y, p: -np.log(_true_class(p, y)), "single float"),
]


@pytest.mark.parametrize("fn, words", LOG_LOSS_MISTAKES,
                         ids=["no-clip", "sign", "sum", "log10", "all-classes", "all-classes-summed", "other-eps",
                              "other", "array"])
def test_log_loss_mistakes(fn, words):
    r = ex.check_log_loss(fn, quiet=True)
    assert not r.passed and words in r.hint, r


def _sub(ids, cols=None, index=False):
    def make_df(probs, fnames, classes):
        names = [f.split("/")[-1].rsplit(".", 1)[0] for f in fnames] if ids == "stem" else fnames
        df = pd.DataFrame(probs, columns=classes, index=names if index else None)
        if not index:
            df.insert(0, "id", names)
        return df[["id"] + (cols(classes))] if cols else df
    return make_df


@pytest.mark.parametrize("fn, words", [
    (_sub("fnames"), "without folder and suffix"),
    (_sub("stem", index=True), "index, not a column"),
    (_sub("stem", cols=lambda c: c[::-1]), "'id' first"),
    (lambda probs, fnames, classes: probs, "expected a pandas DataFrame"),
], ids=["paths-as-ids", "id-as-index", "column-order", "array"])
def test_submission_mistakes(fn, words):
    r = ex.check_submission_df(fn, quiet=True)
    assert not r.passed and words in r.message + r.hint, r


@pytest.mark.parametrize("check", [ex.check_sgdr, ex.check_tta, ex.check_log_loss, ex.check_submission_df])
def test_exceptions_in_student_code_become_feedback(check, capsys):
    def not_done(*args):
        raise NotImplementedError("your code here")

    def buggy(*args):
        return {}["missing"]

    r = check(not_done)
    assert not r.passed and "not written yet" in r.message and "raise NotImplementedError" in r.hint
    assert f"EXERCISE {r.exercise} FAIL replace the" in capsys.readouterr().out
    r = check(buggy, quiet=True)
    assert not r.passed and "raised KeyError" in r.message and "return {}[\"missing\"]" in r.message
    r = check(42, quiet=True)
    assert not r.passed and "expected a function" in r.message


# ---- the exercises that read a run ----------------------------------------------------------------------------

def test_lr_range_is_read_from_the_curve():
    lrs, losses = ex.lr_find_record()
    lo, hi = ex.lr_range(lrs, losses)
    assert 1e-4 < lo < 3e-3 < 0.05 < hi < 0.3  # the record falls from about 1e-3 and bottoms out near 0.1
    lo2, hi2 = ex.lr_range(lrs / 100, losses)  # the same curve two decades to the left
    assert lo2 == pytest.approx(lo / 100) and hi2 == pytest.approx(hi / 100)


@pytest.mark.parametrize("pick, reason, passed, words", [
    (1e-2, "b", True, "lies on the falling part"),
    (3e-2, " B ", True, "lies on the falling part"),
    (0.5, "b", False, "about to blow up"),
    (1e-5, "b", False, "has not started to fall"),
    (1e-2, "a", False, "already too large"),
    (1e-2, "c", False, "worst choice"),
    (1e-2, "d", False, "barely learns"),
    (1e-2, "e", False, "one of the letters"),
    (1e-2, ..., False, "replace the `...`"),
    (..., "b", False, "replace the `...`"),
    (-1e-2, "b", False, "must be positive"),
], ids=["middle", "upper-case-reason", "past-minimum", "flat-start", "reason-lowest", "reason-largest",
        "reason-no-move", "reason-unknown", "no-reason", "no-lr", "negative"])
def test_lr_run(pick, reason, passed, words):
    lrs, losses = ex.lr_find_record()
    r = ex.check_lr_run(pick, reason, lrs, losses, quiet=True)
    assert r.passed is passed and words in r.message + r.hint, r


def test_lr_run_pass_names_what_each_end_of_the_range_is():
    lrs, losses = ex.lr_find_record()
    lo, hi = ex.lr_range(lrs, losses)
    r = ex.check_lr_run(1e-2, "b", lrs, losses, quiet=True)
    assert r.passed and r.message.endswith(f"between where the smoothed loss starts to fall ({lo:.2g}) and its lowest "
                                           f"point ({hi:.2g})"), r
    assert r.message.count("fall") == 2, r  # "falling part" and "starts to fall", not a third time


def test_lr_run_judges_against_the_students_own_curve():
    lrs, losses = ex.lr_find_record()
    assert ex.check_lr_run(1e-2, "b", lrs, losses, quiet=True).passed
    r = ex.check_lr_run(1e-2, "b", lrs / 100, losses, quiet=True)  # on a curve two decades to the left: too high
    assert not r.passed and "past the lowest point" in r.message
    r = ex.check_lr_run(1e-2, "b", lrs * 100, losses, quiet=True)  # two decades to the right: not falling yet
    assert not r.passed and "has not started to fall" in r.message


def test_lr_run_warns_when_a_tenth_of_the_minimum_is_too_low():
    """On a short descent the lesson's rule of thumb lands on the flat start: the hint says so."""
    lrs = np.logspace(-5, 1, 100)
    losses = np.interp(np.log10(lrs), [-5, -2, -1.5, 1], [1.0, 1.0, 0.6, 5.0])  # flat, half a decade down, blow-up
    lo, hi = ex.lr_range(lrs, losses)
    assert hi / 10 < lo < hi
    r = ex.check_lr_run(hi / 10, "b", lrs, losses, quiet=True)
    assert not r.passed and "has not started to fall" in r.message and "too low on this curve" in r.hint
    assert ex.check_lr_run((lo * hi) ** 0.5, "b", lrs, losses, quiet=True).passed


def test_lr_run_explains_a_sweep_that_never_falls():
    lrs = np.logspace(-5, 1, 100)
    r = ex.check_lr_run(1e-3, "b", lrs, np.linspace(1.0, 5.0, 100), quiet=True)
    assert not r.passed and "never falls" in r.message and "lower start_lr" in r.hint
    r = ex.check_lr_run(1e-3, "b", lrs, np.ones(7), quiet=True)
    assert not r.passed and "same length" in r.message


@pytest.mark.parametrize("table, want", [(UNDER, "underfitting"), (OVER, "overfitting"), (FINE, "neither")],
                         ids=["under", "over", "neither"])
def test_fit_diagnosis(table, want):
    assert ex.fit_diagnosis(table) == want


GAP_NO_RISE = _history([1.0, 0.5, 0.3], [0.9, 0.8, 0.8])  # far below, but validation loss still at its best


# learn.history as the library gives it: the table's running average trn_loss, and trn_mean, each epoch's own mean.
# Run A of the exercise notebook at ps=0.6: the running average still carries the first epochs' higher losses and
# ends above val_loss, while the last epoch's own batches are below it: not underfitting.
LAGGING = _history([1.60, 1.43, 1.25, 1.13, 1.03, 0.94], [0.86, 0.81, 0.77, 0.77, 0.75, 0.74]).assign(
    trn_mean=[1.60, 1.31, 1.00, 0.92, 0.80, 0.71])
UNDER_MEAN = UNDER.assign(trn_mean=[1.4, 1.2])
OVER_MEAN = OVER.assign(trn_mean=[1.1, 0.6, 0.3, 0.2, 0.1])


def test_fit_diagnosis_reads_each_epochs_mean_not_the_running_average():
    assert ex.fit_diagnosis(LAGGING.drop(columns="trn_mean")) == "underfitting"  # what the running average says
    assert ex.fit_diagnosis(LAGGING) == "neither"
    assert ex.fit_diagnosis(UNDER_MEAN) == "underfitting" and ex.fit_diagnosis(OVER_MEAN) == "overfitting"
    assert ex.fit_diagnosis(LAGGING.assign(trn_mean=np.nan)) == "underfitting"  # no usable trn_mean: trn_loss


def test_fit_verdict_quotes_the_column_it_judged():
    r = ex.check_fit_verdict("underfitting", "overfitting", LAGGING, OVER_MEAN, quiet=True)
    assert not r.passed and "run A ends with trn_mean 0.710 and val_loss 0.740" in r.message, r
    r = ex.check_fit_verdict("neither", "overfitting", LAGGING, OVER_MEAN, quiet=True)
    assert r.passed and "last epoch's training loss (trn_mean)" in r.message, r
    r = ex.check_fit_verdict("underfitting", "overfitting", LAGGING.drop(columns="trn_loss"), OVER_MEAN, quiet=True)
    assert not r.passed and "trn_mean 0.710" in r.message  # trn_mean alone is enough
    r = ex.check_fit_verdict("underfitting", "overfitting", LAGGING.drop(columns=["trn_loss", "trn_mean"]), OVER,
                             quiet=True)
    assert not r.passed and "trn_mean or trn_loss" in r.message


@pytest.mark.parametrize("a, b, ha, hb, passed, words", [
    ("underfitting", "overfitting", UNDER, OVER, True, "run A is underfitting and run B is overfitting"),
    ("neither", "Overfitting", FINE, OVER, True, "run A is neither"),
    # a wrong verdict: the hint is keyed on the answer given, and says what in this run contradicts it
    ("overfitting", "overfitting", UNDER, OVER, False, "the training loss is not far below the validation loss"),
    ("underfitting", "underfitting", UNDER, OVER, False, "run B's last epoch does not have it"),
    ("overfitting", "overfitting", FINE, OVER, False, "the training loss is not far below"),
    ("overfitting", "overfitting", GAP_NO_RISE, OVER, False, "has not risen far from its best"),
    ("neither", "overfitting", UNDER, OVER, False, "shows no sign at all, but run A's last epoch shows one"),
    ("underfitting", "overfitting", OVER, UNDER, False, "does not have it"),  # the same words, other tables
    ("under", "overfitting", UNDER, OVER, False, "one of the three words"),
    (..., "overfitting", UNDER, OVER, False, "replace the `...`"),
    ("underfitting", "overfitting", UNDER.drop(columns="val_loss"), OVER, False, "learn.history"),
], ids=["right", "neither", "A-wrong", "B-wrong", "fine-called-over", "gap-no-rise-called-over", "under-called-neither",
        "tables-swapped", "bad-word", "no-answer", "no-val-loss"])
def test_fit_verdict(a, b, ha, hb, passed, words):
    r = ex.check_fit_verdict(a, b, ha, hb, quiet=True)
    assert r.passed is passed and words in r.message + r.hint, r
    if not passed and ha is UNDER and a == "overfitting":
        assert "trn_loss 1.100 and val_loss 0.780" in r.message  # the student's own numbers, quoted


def _tta_answer(log_preds, y, se=None):
    """A student's answers to exercise 9, computed as 01 teaches (fixed, broke, paired s.e., verdict)."""
    before, after = log_preds[0].argmax(1) == y, np.exp(log_preds).mean(0).argmax(1) == y
    fixed, broke, n = int((~before & after).sum()), int((before & ~after).sum()), len(y)
    d = (fixed - broke) / n
    se = math.sqrt(fixed + broke - n * d * d) / n if se is None else se(fixed, broke, n)
    return fixed, broke, se, d > 2 * se


@pytest.mark.parametrize("fixed, broke, helped", [(30, 0, True), (4, 0, True), (4, 2, False)],
                         ids=["real-gain", "few-but-one-way", "noise"])
def test_tta_noise_right_answers(fixed, broke, helped):
    lp, y = _tta_case(fixed, broke=broke)
    f, b, se, got = _tta_answer(lp, y)
    assert bool(got) is helped and (f, b) == (fixed, broke)
    r = ex.check_tta_noise(f, b, se, got, lp, y, quiet=True)
    assert r.passed and ("a real gain" if helped else "within the noise") in r.message, r
    assert f"fixed {fixed} and broke {broke} of 200 images" in r.message and "(paired)" in r.message


def _paired_se(f, b, n):
    d = (f - b) / n
    return math.sqrt(f + b - n * d * d) / n


SE_MISTAKES = [
    (lambda f, b, n: math.sqrt(0.6 * 0.4 / n), "standard error of one accuracy on its own"),
    (lambda f, b, n: (f + b) / n ** 2, "that is the variance"),
    (lambda f, b, n: n * _paired_se(f, b, n), "off by a factor of n"),              # forgot to divide by n
    (lambda f, b, n: math.sqrt(n) * _paired_se(f, b, n), "off by a factor of n"),   # sqrt(... / n) instead of / n
    (lambda f, b, n: 1 / n, "only the images that changed verdict"),
]


@pytest.mark.parametrize("se_of, words", SE_MISTAKES, ids=["unpaired", "variance", "no-division", "sqrt-n",
                                                           "one-image"])
def test_tta_noise_standard_error_mistakes(se_of, words):
    lp, y = _tta_case(4, broke=2)
    f, b, se, helped = _tta_answer(lp, y, se_of)
    r = ex.check_tta_noise(f, b, se, helped, lp, y, quiet=True)
    assert not r.passed and words in r.hint, r


def test_tta_noise_counts_are_checked():
    lp, y = _tta_case(4)
    f, b, se, helped = _tta_answer(lp, y)
    r = ex.check_tta_noise(b, f, se, helped, lp, y, quiet=True)
    assert not r.passed and "fixed = 0 does not match" in r.message and "the other way round" in r.hint
    lp, y = _tta_case(4, broke=2)
    f, b, se, helped = _tta_answer(lp, y)
    assert (f, b) == (4, 2)
    r = ex.check_tta_noise(f + 1, b, se, helped, lp, y, quiet=True)
    assert not r.passed and "count the images whose verdict changed" in r.hint
    for bad in (4.5, -1, 201):  # not a count of these 200 images
        r = ex.check_tta_noise(bad, b, se, helped, lp, y, quiet=True)
        assert not r.passed and "not a count of images: a whole number from 0 to 200" in r.message, r


@pytest.mark.parametrize("fixed, said, words", [
    (4, True, "does not follow from your own numbers: a change of +0.010 (4 fixed, 2 broken of 200 images)"),
    (30, False, "does not follow from your own numbers: a change of +0.150"),
    (4, "no", "True or False"),
], ids=["noise-called-gain", "gain-called-noise", "not-bool"])
def test_tta_noise_wrong_verdicts(fixed, said, words):
    lp, y = _tta_case(fixed, broke=2 if fixed == 4 else 0)
    f, b, se, _ = _tta_answer(lp, y)
    r = ex.check_tta_noise(f, b, se, said, lp, y, quiet=True)
    assert not r.passed and words in r.hint + r.message, r
    if said in (True, False):
        assert f"standard error of {se:.3f}" in r.message and "twice your standard error" in r.hint


# ---- failures never give the answer away: no expected value, no expected verdict ---------------------------------

# the words of each verdict in each language, which a failure must not print when that verdict is the answer
VERDICT_WORDS = {"underfitting": ("underfitting", "欠拟合"), "overfitting": ("overfitting", "过拟合"),
                 "neither": ("neither", "都不是")}
TTA_VERDICT_WORDS = ("within the noise", "a real gain", "在噪声范围之内", "确实有提升")


def _quoted(text: str, *values) -> list[str]:
    """The values found in `text` as the catalog formats numbers (.4f, .3f, .4g, g), each a whole number there."""
    forms = {f"{v:{spec}}" for v in values for spec in (".4f", ".3f", ".4g", "g")}
    return [f for f in forms if re.search(rf"(?<![\d.]){re.escape(f)}(?!\.?\d)", text)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_failures_never_quote_the_expected_answer(chosen, lang):
    from course_lib.classroom.cases import log_loss_cases
    from course_lib.lang import set_language
    from course_lib.metrics import log_loss
    set_language(lang)
    # 5: none of the expected log losses
    wants = [log_loss(y, p) for y, p in log_loss_cases()]
    for fn, _ in LOG_LOSS_MISTAKES:
        r = ex.check_log_loss(fn, quiet=True)
        assert not r.passed and not _quoted(r.message + r.hint, *wants), r
    # 8: neither the verdict of the run nor its gloss, whichever wrong verdict was given
    for table in (UNDER, OVER, FINE, GAP_NO_RISE):
        want = ex.fit_diagnosis(table)
        for said in set(ex.VERDICTS) - {want}:
            r = ex.check_fit_verdict(said, "overfitting", table, OVER, quiet=True)
            assert not r.passed and not [w for w in VERDICT_WORDS[want] if w in r.message + r.hint], (want, said, r)
    # 9: not the counts, not the paired s.e., not the verdict
    lp, y = _tta_case(4, broke=2)
    f, b, se, helped = _tta_answer(lp, y)
    for answers in ((b, f), (f + 1, b), (f, b + 1), (4.5, b)):  # counts: swapped, one off, not a count
        r = ex.check_tta_noise(*answers, se, helped, lp, y, quiet=True)
        wrong = [name for name, got, want in zip(("fixed", "broke"), answers, (f, b)) if got != want][0]
        assert not r.passed and not _quoted(r.message + r.hint, f if wrong == "fixed" else b), r
    for se_of, _ in SE_MISTAKES:
        r = ex.check_tta_noise(f, b, se_of(f, b, len(y)), helped, lp, y, quiet=True)
        assert not r.passed and not _quoted(r.message + r.hint, se), r
    for fixed, broke in ((4, 2), (30, 0)):
        lp, y = _tta_case(fixed, broke=broke)
        f, b, se, helped = _tta_answer(lp, y)
        r = ex.check_tta_noise(f, b, se, not helped, lp, y, quiet=True)
        assert not r.passed and not [w for w in TTA_VERDICT_WORDS if w in r.message + r.hint], r
        assert ex.check_tta_noise(f, b, se, helped, lp, y, quiet=True).passed


def test_tta_noise_bad_record_is_feedback():
    lp, y = _tta_case(4)
    r = ex.check_tta_noise(4, 0, 0.01, False, lp[0], y, quiet=True)
    assert not r.passed and "what learn.TTA() returned" in r.message


def test_marker_is_one_line_and_parsed_back():
    r = ex.Result("tta", False, "m", "two\nlines  here")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=f"noise\n{r.marker()}\n"),
        nbformat.v4.new_output("stream", name="stdout", text="EXERCISE sgdr FAIL first\nEXERCISE sgdr PASS\n")])])
    assert markers(nb) == {"tta": ("FAIL", "two lines here"), "sgdr": ("PASS", "")}


# ---- the student notebook builder -------------------------------------------------------------------------

def _src(c):
    return c["source"] if isinstance(c["source"], str) else "".join(c["source"])


def test_student_version_stubs_every_answer_and_leaks_none():
    student, solutions = build.exercise_notebooks()
    assert len(student.cells) == len(solutions.cells)
    n_answers = 0
    for s, a in zip(student.cells, solutions.cells):
        assert s.cell_type == a.cell_type
        if not build.is_solution(a):
            assert s.source == a.source  # every other cell unchanged
            continue
        n_answers += 1
        assert s.source.startswith(build.YOUR_CODE) and "SOLUTION" not in s.source
        ast.parse(s.source)  # the stub is valid Python
        tree = ast.parse(a.source)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                assert f"def {node.name}(" in s.source and build.STUB in s.source
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                for stmt in body:  # no line of the answer's body survives
                    for line in ast.get_source_segment(a.source, stmt).splitlines():
                        assert line.strip() not in s.source, line
            elif isinstance(node, ast.Assign):
                name = node.targets[0].id
                assert f"{name} = ...  # your answer" in s.source
                assert ast.get_source_segment(a.source, node.value) not in s.source
    assert n_answers == len(ex.EXERCISES)


def test_stub_keeps_wrapped_signatures_decorators_and_drops_other_lines():
    src = ("# SOLUTION\nimport os\n@staticmethod\ndef f(a,\n      b):\n    x = a + b\n    return x\n"
           "p, q = 1, 2\nr: int = 3\nprint(p)")
    out = build.stub(src)
    assert out == ("# YOUR CODE\n@staticmethod\ndef f(a,\n      b):\n    " + build.STUB + "\n"
                   "\np, q = ...  # your answer\nr = ...  # your answer")
    with pytest.raises(ValueError, match="own lines"):
        build.stub("# SOLUTION\ndef f(a): return a")


def test_committed_notebooks_are_in_step_with_the_source():
    student, solutions = build.exercise_notebooks()
    committed_s = json.loads((EX_DIR / "student.ipynb").read_text())
    committed_a = json.loads((EX_DIR / "solutions.ipynb").read_text())
    assert [_src(c) for c in committed_s["cells"]] == [c.source for c in student.cells], \
        "student.ipynb is stale: run python notebooks/build.py exercises"
    assert [_src(c) for c in committed_a["cells"]] == [c.source for c in solutions.cells], \
        "solutions.ipynb is stale: run python notebooks/build.py exercises"
    assert all(not c.get("outputs") for c in committed_s["cells"] if c["cell_type"] == "code")
    code = [c for c in committed_a["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert all(isinstance(n, int) for n in counts) and counts == sorted(counts)
    assert not any(o["output_type"] == "error" for c in code for o in c["outputs"])
    assert markers(nbformat.reads(json.dumps(committed_a), as_version=4)) == {e: ("PASS", "") for e in ex.EXERCISES}


# ---- the grader ---------------------------------------------------------------------------------------------

def _nb(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


RIGHT_LR_AT = """
import math
def lr_at(it, n_batch, cycle_len, cycle_mult):
    length = round(cycle_len * n_batch)
    if it < length / 20:
        return 0.01
    start = 0
    while it >= start + length:
        start += length
        length = round(length * cycle_mult)
    return (math.cos(math.pi * (it - start) / length) + 1) / 2
"""
WRONG_LR_AT = "def lr_at(it, n_batch, cycle_len, cycle_mult):\n    return 1.0"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    d = tmp_path_factory.mktemp("class")
    (d / "data").symlink_to(NB_DIR.parent / "data", target_is_directory=True)  # the run's sample data, found from d
    ann = shutil.copy(EX_DIR / "solutions.ipynb", d / "ann.ipynb")  # the real answers, all right; it trains a model
    others = [
        # a wrong answer, an error cell, then a right one after it
        _nb(d / "bob.ipynb", WRONG_LR_AT, "1 / 0", "import numpy as np\naverage_tta = lambda lp: np.exp(lp).mean(0)"),
        _nb(d / "cat.ipynb", RIGHT_LR_AT, "import os; os._exit(1)", "lr_pick = 0.01"),   # crashes its process
        _nb(d / "dan.ipynb", RIGHT_LR_AT, "import time; time.sleep(60)", "lr_pick = 0.01"),  # hangs
    ]
    return grade([ann], timeout=120, progress=False) + grade(others, timeout=10, progress=False)


@pytest.mark.slow
def test_grader_passing_failing_crashing_hanging(graded):
    ann, bob, cat, dan = graded
    assert ann.status == "ok" and ann.results == {e: ("PASS", "") for e in ex.EXERCISES}
    assert bob.status == "ok"  # an error cell does not stop the cells after it
    assert set(bob.results) == {"sgdr", "tta"} and bob.results["tta"] == ("PASS", "")
    assert bob.results["sgdr"][0] == "FAIL" and "1/100 of the rate" in bob.results["sgdr"][1]
    # graded on the cells before the one that crashed or hung: the later lr_pick never ran
    assert cat.status == "crashed" and "cell 2" in cat.detail and cat.results == {"sgdr": ("PASS", "")}
    assert dan.status == "timeout" and "10 s" in dan.detail and dan.results == {"sgdr": ("PASS", "")}


@pytest.mark.slow
def test_printed_markers_and_replaced_checkers_do_not_count(tmp_path):
    """A student prints the result lines, replaces and monkeypatches the checkers: nothing of it counts."""
    spoof = _nb(tmp_path / "eve.ipynb",
                "\n".join(f"print('EXERCISE {e} PASS')" for e in ex.EXERCISES),
                "import course_lib.classroom.exercises as ex\n"
                "for name in list(vars(ex)):\n"
                "    if name.startswith('check_'):\n"
                "        setattr(ex, name, lambda *a, **k: print('EXERCISE sgdr PASS'))\n"
                "ex.Result.passed = True\n"
                "def check_sgdr(*a, **k):\n    print('EXERCISE sgdr PASS')\n" + WRONG_LR_AT,
                "import course_lib.classroom.grade as g\ng.EXERCISES.clear()")
    eve = run_notebook(spoof, timeout=30)
    assert eve.status == "ok"
    assert eve.results == {"sgdr": eve.results["sgdr"]} and eve.results["sgdr"][0] == "FAIL"
    assert markers(nbformat.read(spoof, as_version=4)) == {}  # the printed lines were never even stored


@pytest.mark.slow
def test_an_answer_that_loops_forever_fails_that_exercise_only(tmp_path):
    loops = _nb(tmp_path / "fay.ipynb", "def lr_at(it, n_batch, cycle_len, cycle_mult):\n    while True:\n        pass",
                "import numpy as np\ndef average_tta(lp):\n    return np.exp(lp).mean(0)")
    fay = run_notebook(loops, timeout=30)
    assert fay.results["sgdr"][0] == "FAIL" and "every loop" in fay.results["sgdr"][1]
    assert fay.results["tta"] == ("PASS", "")  # a fresh sandbox took over after the endless loop


def test_the_codec_carries_data_and_nothing_else():
    from course_lib.classroom.sandbox import decode, encode
    df = pd.DataFrame({"id": ["a", "007"], "x": [0.25, 0.75]})
    vals = [None, True, 3, 2.5, float("nan"), "t", [1, (2, 3)], {"k": np.arange(3)}, np.eye(2, dtype=np.float32),
            np.float64(1.5), ..., df]
    back = decode(json.loads(json.dumps(encode(vals))))
    assert back[:4] == [None, True, 3, 2.5] and math.isnan(back[4]) and back[5:7] == ["t", [1, (2, 3)]]
    assert np.array_equal(back[7]["k"], np.arange(3)) and back[8].dtype == np.float32 and back[9] == 1.5
    assert back[10] is Ellipsis and back[11].equals(df)
    with pytest.raises(ValueError, match="unknown value"):
        decode({"__pickle__": "gASV"})  # nothing else is ever built from a message
    with pytest.raises(TypeError, match="cannot be sent"):
        encode(object())


@pytest.mark.slow
def test_grader_table_and_csv(graded, tmp_path):
    text = table(graded)
    lines = text.splitlines()
    assert lines[0].split() == ["exercise", "ann", "bob", "cat", "dan"]
    assert lines[2].split() == ["sgdr", "pass", "FAIL", "pass", "pass"]
    k = len(ex.EXERCISES)
    assert ["passed", f"{k}/{k}", f"1/{k}", f"1/{k}", f"1/{k}"] in [l.split() for l in lines]
    assert ["notebook", "ok", "ok", "crashed", "timeout"] in [l.split() for l in lines]
    assert "bob / sgdr: the first 1/20 of the first cycle runs at 1/100 of the rate" in text
    assert "dan: notebook timeout" in text
    rows = list(csv.DictReader(write_csv(graded, tmp_path / "g.csv").open()))
    assert len(rows) == 4 * len(ex.EXERCISES)
    row = next(r for r in rows if r["student"] == "bob" and r["exercise"] == "sgdr")
    assert row["result"] == "FAIL" and row["hint"].startswith("the first 1/20 of the first cycle")
    assert next(r for r in rows if r["student"] == "dan" and r["exercise"] == "tta")["result"] == "MISSING"


def test_grader_cli_reports_unreadable_notebooks(tmp_path, capsys):
    bad = tmp_path / "eve.ipynb"
    bad.write_text("not json")
    assert main([str(bad), "--csv", str(tmp_path / "out.csv")]) == 0
    out = capsys.readouterr().out
    assert ["notebook", "unreadable"] in [l.split() for l in out.splitlines()] and (tmp_path / "out.csv").is_file()


@pytest.mark.slow
def test_untouched_student_notebook_fails_every_checker_with_a_hint():
    """A student who runs the handed-out notebook as is gets a hint per exercise, never a traceback."""
    g = run_notebook(EX_DIR / "student.ipynb", timeout=120, student="new")  # it trains a small model
    assert g.status == "ok", g.detail
    assert set(g.results) == set(ex.EXERCISES)
    for name, (verdict, hint) in g.results.items():
        assert verdict == "FAIL" and hint, (name, verdict, hint)

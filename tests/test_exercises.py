"""Classroom exercises: checkers accept the solutions, explain typical mistakes, survive broken code; the student
notebook builder and the grader."""
import ast
import importlib.util
import csv
import json
import math
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from course_lib.classroom import exercises as ex
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


@pytest.fixture(scope="module")
def sol():
    """The answers of src/solutions.py, run as plain Python: the checkers must accept exactly these."""
    _, nb = build.exercise_notebooks()
    ns = {"np": np, "pd": pd, "math": math, "lr": 1e-2}
    for c in nb.cells:
        if build.is_solution(c):
            exec(c.source, ns)
    return ns


def test_solutions_pass_and_print_a_marker(sol, capsys):
    results = [ex.check_sgdr(sol["lr_at"]), ex.check_lr_pick(sol["lr_pick"]),
               ex.check_diff_lrs(sol["lrs_photos"], sol["lrs_satellite"]), ex.check_tta(sol["average_tta"]),
               ex.check_log_loss(sol["my_log_loss"]), ex.check_submission_df(sol["make_df"])]
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
    ([1e-2 / 9, 1e-2 / 3, 1e-2], [1e-4, 1e-3, 1e-2], "~3x steps"),
    ([1e-4, 1e-3, 1e-2], [1e-4, 1e-3, 1e-2], "lr/9, lr/3, lr"),
    ([1e-2 / 9, 1e-2 / 3, 1e-2], [1e-2 / 9, 1e-2 / 3, 1e-2], "lr/100, lr/10, lr"),
    ([1e-2, 1e-2, 1e-2], [1e-2 / 9, 1e-2 / 3, 1e-2], "smallest for the early layers"),
], ids=["reversed", "swapped", "satellite-10x", "photos-3x", "flat"])
def test_diff_lrs_mistakes(photos, satellite, hint):
    r = ex.check_diff_lrs(np.array(photos), np.array(satellite), quiet=True)
    assert not r.passed and hint in r.hint, r


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


@pytest.mark.parametrize("fn, words", [
    (lambda y, p: float(-np.log(_true_class(p, y)).mean()), "clip the probabilities"),
    (lambda y, p: float(np.log(_true_class(np.clip(p, 1e-15, 1), y)).mean()), "*negative*"),
    (lambda y, p: float(-np.log(_true_class(np.clip(p, 1e-15, 1), y)).sum()), "mean over images"),
    (lambda y, p: float(-np.log10(_true_class(np.clip(p, 1e-15, 1), y)).mean()), "natural log"),
    (lambda y, p: float(-np.log(np.clip(p, 1e-15, 1)).mean()), "true class counts"),
    (lambda y, p: float(-np.log(_true_class(np.clip(p, 1e-7, 1 - 1e-7), y)).mean()), "eps=1e-15"),
    (lambda y, p: -np.log(_true_class(p, y)), "single float"),
], ids=["no-clip", "sign", "sum", "log10", "all-classes", "other-eps", "array"])
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
    paths = [
        shutil.copy(EX_DIR / "solutions.ipynb", d / "ann.ipynb"),  # the real answers, all right
        # a wrong answer, an error cell, then a right one after it
        _nb(d / "bob.ipynb", WRONG_LR_AT, "1 / 0", "import numpy as np\naverage_tta = lambda lp: np.exp(lp).mean(0)"),
        _nb(d / "cat.ipynb", RIGHT_LR_AT, "import os; os._exit(1)", "lr_pick = 0.01"),   # crashes its process
        _nb(d / "dan.ipynb", RIGHT_LR_AT, "import time; time.sleep(60)", "lr_pick = 0.01"),  # hangs
    ]
    return grade(paths, timeout=10, progress=False)


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
                "import course_lib.classroom.grade as g\ng.CHECKS.clear()")
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
    assert ["passed", "6/6", "1/6", "1/6", "1/6"] in [l.split() for l in lines]
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
    g = run_notebook(EX_DIR / "student.ipynb", timeout=60, student="new")
    assert g.status == "ok", g.detail
    assert set(g.results) == set(ex.EXERCISES)
    for name, (verdict, hint) in g.results.items():
        assert verdict == "FAIL" and hint, (name, verdict, hint)

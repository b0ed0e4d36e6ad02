"""The one table of exercises drives the checkers, the grader and the exercise notebooks; every sentence a student
reads comes from the message catalog, in a language that can change."""
import dataclasses
import importlib.util
import inspect
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.classroom import exercises as ex
from course_lib.classroom import feedback, grade, messages
from course_lib.classroom.grade import Graded, run_notebook, table
from course_lib.classroom.messages import EN, hint_keys
from course_lib.lang import catalog, say

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
SRC = NB_DIR / "exercises" / "src" / "solutions.py"
CLASSROOM = Path(ex.__file__).parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


build = _load(NB_DIR / "build.py")


def _ten(calls: list) -> ex.Exercise:
    """An exercise 10, as a teacher would add it: one table entry (its checker records what it was given)."""
    def check_ten(answer, quiet: bool = False) -> feedback.Result:
        calls.append(answer)
        return feedback.Result("ten", answer == 3, "three" if answer == 3 else "not three", "" if answer == 3 else "3")
    return ex.Exercise("ten", title="Count to three", answer_names=("answer",), check=check_ten,
                       lesson_step="01_dogs_vs_cats", hints=())


# ---- the table ------------------------------------------------------------------------------------------------

def test_table_entries_are_frozen_and_complete():
    assert list(ex.EXERCISES) == ["sgdr", "lr_find", "diff_lrs", "tta", "log_loss", "submission", "lr_run",
                                  "fit_verdict", "tta_noise"]
    for id_, e in ex.EXERCISES.items():
        assert e.id == id_ and e.title and e.lesson_step and e.hints and callable(e.check)
        with pytest.raises(dataclasses.FrozenInstanceError):
            e.title = "changed"


def test_answer_names_are_the_checkers_arguments():
    """What the grader takes out of a notebook is exactly what the checker needs, in its order."""
    for e in ex.EXERCISES.values():
        params = inspect.signature(e.check).parameters.values()
        required = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
        assert required == e.answer_names, e.id


def test_check_runs_the_checker_in_the_table(monkeypatch):
    calls = []
    monkeypatch.setitem(ex.EXERCISES, "sgdr", dataclasses.replace(ex.EXERCISES["sgdr"],
                                                                  check=lambda *a, quiet: calls.append(a) or "ran"))
    assert ex.check("sgdr", "lr_at") == "ran" and calls == [("lr_at",)]
    with pytest.raises(KeyError, match="no exercise 'sgrd'; the exercises are sgdr, lr_find"):
        ex.check("sgrd", None)


def test_each_checker_reads_its_lesson_step_from_the_table(monkeypatch):
    monkeypatch.setitem(ex.EXERCISES, "tta", dataclasses.replace(ex.EXERCISES["tta"], lesson_step="STEP X"))
    r = ex.check("tta", lambda lp: lp.mean(0), quiet=True)  # averaged log-probabilities: a hint with the step
    assert not r.passed and r.hint.endswith("; see STEP X")


def test_summary_counts_the_table(capsys, monkeypatch):
    monkeypatch.setattr(ex, "_results", {})
    ex.check("lr_find", 1e-2, quiet=True)
    ex.summary()
    n = len(ex.EXERCISES)
    assert capsys.readouterr().out == f"1 of {n} exercises passed; still to do: " + \
        ", ".join(e for e in ex.EXERCISES if e != "lr_find") + "\n"


def test_find_sample_lives_with_the_samples():
    from course_lib.synthetic import find_sample
    from course_lib.synthetic.samples import find_sample as home
    assert find_sample is home is ex.find_sample  # the old import still works for handed-out notebooks


# ---- the grader -----------------------------------------------------------------------------------------------

def test_grade_table_lists_every_exercise():
    rows = [line.split()[0] for line in table([Graded(Path("ann.ipynb"), "ann")]).splitlines()[2:]]
    assert rows == list(ex.EXERCISES) + ["passed", "notebook"]


@pytest.mark.slow
def test_the_grader_runs_what_the_table_says(tmp_path, monkeypatch):
    """A new exercise in the table is graded: its answer is taken out by name and its checker runs here."""
    calls = []
    monkeypatch.setattr(grade, "EXERCISES", {"ten": _ten(calls)})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("answer = 1 + 2")])
    nbformat.write(nb, tmp_path / "ann.ipynb")
    g = run_notebook(tmp_path / "ann.ipynb", timeout=30)
    assert g.status == "ok" and g.results == {"ten": ("PASS", "")} and calls == [3]
    assert "ten" in table([g]).split()


# ---- the notebooks --------------------------------------------------------------------------------------------

def _headings(nb) -> list[str]:
    return [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]


def test_every_exercise_is_in_both_notebooks_with_its_check_cell():
    student, solutions = build.exercise_notebooks()
    for nb in (student, solutions):
        heads = _headings(nb)
        for n, e in enumerate(ex.EXERCISES.values(), 1):
            assert f"## {n}. {e.title}" in heads
            check = f'check("{e.id}", {", ".join(e.answer_names)})'
            i = next(i for i, c in enumerate(nb.cells) if c.source == check)
            assert build.is_solution(solutions.cells[i - 1])  # right below the exercise's answer cell
        assert not any("EXERCISE" in h for h in heads)
    assert "## EXERCISE" not in "".join(c.source for c in student.cells)


def test_an_exercise_10_is_one_table_entry_and_its_cells(tmp_path):
    src = tmp_path / "solutions.py"
    src.write_text(SRC.read_text().replace("# %% [markdown]\n# ## Your score", "# %% [markdown]\n# ## EXERCISE ten\n#\n"
                   "# Count to three.\n\n# %%\n# SOLUTION\nanswer = 3\n\n# %% [markdown]\n# ## Your score"))
    table10 = {**ex.EXERCISES, "ten": _ten([])}
    student, solutions = build.exercise_notebooks(src, table10)
    assert "## 10. Count to three" in _headings(student)
    stub, check = (c.source for c in student.cells[-4:-2])  # then the closing "Your score" cells
    assert stub == "# YOUR CODE\nanswer = ...  # your answer" and check == 'check("ten", answer)'
    with pytest.raises(ValueError, match=r"the source's exercises are \[.*'tta_noise'\]; the table's are .*'ten'\]"):
        build.exercise_notebooks(SRC, table10)  # in the table, not yet in the source


@pytest.mark.parametrize("edit, words", [
    (lambda s: s.replace("# ## EXERCISE tta\n", "# ## EXERCISE ttta\n"), "no such exercise in the table"),
    (lambda s: s.replace("# SOLUTION\ndef average_tta", "def average_tta"), "'tta' has no `# SOLUTION` cell before"),
    (lambda s: s.replace("lr = 1e-2\n", "# SOLUTION\nlr = 1e-2\n"), "'diff_lrs' has one already"),
    (lambda s: s.replace("# ## EXERCISE sgdr\n", "# ## The SGDR rate\n"), "no `## EXERCISE <id>` heading before"),
], ids=["unknown-id", "no-answer-cell", "two-answer-cells", "answer-outside"])
def test_the_source_must_follow_the_table(tmp_path, edit, words):
    src = tmp_path / "solutions.py"
    src.write_text(edit(SRC.read_text()))
    with pytest.raises(ValueError, match=re.escape(words)):
        build.exercise_notebooks(src)


# ---- the message catalog --------------------------------------------------------------------------------------

def _keys_in_source() -> set[str]:
    """Every catalog key written out in the classroom modules (`fail("x.y"`, `say("x.y"`, ... and hints)."""
    prefixes = "|".join(["common", "result", "summary", "grade", *ex.EXERCISES])
    found = set()
    for path in CLASSROOM.glob("*.py"):
        if path.name not in ("messages.py", "messages_zh.py"):
            found |= set(re.findall(rf'"((?:{prefixes})\.[a-z_.]+)"', path.read_text()))
    return found


def test_every_key_used_is_in_the_catalog():
    used = _keys_in_source()
    assert len(used) > 80 and used <= set(EN), sorted(used - set(EN))
    for e in ex.EXERCISES.values():
        assert e.hints == hint_keys(e.id) and set(e.hints) <= set(EN)


def test_every_catalog_text_is_used():
    """A hint goes with its message (`<key>.hint`) or is named; the other texts are named, or built from a letter
    or a verdict (lr_run.reason.<letter>, fit_verdict.<verdict>.hint), or a notebook's status
    (grade.status.<status>)."""
    used = _keys_in_source()
    built = {f"lr_run.reason.{k}" for k in "abcd"} | {f"lr_run.reason.{k}.hint" for k in "acd"} | \
        {f"fit_verdict.{v}.hint" for v in ex.VERDICTS} | {"tta_noise.real.hint", "tta_noise.noise.hint"} | \
        {f"grade.status.{s}" for s in ("ok", "timeout", "crashed", "unreadable")}
    for key in EN:
        assert key in used or key in built or (key.endswith(".hint") and key[:-5] in used), key


def test_checker_texts_come_from_the_catalog(monkeypatch):
    monkeypatch.setitem(catalog()["lr_find.past_min.hint"], "en", "CATALOG {step}")
    r = ex.check_lr_pick(5.0, quiet=True)
    assert not r.passed and r.hint == f"CATALOG {ex.EXERCISES['lr_find'].lesson_step}"


def test_a_language_goes_through_the_one_catalog(monkeypatch):
    """The checkers read course_lib.lang's catalog, which holds their table; a text missing in a language is English."""
    assert catalog()["common.no_answer"] == {"en": EN["common.no_answer"], "zh": messages.TEXTS["zh"]["common.no_answer"]}
    monkeypatch.setitem(catalog()["common.no_answer"], "zh", "`{name}` 还没有答案")
    monkeypatch.setitem(catalog()["result.not_yet"], "zh", "[{exercise}] 还没有: {message}")
    monkeypatch.delitem(catalog()["common.no_answer.hint"], "zh")
    assert say("common.no_answer", "zh", name="lr_pick") == "`lr_pick` 还没有答案"
    assert say("common.no_answer.hint", "zh", name="lr_pick") == "replace the `...` after `lr_pick =` with your answer"
    monkeypatch.setenv("COURSE_LIB_LANG", "zh")  # the one switch of course_lib.lang switches every checker
    r = ex.check_lr_pick(..., quiet=True)
    assert r.message == "`lr_pick` 还没有答案" and str(r).startswith("[lr_find] 还没有: ")
    assert r.marker() == "EXERCISE lr_find FAIL replace the `...` after `lr_pick =` with your answer"


def test_unknown_language_or_key_says_what_exists():
    with pytest.raises(ValueError, match=r"no texts in language 'fr'; the catalog has 'en', 'zh'"):
        say("common.no_answer", "fr", name="x")
    with pytest.raises(KeyError, match="no text 'common.nope'"):
        say("common.nope")


def test_find_sample_makes_a_missing_sample_in_the_repositorys_data_folder(tmp_path, monkeypatch):
    """A fresh clone has data/ (its README) but no sample: exercises/ and exercises/zh/ must both use data/."""
    import course_lib.synthetic.samples as samples
    (tmp_path / "data").mkdir()
    deep = tmp_path / "notebooks" / "exercises" / "zh"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    made = []
    monkeypatch.setattr(samples, "ensure_sample", lambda name, root: made.append(Path(root).resolve()) or root)
    samples.find_sample("dogscats")
    assert made == [(tmp_path / "data").resolve()]

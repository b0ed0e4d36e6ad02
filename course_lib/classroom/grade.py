"""Grade exercise notebooks: run each one apart, take its answers out, check them here, print exercise x student.

    python -m course_lib.classroom.grade class/*.ipynb [--timeout 60] [--csv grades.csv] [--lang zh]

Nothing a notebook prints is trusted, and no checker runs where student code runs: a cell can print
`EXERCISE sgdr PASS` or replace `check_sgdr`, since everything in a student's process can be read and changed
by student code. So each notebook's code cells run in a sandbox process of their own (errors allowed, so one
broken cell does not hide the exercises after it); the grader then takes the answers out by the names the
table `course_lib.classroom.exercises.EXERCISES` gives (the values, or the functions as proxies that call into
the sandbox with data only) and runs each exercise's checker in its own process. A notebook that crashes its
process or runs past `--timeout` seconds is reported as such, and graded on the cells before the one that
crashed or hung.
Notebooks are not modified. `--lang zh` prints the table's words and the hints in Chinese (course_lib.lang's one
switch); the `EXERCISE <id> PASS|FAIL` lines and the CSV's column names and result codes stay as they are.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from .. import csvfile
from ..lang import LANGUAGES, say, set_language
from .exercises import EXERCISES
from .sandbox import Sandbox, SandboxDied, SandboxTimeout, StudentError

MARKER_RE = re.compile(r"^EXERCISE (\S+) (PASS|FAIL)(?: (.*))?$")


@dataclass
class Graded:
    """One notebook's outcome: how the run ended and each exercise's last result (PASS|FAIL, hint)."""
    path: Path
    student: str
    status: str = "ok"  # ok | timeout | crashed | unreadable (the CSV's codes; the table words them, grade.status.*)
    detail: str = ""
    results: dict[str, tuple[str, str]] = field(default_factory=dict)


def markers(nb) -> dict[str, tuple[str, str]]:
    """Exercise id -> (PASS|FAIL, hint) as the notebook's own checkers printed them (a later try wins).

    For a student's view of their notebook only: the grade never reads these lines.
    """
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream" or out.get("name") != "stdout":
                continue
            text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
            for line in text.splitlines():
                m = MARKER_RE.match(line.strip())
                if m:
                    found[m[1]] = (m[2], m[3] or "")
    return found


def start_sandbox(g: Graded, cells: list[str], cwd: Path, timeout: float) -> Sandbox:
    """The notebook's cells in a sandbox; a cell that hangs or crashes it is left out, with all after it."""
    upto = len(cells)
    while True:
        try:
            return Sandbox(cells[:upto], cwd, timeout)
        except SandboxTimeout as e:
            if g.status == "ok":
                g.status, g.detail = "timeout", say("grade.detail.timeout", cell=e.cell + 1, timeout=timeout)
            upto = e.cell
        except SandboxDied as e:
            if g.status == "ok":
                g.status, g.detail = "crashed", say("grade.detail.crashed", cell=e.cell + 1)
            upto = e.cell


def check_answers(g: Graded, cells: list[str], cwd: Path, timeout: float) -> None:
    """Take each exercise's answers (its answer_names) out of the sandbox and run its checker here."""
    box = start_sandbox(g, cells, cwd, timeout)
    try:
        for ex in EXERCISES.values():
            if not box.alive:  # a student function hung or killed it during the last check: start again
                box = start_sandbox(g, cells, cwd, timeout)
            try:
                answers = [box.get(name) for name in ex.answer_names]
            except KeyError:
                continue  # not answered: no such name in the notebook (shown as "-")
            except (StudentError, TypeError, SandboxTimeout, SandboxDied) as e:
                g.results[ex.id] = ("FAIL", say("grade.unreadable_answer", error=e))
                continue
            r = ex.check(*answers, quiet=True)
            g.results[ex.id] = ("PASS" if r.passed else "FAIL", " ".join(r.hint.split()) if not r.passed else "")
    finally:
        box.close()


def run_notebook(path: Path, timeout: float = 60, student: str | None = None) -> Graded:
    """Grade one notebook (its code cells in a sandbox, `timeout` seconds for them); never raises for its faults."""
    g = Graded(Path(path), student or Path(path).stem)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # not JSON, not a notebook, missing
        g.status, g.detail = "unreadable", f"{type(e).__name__}: {e}"
        return g
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    check_answers(g, cells, Path(path).resolve().parent, timeout)
    return g


def student_names(paths: list[Path]) -> list[str]:
    """File stems, or folder/stem where two stems clash (class/ann/student.ipynb, class/bob/student.ipynb)."""
    stems = [p.stem for p in paths]
    return [f"{p.parent.name}/{p.stem}" if stems.count(p.stem) > 1 else p.stem for p in paths]


def exercise_ids(graded: list[Graded]) -> list[str]:
    """The known exercises in lesson order, then any others found, in order of appearance."""
    extra = [e for g in graded for e in g.results if e not in EXERCISES]
    return list(EXERCISES) + list(dict.fromkeys(extra))


def width(s: str) -> int:
    """Columns `s` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def table(graded: list[Graded]) -> str:
    """Exercise rows x student columns (pass / FAIL / - for not reached), the run status, then every hint; the
    words in the chosen language (course_lib.lang)."""
    ids = exercise_ids(graded)
    word = {"PASS": say("grade.pass"), "FAIL": say("grade.fail")}
    head = [say("grade.col.exercise")] + [g.student for g in graded]
    rows = [[e] + [word.get(g.results.get(e, ("-",))[0], "-") for g in graded] for e in ids]
    rows.append([say("grade.row.passed")]
                + [f"{sum(r[0] == 'PASS' for r in g.results.values())}/{len(ids)}" for g in graded])
    rows.append([say("grade.row.notebook")] + [say(f"grade.status.{g.status}") for g in graded])
    with pd.option_context("display.unicode.east_asian_width", True):  # columns line up with Chinese words too
        lines = pd.DataFrame(rows, columns=head).to_string(index=False).splitlines()
    lines.insert(1, "-" * width(lines[0]))
    notes = []
    for g in graded:
        if g.status != "ok":
            notes.append(say("grade.note.status", student=g.student, status=say(f"grade.status.{g.status}"),
                              detail=g.detail))
        notes += [say("grade.note.hint", student=g.student, exercise=e, hint=hint)
                  for e, (res, hint) in g.results.items() if res == "FAIL" and hint]
    return "\n".join(lines + ([""] + notes if notes else []))


def write_csv(graded: list[Graded], fn: str | Path) -> Path:
    """One row per student and exercise: student, notebook, notebook_status, exercise, result, hint."""
    ids = exercise_ids(graded)
    rows = ([g.student, str(g.path), g.status, e, *g.results.get(e, ("MISSING", ""))] for g in graded for e in ids)
    return csvfile.write_csv(fn, ["student", "notebook", "notebook_status", "exercise", "result", "hint"], rows)


def grade(paths: list[str | Path], timeout: float = 60, progress: bool = True) -> list[Graded]:
    """Run every notebook in turn; one that fails, crashes or hangs does not stop the others."""
    paths = [Path(p) for p in paths]
    out = []
    for p, name in zip(paths, student_names(paths)):
        t = time.perf_counter()
        g = run_notebook(p, timeout, name)
        if progress:
            print(say("grade.progress", name=name, status=say(f"grade.status.{g.status}"),
                       passed=sum(r[0] == "PASS" for r in g.results.values()), seconds=time.perf_counter() - t),
                  file=sys.stderr, flush=True)
        out.append(g)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_lib.classroom.grade", description=__doc__.splitlines()[0])
    p.add_argument("notebooks", nargs="+", help="student notebooks (.ipynb)")
    p.add_argument("--timeout", type=float, default=60, help="seconds allowed for each whole notebook (default 60)")
    p.add_argument("--csv", help="also write one row per student and exercise to this CSV file")
    p.add_argument("--lang", choices=LANGUAGES,
                   help="language of the table's words and the hints (default: COURSE_LIB_LANG, else English)")
    a = p.parse_args(argv)
    if a.lang:
        set_language(a.lang)  # before any check: hints and the table's words come out in it
    graded = grade(a.notebooks, a.timeout)
    print(table(graded))
    if a.csv:
        print(say("grade.wrote", path=write_csv(graded, a.csv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the notebooks from their percent-format sources with jupytext, then execute them with nbclient.

    python notebooks/build.py                 # the lesson notebooks, from src/*.py
    python notebooks/build.py 03              # those whose name starts with 03
    python notebooks/build.py --no-execute    # write only (outputs empty)
    python notebooks/build.py exercises       # exercises/student.ipynb + exercises/solutions.ipynb (executed)
    python notebooks/build.py 01 02 --seeds 7 2026   # re-run check: execute with other seeds, write nothing

A source is a Python file in jupytext's percent format: `# %%` starts a code cell, `# %% [markdown]` a
Markdown cell whose lines are comments, and IPython magics are written commented (`# %matplotlib inline`),
so every source stays valid Python. The executed .ipynb files are committed so readers and nbval see the
results; editing happens in the sources, never in the .ipynb.

Each source holds both editions. A Markdown cell is English unless its header marks it Chinese,
`# %% [markdown] lang="zh"`; each English Markdown cell is followed by its Chinese twin. Code cells are
shared: the first one calls `set_language("en")`, which the Chinese edition runs as `set_language("zh")`, so
that what the code prints comes from course_lib's text tables in that language. The English edition is written
to notebooks/<name>.ipynb, the Chinese one to notebooks/zh/<name>.ipynb (exercises: exercises/zh/), each
executed in its own folder.

The exercises come from one source, exercises/src/solutions.py, and the table of exercises,
`course_lib.classroom.exercises.EXERCISES`. Each exercise starts with a Markdown cell headed
`## EXERCISE <id>`, in the table's order; the heading becomes `## <number>. <title>` from the table. Its one
code cell whose first line is `# SOLUTION` holds the answer, and is followed by a check cell made from the table,
`check("<id>", <answer names>)`. In the student version the answer cell becomes a `# YOUR CODE` cell that keeps
each function's `def` line and docstring, with the body replaced by `raise NotImplementedError("your code here")`,
and each assignment's target, set to `...`. Every other line of an answer cell is dropped; every other
cell is copied unchanged. The student version is written unexecuted, the solutions executed.
"""
from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from course_lib.classroom.exercises import EXERCISES, Exercise, exercise_title

HERE = Path(__file__).resolve().parent
EXERCISES_DIR = HERE / "exercises"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

LANGS = ("en", "zh")
SET_LANGUAGE = 'set_language("en")'
SOLUTION = "# SOLUTION"
YOUR_CODE = "# YOUR CODE"
HEADING = re.compile(r"^## EXERCISE (\S+)[ \t]*$", re.M)  # an exercise's first cell, numbered and titled from the table
STUB = 'raise NotImplementedError("your code here")'


def parse(text: str) -> nbformat.NotebookNode:
    """A notebook (unexecuted) from the text of a percent-format source."""
    nb = jupytext.reads(text, fmt="py:percent")
    # only what a kernel needs: jupytext's own metadata and its per-cell layout hints would churn diffs
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for c in nb.cells:
        lang = c.metadata.get("lang")
        if lang is not None and (lang not in LANGS or c.cell_type != "markdown"):
            raise ValueError(f"lang={lang!r} on a {c.cell_type} cell: only Markdown cells carry a language, one "
                             f"of {LANGS}; code is shared by both editions")
        c.metadata = nbformat.from_dict({"lang": lang} if lang else {})
    return nb


def languages(nb: nbformat.NotebookNode) -> list[str]:
    """The editions a parsed source holds: English, and Chinese when any cell is marked lang="zh"."""
    return ["en"] + [lang for lang in LANGS[1:] if any(c.metadata.get("lang") == lang for c in nb.cells)]


def edition(nb: nbformat.NotebookNode, lang: str) -> nbformat.NotebookNode:
    """The `lang` edition of a parsed source: its Markdown cells in that language, the shared code cells, and
    the first code cell's set_language("en") switched to `lang`."""
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if c.cell_type != "markdown" or c.metadata.get("lang", "en") == lang]
    for c in out.cells:
        if c.metadata.get("lang") == "en":
            del c.metadata["lang"]
    if lang != "en":
        first = next((c for c in out.cells if c.cell_type == "code"), None)
        if first is None or SET_LANGUAGE not in first.source:
            raise ValueError(f"the first code cell must call {SET_LANGUAGE}: the {lang} edition switches it")
        first.source = first.source.replace(SET_LANGUAGE, f'set_language("{lang}")')
    return out


def folder(base: Path, lang: str) -> Path:
    """Where the `lang` edition of a notebook in `base` lives: base itself for English, base/<lang> else."""
    return base if lang == "en" else base / lang


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int, name: str, env: dict | None = None) -> float:
    """Run every cell top to bottom in a fresh kernel started in `cwd`; an error stops the build.

    Progress bars are switched off in the kernel (TQDM_DISABLE=1): a saved bar shows whatever state it was
    last drawn in, which on GitHub or in exported HTML looks unfinished. A reader's own run still shows them.
    `env` adds variables for this run (e.g. COURSE_LIB_SEED). Returns the seconds it took.
    """
    t = time.perf_counter()
    saved = dict(os.environ)
    os.environ.update({"TQDM_DISABLE": "1", **(env or {})})  # the kernel inherits this process's environment
    try:
        NotebookClient(nb, timeout=timeout, kernel_name=KERNELSPEC["name"],
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    took = time.perf_counter() - t
    print(f"{name}: executed in {took:.0f} s" + "".join(f", {k}={v}" for k, v in (env or {}).items()), flush=True)
    return took


def write(nb: nbformat.NotebookNode, out: Path) -> Path:
    """Write `nb` to `out` without per-run cell metadata, so diffs show only what changed."""
    for c in nb.cells:
        c.metadata.pop("execution", None)
    nbformat.write(nb, out)
    return out


def rerun(src: Path, seeds: list[int], timeout: int = 900, keep: Path | None = None) -> None:
    """Execute src/<name>.py (its English edition: the code is shared) once per seed (COURSE_LIB_SEED) without
    writing into notebooks/: every cell must pass. With `keep`, each executed run is saved there as
    <name>.seed<N>.ipynb, so that its figures can be read (e.g. a run on real photos)."""
    for seed in seeds:
        nb = edition(parse(src.read_text()), "en")
        try:
            execute(nb, HERE, timeout, src.stem, {"COURSE_LIB_SEED": str(seed)})
        finally:  # a failing run is the one most worth reading
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                write(nb, keep / f"{src.stem}.seed{seed}.ipynb")


def build(src: Path, execute_nb: bool = True, timeout: int = 900, langs: tuple[str, ...] = LANGS) -> list[Path]:
    """Write notebooks/<name>.ipynb and notebooks/zh/<name>.ipynb from src/<name>.py, executed top to bottom."""
    nb, outs = parse(src.read_text()), []
    for lang in languages(nb):
        if lang not in langs:
            continue
        ed, where = edition(nb, lang), folder(HERE, lang)
        where.mkdir(exist_ok=True)
        out = where / f"{src.stem}.ipynb"
        if execute_nb:
            execute(ed, where, timeout, str(out.relative_to(HERE)))
        outs.append(write(ed, out))
    return outs


# ---- the exercises: a student version with the answers stubbed, and the solutions -------------------------

def is_solution(cell) -> bool:
    """An answer cell: a code cell whose first line is `# SOLUTION`."""
    return cell.cell_type == "code" and cell.source.split("\n", 1)[0].strip() == SOLUTION


def stub(source: str) -> str:
    """The student's version of an answer cell: signatures and targets kept, answers removed."""
    body = source.split("\n", 1)[1] if "\n" in source else ""
    lines = body.splitlines()
    out = [YOUR_CODE]
    for node in ast.parse(body).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0]
            if first.lineno == node.lineno:
                raise ValueError(f"put the body of `{node.name}` on its own lines, below the def")
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            keep = lines[start - 1:first.lineno - 1]  # decorators and the (possibly wrapped) def line
            if ast.get_docstring(node) is not None:
                keep += lines[first.lineno - 1:first.end_lineno]
            out += [*keep, " " * first.col_offset + STUB, ""]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = " = ".join(ast.get_source_segment(body, t) for t in targets)
            out.append(f"{names} = ...  # your answer")
    return "\n".join(out).rstrip("\n")


def check_cell(ex: Exercise) -> str:
    """The check cell of an exercise: its checker called on its answers, as the grader calls it."""
    return f'check("{ex.id}", {", ".join(ex.answer_names)})'


def add_exercises(nb: nbformat.NotebookNode, table: dict[str, Exercise], lang: str = "en") -> None:
    """Number and title (in `lang`) each `## EXERCISE <id>` heading from `table`, and add a check cell after its
    answer cell."""
    order, seen, cells = list(table), [], []
    current = None  # the exercise whose answer cell is still to come
    for cell in nb.cells:
        cells.append(cell)
        m = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if m:
            if m[1] not in table:
                raise ValueError(f"`## EXERCISE {m[1]}`: no such exercise in the table; it has {', '.join(order)}")
            if current:
                raise ValueError(f"exercise {current!r} has no `{SOLUTION}` cell before `## EXERCISE {m[1]}`")
            current = m[1]
            seen.append(current)
            title = exercise_title(table[current], lang)
            cell.source = HEADING.sub(f"## {order.index(current) + 1}. {title}", cell.source, count=1)
        elif is_solution(cell):
            if current is None:
                why = f"exercise {seen[-1]!r} has one already" if seen else "no `## EXERCISE <id>` heading before it"
                raise ValueError(f"a second `{SOLUTION}` cell, or one outside an exercise: {why}")
            cells.append(nbformat.v4.new_code_cell(check_cell(table[current])))
            current = None
    if current:
        raise ValueError(f"exercise {current!r} has no `{SOLUTION}` cell")
    if seen != order:
        raise ValueError(f"the source's exercises are {seen}; the table's are {order}, in that order: add, remove or "
                         "move a `## EXERCISE <id>` heading")
    nb.cells = cells


def exercise_notebooks(src: Path = EXERCISES_DIR / "src" / "solutions.py", table: dict[str, Exercise] = EXERCISES,
                       lang: str = "en") -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """(student, solutions) notebooks of the `lang` edition from the exercises' source and the table of
    exercises, neither executed."""
    solutions = edition(parse(src.read_text()), lang)
    add_exercises(solutions, table, lang)
    student = copy.deepcopy(solutions)
    for cell in student.cells:
        if is_solution(cell):
            cell.source = stub(cell.source)
    return student, solutions


def build_exercises(execute_nb: bool = True, timeout: int = 120, langs: tuple[str, ...] = LANGS) -> list[Path]:
    """Write exercises/student.ipynb (unexecuted) and exercises/solutions.ipynb (executed), and the same under
    exercises/zh/ when the source has a Chinese edition."""
    outs = []
    for lang in languages(parse((EXERCISES_DIR / "src" / "solutions.py").read_text())):
        if lang not in langs:
            continue
        student, solutions = exercise_notebooks(lang=lang)
        where = folder(EXERCISES_DIR, lang)
        where.mkdir(exist_ok=True)
        if execute_nb:
            execute(solutions, where, timeout, str((where / "solutions.ipynb").relative_to(HERE)))
        outs += [write(student, where / "student.ipynb"), write(solutions, where / "solutions.ipynb")]
    return outs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*",
                   help="prefixes of the lesson notebooks to build (default: all), or `exercises`")
    p.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    p.add_argument("--timeout", type=int, help="seconds per cell (default: 900 for lessons, 120 for exercises)")
    p.add_argument("--lang", choices=LANGS, action="append",
                   help="build only this edition (repeatable; default: every edition a source holds)")
    p.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                   help="re-run check: execute the named lesson notebooks once per seed (COURSE_LIB_SEED), "
                        "writing nothing; any failing cell fails the check")
    p.add_argument("--keep", type=Path, metavar="DIR",
                   help="with --seeds: save each executed run in DIR (as <name>.seed<N>.ipynb) to read its outputs")
    a = p.parse_args()
    exercises = "exercises" in a.names
    names = [n for n in a.names if n != "exercises"]
    srcs = srcs_all = sorted((HERE / "src").glob("*.py"))
    if names:
        srcs = [s for s in srcs if any(s.stem.startswith(n) for n in names)]
        if not srcs:
            sys.exit(f"no notebook sources matched {names}; expected prefixes of {[s.stem for s in srcs_all]}"
                     " or `exercises`")
    elif exercises:
        srcs = []  # `build.py exercises` alone builds only the exercises
    if a.seeds:
        for s in srcs:
            rerun(s, a.seeds, timeout=a.timeout or 900, keep=a.keep)
        return
    langs = tuple(a.lang or LANGS)
    for s in srcs:
        build(s, execute_nb=not a.no_execute, timeout=a.timeout or 900, langs=langs)
    if exercises:
        paths = build_exercises(execute_nb=not a.no_execute, timeout=a.timeout or 120, langs=langs)
        print("wrote " + " and ".join(str(p.relative_to(HERE.parent)) for p in paths))


if __name__ == "__main__":
    main()

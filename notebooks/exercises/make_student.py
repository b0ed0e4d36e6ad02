"""Write the two exercise notebooks from src/solutions.py: the student version (answers stubbed) and the solutions.

    python notebooks/exercises/make_student.py               # student.ipynb + solutions.ipynb (executed)
    python notebooks/exercises/make_student.py --no-execute  # both, without running the solutions

A code cell whose first line is `# SOLUTION` holds an answer. In the student version it becomes a
`# YOUR CODE` cell that keeps each function's `def` line and docstring, with the body replaced by
`raise NotImplementedError("your code here")`, and each assignment's target, set to `...`. Every
other line of an answer cell is dropped; every other cell is copied unchanged.
"""
from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from build import parse  # noqa: E402  (notebooks/build.py: the percent format of every lesson notebook)

SOLUTION = "# SOLUTION"
YOUR_CODE = "# YOUR CODE"
STUB = 'raise NotImplementedError("your code here")'


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


def notebooks(src: Path = HERE / "src" / "solutions.py") -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """(student, solutions) notebooks from the percent-format source, neither executed."""
    solutions = parse(src.read_text())
    student = parse(src.read_text())
    for cell in student.cells:
        if is_solution(cell):
            cell.source = stub(cell.source)
    return student, solutions


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-execute", action="store_true", help="write the solutions without running them")
    p.add_argument("--timeout", type=int, default=120, help="seconds per cell when executing the solutions")
    a = p.parse_args()
    student, solutions = notebooks()
    nbformat.write(student, HERE / "student.ipynb")
    if not a.no_execute:
        t = time.perf_counter()
        NotebookClient(solutions, timeout=a.timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        print(f"solutions.ipynb: executed in {time.perf_counter() - t:.0f} s", flush=True)
    for c in solutions.cells:  # no per-run metadata: small diffs
        c.metadata.pop("execution", None)
    nbformat.write(solutions, HERE / "solutions.ipynb")
    print(f"wrote {HERE / 'student.ipynb'} and {HERE / 'solutions.ipynb'}")


if __name__ == "__main__":
    main()

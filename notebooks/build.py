"""Build the lesson notebooks from their plain-text sources in notebooks/src/, then execute them in place.

    python notebooks/build.py                 # all notebooks
    python notebooks/build.py 03              # those whose name starts with 03
    python notebooks/build.py --no-execute    # write only (outputs empty)

A source is a Python file split into cells by `# %%` lines; `# %% [markdown]` starts a Markdown cell
whose lines are comments (`# ` stripped). The executed .ipynb files are committed so readers and nbval
see the results; editing happens in src/, never in the .ipynb.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def parse(src: str) -> nbformat.NotebookNode:
    """Split a percent-format script into notebook cells."""
    nb = nbformat.v4.new_notebook()
    kind, lines = None, []

    def flush():
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            text = "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in text.splitlines())
            nb.cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text:
            nb.cells.append(nbformat.v4.new_code_cell(text))

    for line in src.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    flush()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build(src: Path, execute: bool = True, timeout: int = 900) -> Path:
    """Write notebooks/<name>.ipynb from src/<name>.py, executed top to bottom."""
    nb = parse(src.read_text())
    out = HERE / f"{src.stem}.ipynb"
    if execute:
        t = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        print(f"{out.name}: executed in {time.perf_counter() - t:.0f} s", flush=True)
    for c in nb.cells:  # keep diffs and file sizes small: no per-run metadata
        c.metadata.pop("execution", None)
    nbformat.write(nb, out)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("names", nargs="*", help="prefixes of the notebooks to build (default: all)")
    p.add_argument("--no-execute", action="store_true")
    a = p.parse_args()
    srcs = sorted((HERE / "src").glob("*.py"))
    if a.names:
        srcs = [s for s in srcs if any(s.stem.startswith(n) for n in a.names)]
    if not srcs:
        sys.exit("no notebook sources matched")
    for s in srcs:
        build(s, execute=not a.no_execute)


if __name__ == "__main__":
    main()

"""The committed notebooks: built from src/, executed, small, with a figure or table wherever one is drawn."""
import json
import re
from pathlib import Path

import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
ZH_NOTEBOOKS = sorted((NB_DIR / "zh").glob("[0-9][0-9]_*.ipynb"))  # the Chinese edition, from the same sources
BOTH = NOTEBOOKS + ZH_NOTEBOOKS


def label(p: Path) -> str:
    return str(p.relative_to(NB_DIR).with_suffix(""))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_all_three_lesson_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01_dogs_vs_cats", "02_dog_breeds", "03_lr_schedules"], names


@pytest.mark.parametrize("path", BOTH, ids=label)
def test_committed_executed_small_and_clean(path):
    assert path.stat().st_size < 2 * 1024 * 1024, f"{path.name} is over 2 MB"
    nb = json.loads(path.read_text())
    cells = code_cells(nb)
    counts = [c["execution_count"] for c in cells]
    assert all(isinstance(n, int) for n in counts), f"{path.name}: unexecuted cells"
    assert counts == sorted(counts), f"{path.name}: not executed top to bottom"
    errors = [i for i, c in enumerate(cells) if any(o["output_type"] == "error" for o in c["outputs"])]
    assert not errors, f"{path.name}: error outputs in code cells {errors}"


# the start of an absolute path on the machines notebooks are built on (a URL's host part is not one)
ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:home|root|work|tmp|Users|mnt|var|opt|srv)/")
COMMITTED = BOTH + sorted((NB_DIR / "exercises").glob("**/*.ipynb"))


@pytest.mark.parametrize("path", COMMITTED, ids=label)
def test_outputs_name_no_absolute_path_of_the_build_machine(path):
    nb = json.loads(path.read_text())
    for i, c in enumerate(code_cells(nb)):
        for o in c["outputs"]:
            text = "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
            text += "".join(o.get("data", {}).get("text/html", ""))
            m = ABSOLUTE.search(text)
            assert m is None, f"{path.name}, code cell {i}: absolute path in an output: {text[m.start():][:80]!r}"


@pytest.mark.parametrize("path", BOTH, ids=label)
def test_plots_have_images_and_tables_have_html(path):
    nb = json.loads(path.read_text())
    for i, c in enumerate(code_cells(nb)):
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        kinds = {k for o in c["outputs"] for k in o.get("data", {})}
        if "plt.show()" in src and "NBVAL_IGNORE_OUTPUT" not in src:
            assert "image/png" in kinds, f"{path.name} cell {i} draws a plot but has no image/png output"
        last = src.strip().splitlines()[-1] if src.strip() else ""
        if last.startswith(("pd.DataFrame(", "summary", "label_df.head()")) or ".iloc[" in last:
            assert "text/html" in kinds, f"{path.name} cell {i} shows a table but has no text/html output"
        if "learn.fit(" in src:
            assert "text/html" in kinds or any(o.get("name") == "stdout" for o in c["outputs"]), \
                f"{path.name} cell {i}: fit without its epoch table"


def test_no_trailing_semicolon_plots():
    for path in sorted((NB_DIR / "src").glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            assert not (line.rstrip().endswith(";") and ("plt." in line or "ax" in line)), f"{path.name}:{n}"


@pytest.mark.parametrize("path", BOTH, ids=label)
def test_notebook_matches_its_source(path, script):
    build = script("notebooks", "build")
    src = NB_DIR / "src" / f"{path.stem}.py"
    lang = "zh" if path.parent.name == "zh" else "en"
    expected = [(c.cell_type, c.source) for c in build.edition(build.parse(src.read_text()), lang).cells]
    nb = json.loads(path.read_text())
    actual = [(c["cell_type"], c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
              for c in nb["cells"]]
    assert actual == expected, f"{label(path)} is out of date: run python notebooks/build.py {path.stem[:2]}"


def test_build_reads_jupytext_percent_format(script):
    """Markdown comments lose their `# `, commented magics come back as magics, metadata stays minimal."""
    parse = script("notebooks", "build").parse
    nb = parse("# %% [markdown]\n# # Title\n#\n# text\n\n# %%\n# %matplotlib inline\nx = 1\n\n\n# %%\ny = 2\n")
    assert [(c.cell_type, c.source) for c in nb.cells] == [
        ("markdown", "# Title\n\ntext"), ("code", "%matplotlib inline\nx = 1"), ("code", "y = 2")]
    assert set(nb.metadata) == {"kernelspec", "language_info"} and all(not c.metadata for c in nb.cells)


def test_exercise_source_is_valid_python():
    import ast
    ast.parse((NB_DIR / "exercises" / "src" / "solutions.py").read_text())


def test_progress_bars_obey_tqdm_disable_in_notebooks_too(monkeypatch):
    import tqdm.auto
    import tqdm.notebook
    from course_lib.progress import progress_bar
    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.notebook.tqdm)  # what tqdm.auto is inside a Jupyter kernel
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert tqdm.notebook.tqdm(total=3, disable=None).disable is False  # the widget bar alone ignores it
    assert progress_bar(total=3).disable is True
    monkeypatch.delenv("TQDM_DISABLE")
    assert progress_bar(range(3), disable=True).disable is True


BAR = re.compile(r"\d+%\|")  # tqdm's text bar: "  0%|          | 0/39"


@pytest.mark.parametrize("path", COMMITTED, ids=label)
def test_no_committed_output_shows_a_progress_bar(path):
    """A saved bar shows the state it was last drawn in (often 0%), which reads as unfinished on GitHub and in
    HTML exports; the build switches them off, and no widget state of a bar may be stored either."""
    nb = json.loads(path.read_text())
    for i, c in enumerate(code_cells(nb)):
        for o in c["outputs"]:
            text = "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
            assert not BAR.search(text), f"{path.name}, code cell {i}: a progress bar in an output: {text[:80]!r}"
            assert "application/vnd.jupyter.widget-view+json" not in o.get("data", {}) or \
                "NBVAL_IGNORE_OUTPUT" in "".join(c["source"]), f"{path.name}, code cell {i}: a widget view"
    state = json.dumps(nb.get("metadata", {}).get("widgets", {}))
    assert "FloatProgressModel" not in state, f"{path.name}: a progress bar's widget state is stored"

"""The exercises in Chinese: every checker and grader text has a Chinese twin with the same fields, each exercise a
Chinese title and lesson step; the one language switch turns the checkers' feedback, the lr reasons and the
grader's words Chinese, and the machine-read lines stay as they are."""
import json
import re
import string
import unicodedata
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib.classroom import exercises as ex
from course_lib.classroom.grade import Graded, main, table
from course_lib.classroom.messages import EN, TEXTS
from course_lib.classroom.messages_zh import ZH
from course_lib.lang import set_language

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
EX_DIR = NB_DIR / "exercises"
CJK = re.compile(r"[\u4e00-\u9fff]")


from test_exercise_table import build  # noqa: E402  (notebooks/build.py, loaded once)



def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def english_words(s: str) -> str | None:
    """A run of three English words outside code spans, quotes, fields and code-like tokens (as test_editions)."""
    t = re.sub(r"\{[^}]*\}|`[^`]*`|'[^']*'|\"[^\"]*\"|“[^”]*”", " ", s)
    t = re.sub(r"\S*[_/\\.\d=()\[\]<>{}|+*]\S*", " ", t)
    m = re.search(r"\b[A-Za-z]{2,}\b(?:[ ,;:-]+\b[A-Za-z]{2,}\b){2,}", t)
    return m.group(0) if m else None


# ---- the catalog ----------------------------------------------------------------------------------------------

def test_chinese_is_registered_and_has_every_key_and_nothing_else():
    assert TEXTS["zh"] is ZH and TEXTS["en"] is EN
    own = {f"{e}.{what}" for e in ex.EXERCISES for what in ("title", "lesson_step")}
    assert set(ZH) - own == set(EN), (sorted(set(EN) - set(ZH)), sorted(set(ZH) - own - set(EN)))
    assert own <= set(ZH)


@pytest.mark.parametrize("key", sorted(EN))
def test_every_text_has_a_chinese_twin_with_the_same_fields(key):
    en, zh = EN[key], ZH[key]
    assert fields(en) == fields(zh), f"{key}: {sorted(fields(en))} vs {sorted(fields(zh))}"
    # the format specs travel with the fields: {got:.3g} stays {got:.3g}
    specs = lambda t: {(n, s, c) for _, n, s, c in string.Formatter().parse(t) if n}  # noqa: E731
    assert specs(en) == specs(zh) or key == "lr_run.wrong_reason", key  # there the quote marks replace !r
    if re.search(r"\b[a-z]{4,}\b", re.sub(r"\{[^}]*\}|`[^`]*`", "", en)):
        assert CJK.search(zh), f"{key}: the Chinese text has no Chinese: {zh!r}"
        assert english_words(zh) is None, f"{key}: English left in {zh!r}"
    for span in re.findall(r"`[^`]+`", en):  # code spans are kept as they are
        assert span in zh, f"{key}: {span} is missing from {zh!r}"


def _zh_sections() -> dict[str, str]:
    """Notebook name -> the Chinese Markdown of its source (its headings and bold paragraph starts)."""
    out = {}
    for src in sorted((NB_DIR / "src").glob("*.py")):
        cells = build.parse(src.read_text()).cells
        out[src.stem] = "\n".join(c.source for c in cells if c.metadata.get("lang") == "zh")
    return out


@pytest.mark.parametrize("exercise", list(ex.EXERCISES))
def test_each_exercise_has_a_chinese_title_and_lesson_step(exercise):
    e = ex.EXERCISES[exercise]
    title, step = ZH[f"{exercise}.title"], ZH[f"{exercise}.lesson_step"]
    assert CJK.search(title) and CJK.search(step)
    assert ex.exercise_title(e, "zh") == title and ex.exercise_title(e, "en") == e.title
    assert ex.exercise_step(e, "zh") == step and ex.exercise_step(e, "en") == e.lesson_step
    # the same notebook and section numbers as the English step, and the sections it quotes are the Chinese
    # notebook's own (compared without the width of the punctuation: ( and （ are one)
    notebook = e.lesson_step.split(",")[0]
    assert step.startswith(notebook + " ")
    assert re.findall(r"section (\d+)", e.lesson_step) == re.findall(r"第 (\d+) 节", step)
    md = unicodedata.normalize("NFKC", _zh_sections()[notebook])
    for number, name in re.findall(r"(?:第 (\d+) 节)?“([^”]+)”", step):
        name = unicodedata.normalize("NFKC", name)
        assert (f"## {number}. {name}" if number else name) in md, (exercise, number, name)


# ---- the checkers, the reasons, the notebooks -----------------------------------------------------------------

WRONG = [  # one typical mistake per exercise: (exercise, answers)
    ("sgdr", (lambda it, n_batch, cycle_len, cycle_mult: 1.0,)),
    ("lr_find", (5.0,)),
    ("diff_lrs", (np.array([1e-2 / 9, 1e-2 / 3, 1e-2]), np.array([1e-4, 1e-3, 1e-2]))),
    ("tta", (lambda lp: lp.mean(0),)),
    ("log_loss", (lambda y, p: float(-np.log(p[np.arange(len(y)), y]).mean()),)),
    ("submission", (lambda probs, fnames, classes: __import__("pandas").DataFrame(  # the ids as the index
        probs, columns=classes, index=[f.split("/")[-1].rsplit(".", 1)[0] for f in fnames]),)),
    ("lr_run", (1e-2, "a", *ex.lr_find_record())),
    ("fit_verdict", ("overfitting", "overfitting", None, None)),
    ("tta_noise", (0, 0, 0.0, True, None, None)),
]


def _answers(exercise, answers):
    if exercise == "fit_verdict":
        import pandas as pd
        h = pd.DataFrame({"epoch": [0, 1], "trn_loss": [1.36, 1.1], "val_loss": [0.81, 0.78]})
        return answers[:2] + (h, h)
    if exercise == "tta_noise":
        rng = np.random.default_rng(0)
        lp = np.log(rng.dirichlet([1, 1], size=(5, 40)))
        return answers[:4] + (lp, np.arange(40) % 2)
    return answers


@pytest.mark.parametrize("exercise, answers", WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_answer_gets_chinese_feedback_and_the_chinese_lesson_step(chosen, exercise, answers, capsys):
    answers = _answers(exercise, answers)
    en = ex.check(exercise, *answers, quiet=True)
    set_language("zh")
    r = ex.check(exercise, *answers)
    assert not r.passed and not en.passed
    assert CJK.search(r.message) and CJK.search(r.hint), r
    assert english_words(r.message) is None and english_words(r.hint) is None, r
    if en.hint.endswith(ex.EXERCISES[exercise].lesson_step):  # a hint that points to the lesson: its Chinese section
        assert r.hint.endswith(ZH[f"{exercise}.lesson_step"]), r.hint
    out = capsys.readouterr().out
    assert out.startswith(f"[{exercise}] 还没通过：") and "\n  提示：" in out
    assert f"EXERCISE {exercise} FAIL " in out  # the grader's line keeps its format, the hint in it is Chinese


def test_a_chinese_hint_names_the_chinese_section(chosen):
    set_language("zh")
    r = ex.check("tta", lambda lp: lp.mean(0), quiet=True)
    assert r.message.startswith("你对对数概率取了平均")
    assert r.hint == "先把对数概率变回概率，再取平均；见 01_dogs_vs_cats 第 5 节“第 4 步：测试数据修饰”"
    assert r.marker() == f"EXERCISE tta FAIL {r.hint}"
    assert str(ex.check("lr_find", 1e-2, quiet=True)).startswith("[lr_find] 通过：")


def test_the_chinese_verdicts_gloss_the_english_answer_words(chosen):
    """The pass message of exercise 8 names the word the student typed, glossed with the glossary's term (the
    notebook's own gloss for "neither"), and joins the runs with a Chinese mark, no stray spaces."""
    import pandas as pd
    under = pd.DataFrame({"trn_loss": [1.36, 1.1], "val_loss": [0.81, 0.78]})
    over = pd.DataFrame({"trn_loss": [1.3, 0.8, 0.5, 0.3, 0.2], "val_loss": [0.9, 0.85, 1.0, 1.3, 1.5]})
    fine = pd.DataFrame({"trn_loss": [1.0, 0.7, 0.6], "val_loss": [0.8, 0.7, 0.68]})
    set_language("zh")
    r = ex.check_fit_verdict("underfitting", "overfitting", under, over, quiet=True)
    assert r.passed and r.message.startswith("运行 A 为“underfitting”（欠拟合）、运行 B 为“overfitting”（过拟合），"), r
    assert " 和 " not in r.message and "” " not in r.message
    r = ex.check_fit_verdict("neither", "overfitting", fine, over, quiet=True)
    assert r.passed and r.message.startswith("运行 A 为“neither”（都不是）、"), r
    glossary = (NB_DIR / "zh" / "术语表.md").read_text()
    for word, zh in (("underfitting", "欠拟合"), ("overfitting", "过拟合")):
        assert f"| {word} | {zh} |" in glossary
    md = "\n".join(c.source for c in build.exercise_notebooks(lang="zh")[1].cells if c.cell_type == "markdown")
    for word, zh in (("underfitting", "欠拟合"), ("overfitting", "过拟合"), ("neither", "都不是")):
        assert f'`"{word}"`（{zh}）' in md  # the gloss the exercise itself gives
    assert ex.listed([1, 2, 3]) == "1、2、3" and ZH["common.and"].strip() == ZH["common.and"]


def test_lr_reasons_follow_the_language(chosen):
    en = ex.lr_reasons()
    assert list(en) == list("abcd") and en["b"].startswith("the loss is still falling clearly")
    assert ex.LR_REASONS == en  # the old name, read when used
    set_language("zh")
    zh = ex.lr_reasons()
    assert list(zh) == list("abcd") and all(CJK.search(v) for v in zh.values())
    assert ex.LR_REASONS == zh and ex.lr_reasons("en") == en
    r = ex.check_lr_run(1e-2, "a", *ex.lr_find_record(), quiet=True)  # the checker quotes the reason in Chinese
    assert zh["a"] in r.message


def test_the_summary_is_chinese(chosen, capsys, monkeypatch):
    monkeypatch.setattr(ex, "_results", {})
    set_language("zh")
    ex.check("lr_find", 1e-2, quiet=True)
    ex.summary()
    assert capsys.readouterr().out.startswith(f"{len(ex.EXERCISES)} 道练习中通过了 1 道；还要做：sgdr, ")


def test_the_chinese_exercise_notebooks(chosen):
    student, solutions = build.exercise_notebooks(lang="zh")
    heads = [c.source.splitlines()[0] for c in solutions.cells if c.cell_type == "markdown"]
    for n, e in enumerate(ex.EXERCISES.values(), 1):
        assert f"## {n}. {ZH[e.id + '.title']}" in heads
    md = [c.source for c in solutions.cells if c.cell_type == "markdown"]
    assert all(CJK.search(s) for s in md) and "[术语表](../../zh/术语表.md)" in md[0]
    assert 'set_language("zh")' in next(c.source for c in solutions.cells if c.cell_type == "code")
    en = build.exercise_notebooks(lang="en")[1]
    assert [c.source for c in en.cells if c.cell_type == "code"] == \
        [c.source.replace('set_language("zh")', 'set_language("en")') for c in solutions.cells
         if c.cell_type == "code"]
    assert (NB_DIR / "zh" / "术语表.md").is_file()


def test_committed_chinese_notebooks_are_in_step_with_the_source():
    from course_lib.classroom.grade import markers
    student, solutions = build.exercise_notebooks(lang="zh")
    for nb, name in ((student, "student"), (solutions, "solutions")):
        committed = json.loads((EX_DIR / "zh" / f"{name}.ipynb").read_text())
        assert ["".join(c["source"]) for c in committed["cells"]] == [c.source for c in nb.cells], \
            f"exercises/zh/{name}.ipynb is stale: run python notebooks/build.py exercises"
    committed = nbformat.read(EX_DIR / "zh" / "solutions.ipynb", as_version=4)
    assert markers(committed) == {e: ("PASS", "") for e in ex.EXERCISES}
    out = "".join(o.get("text", "") for c in committed.cells if c.cell_type == "code" for o in c.outputs)
    assert "[sgdr] 通过：" in out and f"{len(ex.EXERCISES)} 道练习中通过了 {len(ex.EXERCISES)} 道" in out


# ---- the grader -----------------------------------------------------------------------------------------------

def _width_ok(lines: list[str]) -> bool:
    """Every row of the table as wide on screen as its header (Chinese characters count two)."""
    from course_lib.classroom.grade import width
    return len({width(line) for line in lines}) == 1


def test_grade_table_words_in_chinese(chosen):
    g = Graded(Path("ann.ipynb"), "ann", status="timeout", detail="单元格 3 运行 60 秒后仍未结束",
               results={"sgdr": ("PASS", ""), "tta": ("FAIL", "先取指数")})
    en = table([g]).splitlines()
    assert en[0].split() == ["exercise", "ann"] and ["notebook", "timeout"] in [l.split() for l in en]
    set_language("zh")
    lines = table([g]).splitlines()
    rows = [l.split() for l in lines]
    assert rows[0] == ["练习", "ann"] and rows[2] == ["sgdr", "通过"] and ["tta", "未通过"] in rows
    assert ["通过数", f"1/{len(ex.EXERCISES)}"] in rows and ["笔记本", "超时"] in rows
    assert "ann：笔记本超时：单元格 3 运行 60 秒后仍未结束" in lines and "ann / tta：先取指数" in lines
    assert _width_ok(lines[:len(ex.EXERCISES) + 4])


def test_grader_cli_lang_zh_without_a_sandbox(chosen, tmp_path, capsys):
    bad = tmp_path / "eve.ipynb"
    bad.write_text("not json")
    assert main([str(bad), "--lang", "zh", "--csv", str(tmp_path / "out.csv")]) == 0
    out = capsys.readouterr()
    assert ["笔记本", "无法读取"] in [l.split() for l in out.out.splitlines()]
    assert f"已写入 {tmp_path / 'out.csv'}" in out.out and "eve：无法读取，通过 0 道" in out.err
    assert "unreadable" in (tmp_path / "out.csv").read_text()  # the CSV keeps its codes


def test_grader_lang_zh_prints_chinese_hints(chosen, tmp_path, capsys):
    """One small notebook, run in the sandbox and checked here: the hints come out in Chinese."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\nlr_pick = 5.0\naverage_tta = lambda lp: lp.mean(0)")])
    nbformat.write(nb, tmp_path / "bob.ipynb")
    assert main([str(tmp_path / "bob.ipynb"), "--lang", "zh", "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert "bob / lr_find：用这个学习速率训练会发散" in out
    assert "bob / tta：先把对数概率变回概率，再取平均；见 01_dogs_vs_cats 第 5 节" in out
    assert ["笔记本", "正常"] in [l.split() for l in out.splitlines()]
    assert "EXERCISE" not in out  # the table, not the notebook's lines

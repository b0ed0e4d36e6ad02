"""The Chinese edition: one source per notebook, the same code in both editions, Chinese words in the Chinese
one, and no sentence printed past the text tables (course_lib.lang)."""
import json
import re
from pathlib import Path

import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted((NB_DIR / "src").glob("*.py")) + [NB_DIR / "exercises" / "src" / "solutions.py"]
ZH = sorted((NB_DIR / "zh").glob("*.ipynb")) + sorted((NB_DIR / "exercises" / "zh").glob("*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")
MARKER = re.compile(r"^EXERCISE \S+ (PASS|FAIL)\b ?")


def english_edition(zh: Path) -> Path:
    return zh.parent.parent / zh.name


def source(nb) -> list[str]:
    return [c["source"] if isinstance(c["source"], str) else "".join(c["source"]) for c in nb["cells"]]


def data_names() -> set[str]:
    """The class names of the generated samples: data, printed as they are in both editions."""
    from course_lib.synthetic.drawing import BREEDS
    return {"cats", "dogs", *BREEDS}


def english_prose(line: str, names: frozenset = frozenset()) -> str | None:
    """Three English words in a row, once names, quoted text, numbers, paths and calls are set aside."""
    t = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", " ", line)
    t = " ".join(" " if w.strip(",;:()") in names else w for w in t.split(" "))
    t = re.sub(r"\S*[_/\\.\d=()\[\]<>{}|+*]\S*", " ", t)  # code-like tokens: snake_case, paths, 1e-3, fit(...)
    m = re.search(r"\b[A-Za-z]{2,}\b(?:[ ,;:-]+\b[A-Za-z]{2,}\b){2,}", t)
    return m.group(0) if m else None


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_every_english_markdown_cell_has_a_chinese_twin(src, script):
    cells = script("notebooks", "build").parse(src.read_text()).cells
    for i, c in enumerate(cells):
        if c.cell_type != "markdown":
            continue
        lang = c.metadata.get("lang", "en")
        if lang == "en":
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            assert nxt is not None and nxt.cell_type == "markdown" and nxt.metadata.get("lang") == "zh", \
                f"{src.name}: Markdown cell {i} ({c.source[:50]!r}) has no Chinese twin after it"
        else:
            prev = cells[i - 1]
            assert prev.cell_type == "markdown" and prev.metadata.get("lang", "en") == "en", \
                f"{src.name}: Chinese cell {i} does not follow an English one"
            assert CJK.search(c.source), f"{src.name}: Chinese cell {i} holds no Chinese: {c.source[:60]!r}"


def test_the_chinese_notebooks_are_all_there():
    names = {p.relative_to(NB_DIR).as_posix() for p in ZH}
    expected = {f"zh/{p.stem}.ipynb" for p in SOURCES[:-1]} | {"exercises/zh/student.ipynb",
                                                               "exercises/zh/solutions.ipynb"}
    assert names == expected


@pytest.mark.parametrize("zh", ZH, ids=lambda p: p.relative_to(NB_DIR).as_posix())
def test_both_editions_run_the_same_code(zh):
    en, cn = (json.loads(p.read_text()) for p in (english_edition(zh), zh))
    code = [[s for c, s in zip(nb["cells"], source(nb)) if c["cell_type"] == "code"] for nb in (en, cn)]
    assert len(code[0]) == len(code[1])
    for i, (a, b) in enumerate(zip(*code)):
        assert a.replace('set_language("en")', 'set_language("zh")') == b, f"code cell {i} differs"
    assert any('set_language("zh")' in s for s in code[1][:1]), "the first code cell must choose Chinese"


@pytest.mark.parametrize("zh", [p for p in ZH if p.name != "student.ipynb"], ids=lambda p: p.relative_to(NB_DIR).as_posix())
def test_the_chinese_edition_prints_chinese(zh):
    nb = json.loads(zh.read_text())
    names, printed = frozenset(data_names()), 0
    for i, c in enumerate(nb["cells"]):
        for o in c.get("outputs", []):
            if o.get("output_type") != "stream" or o.get("name") != "stdout":
                continue
            for line in "".join(o["text"]).splitlines():
                printed += 1
                line = MARKER.sub("", line)  # the grader's `EXERCISE <id> PASS|FAIL` lines are not for people
                hit = english_prose(line, names)
                assert hit is None, f"{zh.name}, cell {i}: printed past the text tables: {line[:100]!r} ({hit!r})"
    assert printed, f"{zh.name} printed nothing: the check above would pass by default"


def test_english_prose_finds_sentences_not_names():
    assert english_prose("the sweep ran 82 of 100 batches").startswith("the sweep ran")
    assert english_prose("数据:dogscats_sample(生成的图画)") is None
    assert english_prose("epoch      trn_loss    val_loss    accuracy") is None
    assert english_prose("网络结构:efficientnet_lite0,sz=128,bs=32,设备:cpu") is None
    assert english_prose("3. unfreeze, differential lrs, cycle_mult=2: 保留") == "unfreeze, differential lrs"
    assert english_prose("12 个类别(basset, beagle, boxer, chihuahua)", frozenset(data_names())) is None


def test_build_keeps_language_marks_and_switches_the_first_cell(script):
    build = script("notebooks", "build")
    nb = build.parse('# %% [markdown]\n# Hello\n\n# %% [markdown] lang="zh"\n# 你好\n\n'
                     '# %%\nfrom course_lib import *\nset_language("en")\n\n# %%\nx = 1\n')
    assert build.languages(nb) == ["en", "zh"]
    en, zh = build.edition(nb, "en"), build.edition(nb, "zh")
    assert [c.source for c in en.cells] == ["Hello", 'from course_lib import *\nset_language("en")', "x = 1"]
    assert [c.source for c in zh.cells] == ["你好", 'from course_lib import *\nset_language("zh")', "x = 1"]
    assert zh.cells[0].metadata == {"lang": "zh"} and not en.cells[0].metadata
    with pytest.raises(ValueError, match="only Markdown cells carry a language"):
        build.parse('# %% lang="zh"\nx = 1\n')
    with pytest.raises(ValueError, match="first code cell must call"):
        build.edition(build.parse('# %% [markdown] lang="zh"\n# 你好\n\n# %%\nx = 1\n'), "zh")


@pytest.mark.parametrize("zh", [p for p in ZH if p.parent.name == "zh" and p.parent.parent == NB_DIR],
                         ids=lambda p: p.stem)
def test_both_editions_print_the_same_figures(zh):
    """The language changes the words, not what is computed: every figure printed with three or more decimals
    (accuracies, losses, rates; not timings) is the same in both editions, cell by cell, in any word order."""
    def figures(nb):
        return [sorted(re.findall(r"-?\d+\.\d{3,}", "".join("".join(o.get("text", "")) for o in c["outputs"]
                                                            if o.get("output_type") == "stream")))
                for c in nb["cells"] if c["cell_type"] == "code"]
    en, cn = (figures(json.loads(p.read_text())) for p in (english_edition(zh), zh))
    assert sum(map(len, en)) >= 5, "too few figures printed for this check to mean anything"
    for i, (a, b) in enumerate(zip(en, cn)):
        assert a == b, f"{zh.stem}, code cell {i}: the editions printed different figures: {a} vs {b}"


HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,;:?!(]|[,;:?!)][\u4e00-\u9fff]")
CODE = re.compile(r"`[^`]*`|\{[^{}]*\}|\]\([^)]*\)|https?://\S+|\$[^$]*\$")


def half_width_marks(text: str) -> list[str]:
    """ASCII , ; : ? ! ( ) touching a Chinese character outside code spans, fields and links, with context."""
    t = CODE.sub("X", text)
    return [t[max(0, m.start() - 8):m.end() + 8] for m in HALF_WIDTH.finditer(t)]


def test_half_width_marks_are_found_outside_code():
    assert len(half_width_marks("准确率 0.950,比 `fit(lr, 3)` 好;")) == 2  # the comma and the semicolon
    assert half_width_marks("准确率 0.950，比 `fit(lr, 3)` 好；{acc:.3f}") == []


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_chinese_markdown_uses_full_width_punctuation(src, script):
    """One style in the Chinese edition: the full-width marks of Chinese text (，：；（）), as in the glossary,
    the README and the checkers' messages; code, numbers and fields keep theirs."""
    for i, c in enumerate(script("notebooks", "build").parse(src.read_text()).cells):
        if c.cell_type == "markdown" and c.metadata.get("lang") == "zh":
            assert not half_width_marks(c.source), f"{src.name}, cell {i}: {half_width_marks(c.source)}"


def test_chinese_sentences_use_full_width_punctuation():
    from course_lib.lang import catalog
    bad = {k: half_width_marks(e["zh"]) for k, e in catalog().items() if half_width_marks(e.get("zh", ""))}
    assert not bad, bad


@pytest.mark.parametrize("doc", ["README.zh-CN.md", "notebooks/zh/术语表.md"])
def test_chinese_documents_use_full_width_punctuation(doc):
    text = (NB_DIR.parent / doc).read_text()
    assert not half_width_marks(text), half_width_marks(text)


def printed_lines(nb) -> list[tuple[int, str]]:
    """(cell index, line) of every stream output a committed notebook holds, stdout and stderr, less the grader's
    `EXERCISE <id> PASS|FAIL` prefix and less the lines with no Chinese outside code (tables, warnings, markers)."""
    out = []
    for i, c in enumerate(nb["cells"]):
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                out += [(i, MARKER.sub("", line)) for line in "".join(o["text"]).splitlines()]
    return [(i, line) for i, line in out if CJK.search(CODE.sub(" ", line))]


def test_printed_lines_keep_the_chinese_ones_whole():
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": ["epoch  trn_loss\n", "0  0.5\n",
                                                             "precompute=True:在缓存的激活值上训练,所以\n"]},
        {"output_type": "stream", "name": "stdout", "text": "EXERCISE tta FAIL 先取指数;见 01\n"}]}]}
    lines = printed_lines(nb)
    assert lines == [(0, "precompute=True:在缓存的激活值上训练,所以"), (0, "先取指数;见 01")]
    assert [len(half_width_marks(line)) for _, line in lines] == [2, 1]  # ':' and ',', then ';'


@pytest.mark.parametrize("zh", [p for p in ZH if p.name != "student.ipynb"], ids=lambda p: p.relative_to(NB_DIR).as_posix())
def test_chinese_outputs_use_full_width_punctuation(zh):
    """What the committed Chinese notebooks printed follows the style of their Markdown and the catalog: a notebook
    executed before a text was fixed still shows the old marks until it is rebuilt."""
    bad = [(i, line[:80], half_width_marks(line)) for i, line in printed_lines(json.loads(zh.read_text()))
           if half_width_marks(line)]
    assert not bad, f"{zh.relative_to(NB_DIR)}: rebuild it (python notebooks/build.py); {bad}"

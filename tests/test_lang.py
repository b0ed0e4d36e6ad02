"""The language switch and the text tables: every sentence in both languages, with the same fields."""
import re
import string

import numpy as np
import pytest

from course_lib import lang
from course_lib.classroom.exercises import EXERCISES
from course_lib.lang import catalog, language, say, set_language

CJK = re.compile(r"[\u4e00-\u9fff]")



def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(catalog()))
def test_every_sentence_has_both_languages_with_the_same_fields(key):
    entry = catalog()[key]
    if key.endswith((".title", ".lesson_step")) and key.split(".")[0] in EXERCISES:
        assert set(entry) == {"zh"}, key  # the English is the table of exercises' own (test_exercises_zh)
        return
    assert set(entry) == {"en", "zh"}, f"{key}: languages {sorted(entry)}"
    assert fields(entry["en"]) == fields(entry["zh"]), f"{key}: the two texts take different values"
    # an English word outside the fields (not "GPU", "±" or "sz={sz}") must come out Chinese
    words = re.sub(r"\{[^}]*\}", "", entry["en"])
    if re.search(r"\b[a-z]{4,}\b", words):
        assert CJK.search(entry["zh"]), f"{key}: the Chinese text has no Chinese: {entry['zh']!r}"


def test_switch_by_call_or_environment(chosen, monkeypatch):
    assert language() == "en"
    monkeypatch.setenv("COURSE_LIB_LANG", "zh")
    assert language() == "zh"
    set_language("en")
    assert language() == "en"  # an explicit choice wins over the environment
    with pytest.raises(ValueError, match="'fr' is not one of"):
        set_language("fr")
    monkeypatch.setenv("COURSE_LIB_LANG", "fr")
    lang._chosen = None
    assert language() == "en"  # an unknown value in the environment falls back to English


def test_say_fills_fields_and_names_a_missing_key(chosen):
    assert say("steps.helped", d=0.05, se=0.01) == "helped, by more than twice its standard error (+0.050 +- 0.010)"
    set_language("zh")
    assert say("steps.helped", d=0.05, se=0.01).startswith("有帮助")
    with pytest.raises(KeyError, match="no text 'nope'"):
        say("nope")


def test_the_switch_changes_words_not_figures(chosen):
    from course_lib.steps import Steps
    y = np.array([0, 1, 0, 1])
    s = Steps(y)
    s.add("a", np.log([[0.6, 0.4], [0.6, 0.4], [0.7, 0.3], [0.4, 0.6]]))
    s.add("b", np.log([[0.6, 0.4], [0.3, 0.7], [0.7, 0.3], [0.4, 0.6]]))
    en = s.shown()
    set_language("zh")
    zh = s.shown()
    assert en.values.tolist() == zh.values.tolist()  # the same figures
    assert list(zh.columns)[:3] == ["准确率", "±", "对数损失"] and zh.index.name == "步骤"
    assert all(CJK.search(v) for v in s.verdicts())
    assert s.table().columns[0] == "accuracy"  # the table code reads keeps its names


def test_speaking_sets_the_language_for_a_block_only(chosen):
    from course_lib.lang import speaking
    with speaking("zh"):
        assert language() == "zh"
    assert language() == "en"
    set_language("zh")
    with pytest.raises(RuntimeError), speaking("en"):
        assert language() == "en"
        raise RuntimeError("inside")
    assert language() == "zh"  # the earlier choice is back after an error too
    with speaking(None):
        assert language() == "zh"

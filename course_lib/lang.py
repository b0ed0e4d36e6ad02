"""One language switch for the sentences the notebooks and checkers print: English (default) or Chinese.

    set_language("zh")      # or COURSE_LIB_LANG=zh in the environment
    say("steps.kept", name=..., verdict=...)

Every sentence lives once, keyed by a dotted name, with one text per language: the notebooks' and the library's in
the tables of `course_lib/text/*.toml`, the exercise checkers' and the grader's in `course_lib/classroom/messages.py`
(one table a language there, as they are long). Both are read through `say` and the one switch; the code that
prints a sentence is shared by both editions. Library errors stay in English, as the ecosystem's do.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import tomllib
from importlib import resources

LANGUAGES = ("en", "zh")
# data files course_lib/text/<name>.toml, each a table a sentence, ["key"] with en = ... and zh = ...: the
# notebooks' and the library's sentences (data, not code: a translator edits them without touching Python)
TABLES = ("steps", "lesson", "learner", "nb01", "nb02", "nb03", "exercises", "cli")
# the exercise checkers' and the grader's sentences, TEXTS = {language: {key: text}}: long tables, one a language
CHECKERS = "course_lib.classroom.messages"

_chosen: str | None = None
_catalog: dict[str, dict[str, str]] | None = None


def set_language(code: str) -> None:
    """Choose the language of printed sentences for this process: 'en' or 'zh'."""
    global _chosen
    if code not in LANGUAGES:
        raise ValueError(f"language {code!r} is not one of {LANGUAGES}")
    _chosen = code


@contextlib.contextmanager
def speaking(code: str | None):
    """Print in `code` within the block (None: keep the current choice); the earlier choice comes back after it."""
    global _chosen
    before = _chosen
    if code is not None:
        set_language(code)
    try:
        yield
    finally:
        _chosen = before


def language() -> str:
    """The language chosen with set_language, else COURSE_LIB_LANG, else English."""
    if _chosen:
        return _chosen
    env = os.environ.get("COURSE_LIB_LANG", "").strip().lower()
    return env if env in LANGUAGES else "en"


def _merge(merged: dict[str, dict[str, str]], table: dict[str, dict[str, str]], where: str) -> None:
    clash = merged.keys() & table.keys()
    if clash:
        raise KeyError(f"text keys defined twice ({where}): {sorted(clash)}")
    merged.update(table)


def read_table(name: str) -> dict[str, dict[str, str]]:
    """One table of course_lib/text/: {key: {language: text}}."""
    with resources.files("course_lib.text").joinpath(f"{name}.toml").open("rb") as f:
        return tomllib.load(f)


def catalog() -> dict[str, dict[str, str]]:
    """Every sentence, by key: {key: {'en': text, 'zh': text}}, from all tables (loaded once)."""
    global _catalog
    if _catalog is None:
        merged: dict[str, dict[str, str]] = {}
        for name in TABLES:
            _merge(merged, read_table(name), f"course_lib/text/{name}.toml")
        by_key: dict[str, dict[str, str]] = {}
        for code, texts in importlib.import_module(CHECKERS).TEXTS.items():
            for key, t in texts.items():
                by_key.setdefault(key, {})[code] = t
        _merge(merged, by_key, CHECKERS)
        _catalog = merged
    return _catalog


def template(key: str, lang: str | None = None, default: str | None = None) -> str:
    """The unfilled text `key` in `lang` (default: the chosen language), else in English, else `default`."""
    code = lang or language()
    if code not in LANGUAGES:
        raise ValueError(f"no texts in language {code!r}; the catalog has {', '.join(map(repr, LANGUAGES))}")
    entry = catalog().get(key, {})
    found = entry.get(code) or entry.get("en") or default
    if found is None:
        raise KeyError(f"no text {key!r}; add it to a table in course_lib/text/*.toml (or, for the exercise checkers, "
                       f"to {CHECKERS})")
    return found


def say(key: str, /, lang: str | None = None, **values) -> str:
    """The sentence `key` in `lang` (default: the chosen language), filled with `values` (str.format fields, e.g.
    {acc:.3f}).

    A sentence with no text in that language falls back to English; the tests make sure none is missing.
    """
    return template(key, lang).format(**values)

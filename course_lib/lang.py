"""One language switch for the sentences the notebooks and checkers print: English (default) or Chinese.

    set_language("zh")      # or COURSE_LIB_LANG=zh in the environment
    say("steps.kept", name=..., verdict=...)

Every sentence lives once, in a table of `course_lib/text/` keyed by a dotted name, with one text per language;
the code that prints it is shared by both editions. Library errors stay in English, as the ecosystem's do.
"""
from __future__ import annotations

import importlib
import os

LANGUAGES = ("en", "zh")
# modules of course_lib.text, each with a TEXT dict
TABLES = ("steps", "lesson", "learner", "nb01", "nb02", "nb03", "exercises")

_chosen: str | None = None
_catalog: dict[str, dict[str, str]] | None = None


def set_language(code: str) -> None:
    """Choose the language of printed sentences for this process: 'en' or 'zh'."""
    global _chosen
    if code not in LANGUAGES:
        raise ValueError(f"language {code!r} is not one of {LANGUAGES}")
    _chosen = code


def language() -> str:
    """The language chosen with set_language, else COURSE_LIB_LANG, else English."""
    if _chosen:
        return _chosen
    env = os.environ.get("COURSE_LIB_LANG", "").strip().lower()
    return env if env in LANGUAGES else "en"


def catalog() -> dict[str, dict[str, str]]:
    """Every sentence, by key: {key: {'en': text, 'zh': text}}, from all tables (loaded once)."""
    global _catalog
    if _catalog is None:
        merged: dict[str, dict[str, str]] = {}
        for name in TABLES:
            table = importlib.import_module(f"course_lib.text.{name}").TEXT
            clash = merged.keys() & table.keys()
            if clash:
                raise KeyError(f"text keys defined twice: {sorted(clash)}")
            merged.update(table)
        _catalog = merged
    return _catalog


def say(key: str, /, **values) -> str:
    """The sentence `key` in the chosen language, filled with `values` (str.format fields, e.g. {acc:.3f}).

    A sentence with no text in the chosen language falls back to English; the tests make sure none is missing.
    """
    entry = catalog().get(key)
    if entry is None:
        raise KeyError(f"no text {key!r}; add it to a table in course_lib/text/")
    return (entry.get(language()) or entry["en"]).format(**values)


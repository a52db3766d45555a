"""The daily report's words: the console's gettext catalogues, read outside a request.

One set of catalogues (console/translations, `make translations`) speaks for the
console and for the e-mail. The console reads them through Flask-Babel in a request;
the scheduler sends mail with no request and no app, so here Babel's own
support.Translations loads the same compiled .mo files (what Flask-Babel does inside).
A campaign's `report_language` is one of its caller languages (cmn, yue, en); the
catalogues are per written language (zh, en).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

CATALOGUES = Path(__file__).resolve().parent.parent / "console" / "translations"
LOCALES = ("zh", "en")
# Spoken language (campaign file) → written language (catalogue): Mandarin and
# Cantonese callers' managers read Chinese; Simplified is the catalogue there is.
LOCALE_OF = {"cmn": "zh", "yue": "zh", "en": "en"}


def locale_of(language: str) -> str:
    """The catalogue a campaign language is written in ("zh" when none fits)."""
    return LOCALE_OF.get(language, language if language in LOCALES else "zh")


@cache
def _translations(locale: str) -> NullTranslations:
    return Translations.load(str(CATALOGUES), [locale])


def words(locale: str) -> Words:
    return Words(locale)


class Words:
    """The messages of one catalogue: `words("zh")("rep_calls")`."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else "zh"

    def __call__(self, key: str, **values: Any) -> str:
        text = _translations(self.locale).gettext(key)
        return text % values if values else text

"""The console's languages, Chinese (Simplified) and English, through Flask-Babel.

The words are gettext catalogues, console/translations/<zh|en>/LC_MESSAGES/messages.po
(compiled to .mo by `make translations`). Their message ids are short keys
("nav_calls", "fu_new"); both catalogues translate every one, which a test checks.
Category and subject labels are not here: they come from each campaign file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_babel import Babel, gettext, ngettext

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
TRANSLATIONS = Path(__file__).parent / "translations"


def init_babel(app: Flask) -> None:
    """Flask-Babel for the console: the language is the one the request chose."""
    Babel(app, locale_selector=lambda: g.get("lang", DEFAULT_LANGUAGE),
          default_translation_directories=str(TRANSLATIONS), configure_jinja=False)


def translate(key: str | None, default: str | None = None, **values: Any) -> str:
    """The message `key` in this request's language; `default` (else the key itself)
    when no catalogue has it."""
    if key is None:
        return ""
    text = gettext(key, **values)
    if text == key and default is not None:
        return default
    return text


def translate_plural(key: str, key_plural: str, count: int, **values: Any) -> str:
    """The message for `count` things (`%(num)d` in it), in this request's language's
    plural form: Chinese has one form, English two."""
    return ngettext(key, key_plural, count, **values)


def choose_language(asked: str | None, cookie: str | None, accepted: str | None) -> str:
    """The query string's choice, else the remembered one, else the browser's."""
    for candidate in (asked, cookie, accepted):
        if candidate is not None and candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE

"""The console's gettext catalogues: every message in both languages, none left fuzzy,
and the compiled catalogues the console loads say what the .po files say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from console.i18n import LANGUAGES, TRANSLATIONS


def _catalogue(language: str, suffix: str):  # type: ignore[no-untyped-def]
    path = Path(TRANSLATIONS, language, "LC_MESSAGES", f"messages.{suffix}")
    with path.open("rb") as stream:
        return read_po(stream) if suffix == "po" else read_mo(stream)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    catalogue = _catalogue(language, "po")
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 200
    assert [m.id for m in messages if not m.string] == []
    assert [m.id for m in messages if m.fuzzy] == []
    assert not catalogue.obsolete


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    source = {m.id: m.string for m in _catalogue(language, "po") if m.id}
    compiled = {m.id: m.string for m in _catalogue(language, "mo") if m.id}
    assert compiled == source


def test_both_languages_have_the_same_messages() -> None:
    zh, en = ({m.id for m in _catalogue(code, "po") if m.id} for code in ("zh", "en"))
    assert zh == en


def test_a_placeholder_in_one_language_is_in_the_other() -> None:
    zh = {m.id: m.string for m in _catalogue("zh", "po") if m.id}
    en = {m.id: m.string for m in _catalogue("en", "po") if m.id}
    for key, text in zh.items():
        assert sorted(_placeholders(text)) == sorted(_placeholders(en[key])), key


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)s", text)

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


def _texts(catalogue) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """Message id → its forms (one, or a plural message's several), whatever the file."""
    def forms(value) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
        return tuple(value) if isinstance(value, (tuple, list)) else (value,)

    return {forms(m.id)[0]: forms(m.string) for m in catalogue if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    assert _texts(_catalogue(language, "mo")) == _texts(_catalogue(language, "po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_form_is_written(language: str) -> None:
    plurals = {key: forms for key, forms in _texts(_catalogue(language, "po")).items()
               if len(forms) > 1 or key.endswith(("_days", "_hours", "_minutes"))}
    assert plurals, "the due clocks and ages are plural-aware"
    assert [key for key, forms in plurals.items() if not all(forms)] == []


def test_both_languages_have_the_same_messages() -> None:
    zh, en = ({m.id for m in _catalogue(code, "po") if m.id} for code in ("zh", "en"))
    assert zh == en


def test_a_placeholder_in_one_language_is_in_the_other() -> None:
    # A plural message's singular may leave its count out ("this report"), so the
    # placeholders of all its forms are compared together.
    zh, en = _texts(_catalogue("zh", "po")), _texts(_catalogue("en", "po"))
    for key, forms in zh.items():
        assert _all_placeholders(forms) == _all_placeholders(en[key]), key


def _all_placeholders(forms: tuple[str, ...]) -> set[str]:
    return {name for text in forms for name in _placeholders(text)}


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)[sd]", text)

"""Twilio's text-to-speech voices, read once from `voices.toml` beside this module.

Each voice speaks one language, and `<Say>` is always given that language, so a
voice and its language can never disagree (Twilio's warning 13511).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_FILE = Path(__file__).with_name("voices.toml")

# The languages a line can speak: ivr/prompts/ holds the prompts of each.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("cmn", "yue", "en")

# The voice each of our languages uses unless the campaign names another: a neural voice
# wherever Twilio has one (Polly's Zhiyu and Hiujin, Amy for British English).
DEFAULT_VOICES: Mapping[str, str] = {
    "cmn": "Polly.Zhiyu-Neural",
    "yue": "Polly.Hiujin-Neural",
    "en": "Polly.Amy-Neural",
}

# Which Twilio language codes a voice may have to speak one of our languages.
LANGUAGE_PREFIX: Mapping[str, str] = {"cmn": "cmn-", "yue": "yue-", "en": "en-"}


@dataclass(frozen=True)
class Voice:
    name: str
    language: str  # the <Say language=…> value this voice speaks
    kind: str      # standard | neural | wavenet | neural2


@cache
def catalogue() -> Mapping[str, Voice]:
    with open(_FILE, "rb") as handle:
        data = tomllib.load(handle)
    return {name: Voice(name, entry["language"], entry["kind"])
            for name, entry in data["voices"].items()}


def say_language(voice: str) -> str:
    """The language `<Say>` must carry with `voice` (a voice of the catalogue)."""
    return catalogue()[voice].language


def voice_problem(language: str, voice: str) -> str | None:
    """Why `voice` cannot speak `language` (one of ours), or None when it can."""
    found = catalogue().get(voice)
    if found is None:
        return (f"{voice!r} is not a Twilio voice (see campaign/voices.toml), e.g. "
                f"{DEFAULT_VOICES[language]}")
    if not found.language.startswith(LANGUAGE_PREFIX[language]):
        return (f"{voice} speaks {found.language}, not {language}; e.g. "
                f"{DEFAULT_VOICES[language]}")
    return None

"""The means of checking a campaign table: a checker that collects every problem instead
of stopping at the first, and the readers of values that several fields share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from campaign.model import CAMPAIGN_ID, MAX_ID_LENGTH, MENU_KEYS, Problem

HH_MM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


class Checker:
    """Reads one campaign table, collecting problems instead of stopping at the first."""

    def __init__(self, file: str, data: Mapping[str, Any]) -> None:
        self.file = file
        self.data = data
        self.problems: list[Problem] = []

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(Problem(self.file, name, reason))

    def get(self, name: str, kind: type | tuple[type, ...], *, required: bool) -> Any:
        if name not in self.data:
            if required:
                self.fail(name, "is required")
            return None
        value = self.data[name]
        # TOML booleans are ints to isinstance(); never accept one where a number is meant.
        if isinstance(value, bool) and bool not in _as_tuple(kind):
            self.fail(name, f"must be {_kind_name(kind)}, not a boolean")
            return None
        if not isinstance(value, kind):
            self.fail(name, f"must be {_kind_name(kind)}, not {type(value).__name__}")
            return None
        # TOML date-times are dates to isinstance(); a time of day here would be ignored.
        if isinstance(value, datetime) and datetime not in _as_tuple(kind):
            self.fail(name, "must be a date (YYYY-MM-DD) without a time of day")
            return None
        return value

    def whole_number(self, name: str, low: int, high: int) -> int | None:
        """An optional whole number in [low, high]; None when absent or wrong."""
        value: int | None = self.get(name, int, required=False)
        if value is not None and not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}")
            return None
        return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "a whole number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
        date: "a date (YYYY-MM-DD, unquoted)",
    }
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def parse_hh_mm(text: str) -> time | None:
    """'08:30' -> time(8, 30); '24:00' -> None (midnight at the end of the day)."""
    match = HH_MM.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24:
        if minute:
            raise ValueError(f"{text!r} is past the end of the day")
        return None
    return time(hour, minute)


def localized(check: Checker, name: str, languages: tuple[str, ...], *, required: bool
               ) -> dict[str, str]:
    """A text that is either one string for every language or a table by language."""
    value = check.get(name, (str, dict), required=required)
    if value is None:
        return {}
    if isinstance(value, str):
        if not value.strip():
            check.fail(name, "must not be empty")
        return {lang: value for lang in languages}
    texts: dict[str, str] = {}
    for lang in languages:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            check.fail(f"{name}.{lang}", "is required for every language in `languages`")
        else:
            texts[lang] = text
    for extra in sorted(set(value) - set(languages)):
        check.fail(f"{name}.{extra}", "names a language that is not in `languages`")
    return texts


def menu_entries(check: Checker, name: str, languages: tuple[str, ...], *,
                  required: bool) -> list[tuple[str, str, Mapping[str, str], Mapping[str, Any]]]:
    entries = check.get(name, list, required=required)
    if entries is None:
        return []
    if required and not entries:
        check.fail(name, "needs at least one entry")
    if len(entries) > len(MENU_KEYS):
        check.fail(name, f"has {len(entries)} entries; at most {len(MENU_KEYS)} fit on the keypad")
    result: list[tuple[str, str, Mapping[str, str], Mapping[str, Any]]] = []
    seen_keys: set[str] = set()
    seen_ids: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{name}[{index}]"
        if not isinstance(entry, dict):
            check.fail(where, "must be a table ([[" + name + "]])")
            continue
        sub = Checker(check.file, entry)
        key = sub.get("key", str, required=True)
        if key is not None:
            if key not in MENU_KEYS:
                sub.fail("key", f"must be one of {', '.join(MENU_KEYS)} "
                         "(9, 0, * and # are reserved)")
            elif key in seen_keys:
                sub.fail("key", f"{key!r} is used twice")
            seen_keys.add(key)
        entry_id = sub.get("id", str, required=True)
        if entry_id is not None:
            if not CAMPAIGN_ID.match(entry_id) or len(entry_id) > MAX_ID_LENGTH:
                sub.fail("id", f"must be lowercase letters, digits and '-', at most "
                               f"{MAX_ID_LENGTH} characters")
            elif entry_id in seen_ids:
                sub.fail("id", f"{entry_id!r} is used twice")
            seen_ids.add(entry_id)
        label = localized(sub, "label", languages, required=True)
        for problem in sub.problems:
            check.fail(f"{where}.{problem.field}", problem.reason)
        if key is not None and entry_id is not None:
            result.append((key, entry_id, label, entry))
    return result

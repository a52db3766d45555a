"""Campaign files: reading and validating them into `Campaign`s (campaign/model.py).

Every problem found in a file is reported with the file, the field and what is
wrong, so that an administrator can fix them all in one go. Each group of fields
has its own checker; `parse_campaign` runs them in the file's reading order.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaign import routing
from campaign.checks import Checker, localized, menu_entries, parse_hh_mm
from campaign.model import (
    CAMPAIGN_ID,
    DEFAULT_ACKNOWLEDGE_DAYS,
    DEFAULT_FEEDBACK_DAYS,
    DEFAULT_MAX_MESSAGE_SECONDS,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_RING_SECONDS,
    MAX_ID_LENGTH,
    RECORDINGS_KEPT,
    VOICE_DISGUISES,
    Campaign,
    CampaignError,
    Campaigns,
    Category,
    Problem,
    Subject,
)
from campaign.voices import DEFAULT_VOICES, SUPPORTED_LANGUAGES, voice_problem

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _identity(check: Checker) -> dict[str, Any]:
    campaign_id = check.get("id", str, required=True)
    if campaign_id is not None and (not CAMPAIGN_ID.match(campaign_id)
                                    or len(campaign_id) > MAX_ID_LENGTH):
        check.fail("id", f"must be lowercase letters, digits and '-' (e.g. gz-2023), at most "
                         f"{MAX_ID_LENGTH} characters")
    name = check.get("name", str, required=False) or campaign_id or ""
    return {"id": campaign_id, "name": name}


def _numbers(check: Checker) -> dict[str, Any]:
    numbers = check.get("numbers", list, required=True) or []
    if "numbers" in check.data and not numbers:
        check.fail("numbers", "needs at least one number")
    for index, number in enumerate(numbers):
        problem = (routing.address_problem(number) if isinstance(number, str)
                   else f"{number!r} is not an E.164 number or a SIP address (a string)")
        if problem:
            check.fail(f"numbers[{index}]", problem)
    numbers = [routing.sip_address(number) or number for number in numbers
               if isinstance(number, str)]
    if len(set(numbers)) != len(numbers):
        check.fail("numbers", "lists a number twice")
    return {"numbers": tuple(numbers)}


def _timezone(check: Checker) -> dict[str, Any]:
    zone_name = check.get("timezone", str, required=True)
    try:
        return {"timezone": ZoneInfo(zone_name) if zone_name is not None else None}
    except (ZoneInfoNotFoundError, ValueError):
        check.fail("timezone", f"{zone_name!r} is not an IANA time zone like Asia/Shanghai")
        return {"timezone": None}


def _dates(check: Checker) -> dict[str, Any]:
    opens = check.get("opens", date, required=False)
    closes = check.get("closes", date, required=True)
    if opens and closes and opens > closes:
        check.fail("opens", f"{opens} is after closes ({closes})")
    return {"opens": opens, "closes": closes}


def _hours(check: Checker) -> dict[str, Any]:
    hours: tuple[time, time | None] | None = None
    raw_hours = check.get("hours", list, required=True)
    if raw_hours is not None:
        if len(raw_hours) != 2 or not all(isinstance(h, str) for h in raw_hours):
            check.fail("hours", 'must be two times, like ["08:30", "17:30"]')
        else:
            try:
                start, end = parse_hh_mm(raw_hours[0]), parse_hh_mm(raw_hours[1])
                if start is None:
                    check.fail("hours", "the start cannot be 24:00")
                elif end is not None and end <= start:
                    check.fail("hours", f"end {raw_hours[1]} must be after start {raw_hours[0]}")
                else:
                    hours = (start, end)
            except ValueError as exc:
                check.fail("hours", str(exc))
    return {"hours": hours}


def _weekdays(check: Checker) -> dict[str, Any]:
    weekdays = frozenset(range(1, 8))
    raw_weekdays = check.get("weekdays", list, required=False)
    if raw_weekdays is not None:
        if not raw_weekdays:
            check.fail("weekdays", "needs at least one day (1 = Monday … 7 = Sunday)")
        elif not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7
                     for d in raw_weekdays):
            check.fail("weekdays", "must be ISO weekdays, 1 = Monday … 7 = Sunday")
        else:
            weekdays = frozenset(raw_weekdays)
    return {"weekdays": weekdays}


def _closed_on(check: Checker) -> dict[str, Any]:
    closed_on: frozenset[date] = frozenset()
    raw_closed = check.get("closed_on", list, required=False)
    if raw_closed is not None:
        if not all(isinstance(d, date) and not isinstance(d, datetime) for d in raw_closed):
            check.fail("closed_on", "must be a list of dates (YYYY-MM-DD, unquoted, no time)")
        else:
            closed_on = frozenset(raw_closed)
    return {"closed_on": closed_on}


def _languages(check: Checker) -> dict[str, Any]:
    languages: tuple[str, ...] = ()
    raw_languages = check.get("languages", list, required=True)
    if raw_languages is not None:
        if not raw_languages:
            check.fail("languages", "needs at least one language")
        unknown = [lang for lang in raw_languages if lang not in SUPPORTED_LANGUAGES]
        if unknown:
            check.fail("languages",
                       f"{unknown} not supported; use {', '.join(SUPPORTED_LANGUAGES)}")
        elif len(set(raw_languages)) != len(raw_languages):
            check.fail("languages", "lists a language twice")
        elif len(raw_languages) > 8:
            check.fail("languages", "at most 8 fit on the keypad")
        else:
            languages = tuple(raw_languages)
    return {"languages": languages}


def _operator_and_country(check: Checker) -> dict[str, Any]:
    operator = check.get("operator", str, required=False)
    if operator is not None and routing.parse_operator(operator) is None:
        check.fail("operator", f"{operator!r} is none of an E.164 number, a sip: URI "
                               "(sip:duty@pbx.example.org) or client:NAME")
    country = check.get("country", str, required=False)
    if country is not None and not routing.is_region(country):
        check.fail("country", f"{country!r} is not a two-letter region code like CN")
    return {"operator": operator, "country": country}


def _texts(check: Checker, languages: tuple[str, ...]) -> dict[str, Any]:
    return {"postal_address": localized(check, "postal_address", languages, required=False),
            "title": localized(check, "title", languages, required=False)}


def _daily_report(check: Checker, languages: tuple[str, ...]) -> dict[str, Any]:
    report_time = None
    raw_report_time = check.get("report_time", str, required=False)
    if raw_report_time is not None:
        try:
            report_time = parse_hh_mm(raw_report_time)
            if report_time is None:
                check.fail("report_time", "use 00:00 for midnight")
        except ValueError as exc:
            check.fail("report_time", str(exc))
    report_to = check.get("report_to", list, required=False) or []
    for index, address in enumerate(report_to):
        if not isinstance(address, str) or not EMAIL.match(address):
            check.fail(f"report_to[{index}]", f"{address!r} is not an e-mail address")
    report_language = check.get("report_language", str, required=False)
    if report_language is not None and languages and report_language not in languages:
        check.fail("report_language", f"{report_language!r} is not one of `languages` "
                   f"({', '.join(languages)})")
        report_language = None
    return {"report_time": report_time, "report_to": tuple(report_to),
            "report_language": report_language or (languages[0] if languages else None)}


def _durations(check: Checker) -> dict[str, Any]:
    max_seconds = check.whole_number("max_message_seconds", 10, 3600)
    ring_seconds = check.whole_number("ring_seconds", 5, 120)
    acknowledge_days = check.whole_number("acknowledge_days", 1, 365)
    feedback_days = check.whole_number("feedback_days", 1, 3650)
    if acknowledge_days and feedback_days and feedback_days < acknowledge_days:
        check.fail("feedback_days", "must not be shorter than acknowledge_days")
    return {"max_message_seconds": max_seconds or DEFAULT_MAX_MESSAGE_SECONDS,
            "ring_seconds": ring_seconds or DEFAULT_RING_SECONDS,
            "acknowledge_days": acknowledge_days or DEFAULT_ACKNOWLEDGE_DAYS,
            "feedback_days": feedback_days or DEFAULT_FEEDBACK_DAYS}


def _voices(check: Checker, languages: tuple[str, ...]) -> dict[str, Any]:
    voices = dict(DEFAULT_VOICES)
    raw_voices = check.get("voices", dict, required=False)
    if raw_voices is not None:
        for lang, voice in raw_voices.items():
            if lang not in languages:
                check.fail(f"voices.{lang}", "names a language that is not in `languages`")
            elif not isinstance(voice, str) or not voice.strip():
                check.fail(f"voices.{lang}", "must be a Twilio voice name like Polly.Zhiyu-Neural")
            elif (problem := voice_problem(lang, voice)) is not None:
                check.fail(f"voices.{lang}", problem)
            else:
                voices[lang] = voice
    return {"voices": voices}


def _menus(check: Checker, languages: tuple[str, ...]) -> dict[str, Any]:
    categories = tuple(Category(key, cid, label) for key, cid, label, _ in
                       menu_entries(check, "categories", languages, required=True))
    subjects = []
    for key, sid, label, entry in menu_entries(check, "subjects", languages, required=False):
        in_scope = entry.get("in_scope", True)
        if not isinstance(in_scope, bool):
            check.fail(f"subjects[{key}].in_scope", "must be true or false")
        subjects.append(Subject(key, sid, label, in_scope=bool(in_scope)))
    if subjects and not any(s.in_scope for s in subjects):
        check.fail("subjects", "at least one subject must be in scope")
    return {"categories": categories, "subjects": tuple(subjects)}


def _recording_policy(check: Checker) -> dict[str, Any]:
    """recordings, voice_disguise and retention_days (a disguise needs the audio here)."""
    kept = check.get("recordings", str, required=False)
    if kept is not None and kept not in RECORDINGS_KEPT:
        check.fail("recordings", f"{kept!r} must be one of {', '.join(RECORDINGS_KEPT)}")
    disguise = check.get("voice_disguise", str, required=False)
    if disguise is not None and disguise not in VOICE_DISGUISES:
        check.fail("voice_disguise", f"{disguise!r} must be one of {', '.join(VOICE_DISGUISES)}")
    elif kept == "twilio" and disguise not in (None, "off"):
        check.fail("voice_disguise", f"{disguise!r} needs recordings = \"local\" (the audio "
                   "must come home to be disguised); use \"off\" with recordings = \"twilio\"")
    retention = check.whole_number("retention_days", 0, 36500)
    return {"recordings": kept or "local",
            "voice_disguise": disguise or ("off" if kept == "twilio" else "playback"),
            "retention_days": DEFAULT_RETENTION_DAYS if retention is None else retention}


# Every field of the dataclass is a field of the file, but for where it was read from.
KNOWN_FIELDS = frozenset(f.name for f in fields(Campaign)) - {"source"}


def parse_campaign(data: Mapping[str, Any], file: str) -> Campaign:
    """Validate one campaign table; raise CampaignError listing every problem."""
    check = Checker(file, data)
    values: dict[str, Any] = {}
    # In the order an administrator reads the file, so that the problems are listed so.
    for checker in (_identity, _numbers, _timezone, _dates, _hours, _weekdays, _closed_on,
                    _languages, _operator_and_country):
        values.update(checker(check))
    languages = values["languages"]
    values.update(_texts(check, languages))
    values.update(_daily_report(check, languages))
    values.update(_durations(check))
    values.update(_voices(check, languages))
    values.update(_menus(check, languages))
    values.update(_recording_policy(check))
    for unknown_field in sorted(set(data) - KNOWN_FIELDS):
        check.fail(unknown_field, "is not a campaign field (a typo?)")

    if check.problems:
        raise CampaignError(check.problems)
    return Campaign(**values, source=file)


def load_campaign(path: str | Path) -> Campaign:
    """Read and validate one campaign file."""
    file = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise CampaignError([Problem(file, "(file)", "does not exist")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError([Problem(file, "(syntax)", f"not valid TOML: {exc}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError([Problem(file, "(file)", f"cannot be read: {exc}")]) from None
    return parse_campaign(data, file)


def load_campaigns(path: str | Path) -> Campaigns:
    """Load a campaign file, or every *.toml in a folder; all problems in one error."""
    root = Path(path)
    if root.is_dir():
        files = sorted(root.glob("*.toml"))
        if not files:
            raise CampaignError([Problem(str(root), "(folder)", "holds no *.toml campaign file")])
    else:
        files = [root]
    campaigns: list[Campaign] = []
    problems: list[Problem] = []
    for file in files:
        try:
            campaigns.append(load_campaign(file))
        except CampaignError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CampaignError(problems)
    return Campaigns.of(campaigns)

"""Campaign files: loading, validation and routing by dialled number.

A campaign is read once at start-up; every problem found in a file is
reported with the file, the field and what is wrong, so that an administrator
can fix them all in one go.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr import routing
from ivr.prompts import SUPPORTED_LANGUAGES
from ivr.voices import DEFAULT_VOICES, voice_problem

CAMPAIGN_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 40  # ids travel in step URLs and fill 64-character columns
HH_MM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MENU_KEYS = tuple("12345678")

DEFAULT_MAX_MESSAGE_SECONDS = 300
DEFAULT_RING_SECONDS = 20
DEFAULT_ACKNOWLEDGE_DAYS = 7
DEFAULT_FEEDBACK_DAYS = 90
RECORDINGS_KEPT = ("local", "twilio")  # where recordings are kept
VOICE_DISGUISES = ("off", "playback", "always")
DEFAULT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class Category:
    key: str
    id: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Subject:
    key: str
    id: str
    in_scope: bool
    label: Mapping[str, str]


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    numbers: tuple[str, ...]
    timezone: ZoneInfo
    closes: date
    hours: tuple[time, time | None]  # end None means midnight ("24:00")
    languages: tuple[str, ...]
    categories: tuple[Category, ...]
    opens: date | None = None
    weekdays: frozenset[int] = frozenset(range(1, 8))
    closed_on: frozenset[date] = frozenset()
    operator: str | None = None
    postal_address: Mapping[str, str] = field(default_factory=dict)
    title: Mapping[str, str] = field(default_factory=dict)
    report_time: time | None = None
    report_to: tuple[str, ...] = ()
    max_message_seconds: int = DEFAULT_MAX_MESSAGE_SECONDS
    ring_seconds: int = DEFAULT_RING_SECONDS
    acknowledge_days: int = DEFAULT_ACKNOWLEDGE_DAYS  # a report is acknowledged within …
    feedback_days: int = DEFAULT_FEEDBACK_DAYS        # … and the caller's feedback is due in
    subjects: tuple[Subject, ...] = ()
    voices: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_VOICES))
    # Recordings at rest (recordings/): where kept, whose voice operators hear, how long.
    recordings: str = "local"
    voice_disguise: str = "playback"
    retention_days: int = DEFAULT_RETENTION_DAYS
    source: str = ""
    country: str | None = None  # region for national numbers in SIP addresses

    @property
    def region(self) -> str | None:
        """Where national numbers are read: `country`, else its first E.164 number's region."""
        if self.country:
            return self.country
        return next((routing.region_of(n) for n in self.numbers if routing.is_e164(n)), None)

    @property
    def operator_dial(self) -> routing.Operator | None:
        return routing.parse_operator(self.operator) if self.operator else None

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def category_by_key(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def category_by_id(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def subject_by_key(self, key: str) -> Subject | None:
        return next((s for s in self.subjects if s.key == key), None)

    def subject_by_id(self, subject_id: str) -> Subject | None:
        return next((s for s in self.subjects if s.id == subject_id), None)

    @property
    def purge_on(self) -> date:
        """The local day the campaign's recordings and callers' data are purged: once
        `retention_days` full days have passed after `closes` (0: the day after)."""
        return self.closes + timedelta(days=self.retention_days + 1)

    @property
    def purge_at(self) -> datetime:
        """The moment of `purge_on` (local midnight), aware."""
        return datetime.combine(self.purge_on, time(0), tzinfo=self.timezone)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


class CampaignError(Exception):
    """One or more campaign files are wrong; `problems` lists every one."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _Checker:
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
        value = self.get(name, int, required=False)
        if value is not None and not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}")
            return None
        return value


def _recording_policy(check: _Checker) -> tuple[str, str, int]:
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
    return (kept or "local", disguise or ("off" if kept == "twilio" else "playback"),
            DEFAULT_RETENTION_DAYS if retention is None else retention)


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


def _parse_hh_mm(text: str) -> time | None:
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


def _localized(check: _Checker, name: str, languages: tuple[str, ...], *, required: bool
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


def _menu_entries(check: _Checker, name: str, languages: tuple[str, ...], *,
                  required: bool) -> list[tuple[str, str, Mapping[str, str], Mapping[str, Any]]]:
    entries = check.get(name, list, required=required)
    if entries is None:
        return []
    if required and not entries:
        check.fail(name, "needs at least one entry")
    if len(entries) > len(MENU_KEYS):
        check.fail(name, f"has {len(entries)} entries; at most {len(MENU_KEYS)} fit on the keypad")
    result = []
    seen_keys: set[str] = set()
    seen_ids: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{name}[{index}]"
        if not isinstance(entry, dict):
            check.fail(where, "must be a table ([[" + name + "]])")
            continue
        sub = _Checker(check.file, entry)
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
        label = _localized(sub, "label", languages, required=True)
        for problem in sub.problems:
            check.fail(f"{where}.{problem.field}", problem.reason)
        if key is not None and entry_id is not None:
            result.append((key, entry_id, label, entry))
    return result


def parse_campaign(data: Mapping[str, Any], file: str) -> Campaign:
    """Validate one campaign table; raise CampaignError listing every problem."""
    check = _Checker(file, data)

    campaign_id = check.get("id", str, required=True)
    if campaign_id is not None and (not CAMPAIGN_ID.match(campaign_id)
                                    or len(campaign_id) > MAX_ID_LENGTH):
        check.fail("id", f"must be lowercase letters, digits and '-' (e.g. gz-2023), at most "
                         f"{MAX_ID_LENGTH} characters")
    name = check.get("name", str, required=False) or campaign_id or ""

    numbers = check.get("numbers", list, required=True) or []
    if "numbers" in data and not numbers:
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

    zone = None
    zone_name = check.get("timezone", str, required=True)
    if zone_name is not None:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            check.fail("timezone", f"{zone_name!r} is not an IANA time zone like Asia/Shanghai")

    opens = check.get("opens", date, required=False)
    closes = check.get("closes", date, required=True)
    if opens and closes and opens > closes:
        check.fail("opens", f"{opens} is after closes ({closes})")

    hours: tuple[time, time | None] | None = None
    raw_hours = check.get("hours", list, required=True)
    if raw_hours is not None:
        if len(raw_hours) != 2 or not all(isinstance(h, str) for h in raw_hours):
            check.fail("hours", 'must be two times, like ["08:30", "17:30"]')
        else:
            try:
                start, end = _parse_hh_mm(raw_hours[0]), _parse_hh_mm(raw_hours[1])
                if start is None:
                    check.fail("hours", "the start cannot be 24:00")
                elif end is not None and end <= start:
                    check.fail("hours", f"end {raw_hours[1]} must be after start {raw_hours[0]}")
                else:
                    hours = (start, end)
            except ValueError as exc:
                check.fail("hours", str(exc))

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

    closed_on: frozenset[date] = frozenset()
    raw_closed = check.get("closed_on", list, required=False)
    if raw_closed is not None:
        if not all(isinstance(d, date) and not isinstance(d, datetime) for d in raw_closed):
            check.fail("closed_on", "must be a list of dates (YYYY-MM-DD, unquoted, no time)")
        else:
            closed_on = frozenset(raw_closed)

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

    operator = check.get("operator", str, required=False)
    if operator is not None and routing.parse_operator(operator) is None:
        check.fail("operator", f"{operator!r} is none of an E.164 number, a sip: URI "
                               "(sip:duty@pbx.example.org) or client:NAME")

    country = check.get("country", str, required=False)
    if country is not None and not routing.is_region(country):
        check.fail("country", f"{country!r} is not a two-letter region code like CN")

    postal_address = _localized(check, "postal_address", languages, required=False)
    title = _localized(check, "title", languages, required=False)

    report_time = None
    raw_report_time = check.get("report_time", str, required=False)
    if raw_report_time is not None:
        try:
            report_time = _parse_hh_mm(raw_report_time)
            if report_time is None:
                check.fail("report_time", "use 00:00 for midnight")
        except ValueError as exc:
            check.fail("report_time", str(exc))

    report_to = check.get("report_to", list, required=False) or []
    for index, address in enumerate(report_to):
        if not isinstance(address, str) or not EMAIL.match(address):
            check.fail(f"report_to[{index}]", f"{address!r} is not an e-mail address")

    max_seconds = check.whole_number("max_message_seconds", 10, 3600)
    ring_seconds = check.whole_number("ring_seconds", 5, 120)
    acknowledge_days = check.whole_number("acknowledge_days", 1, 365)
    feedback_days = check.whole_number("feedback_days", 1, 3650)
    if acknowledge_days and feedback_days and feedback_days < acknowledge_days:
        check.fail("feedback_days", "must not be shorter than acknowledge_days")

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

    categories = tuple(Category(key, cid, label) for key, cid, label, _ in
                       _menu_entries(check, "categories", languages, required=True))
    subjects = []
    for key, sid, label, entry in _menu_entries(check, "subjects", languages, required=False):
        in_scope = entry.get("in_scope", True)
        if not isinstance(in_scope, bool):
            check.fail(f"subjects[{key}].in_scope", "must be true or false")
        subjects.append(Subject(key, sid, bool(in_scope), label))
    if subjects and not any(s.in_scope for s in subjects):
        check.fail("subjects", "at least one subject must be in scope")

    known = {
        "id", "name", "numbers", "timezone", "opens", "closes", "hours", "weekdays",
        "closed_on", "languages", "operator", "postal_address", "title", "report_time",
        "report_to", "max_message_seconds", "ring_seconds", "voices", "categories", "subjects",
        "acknowledge_days", "feedback_days", "country",
    }
    known |= {"recordings", "voice_disguise", "retention_days"}
    recordings, voice_disguise, retention_days = _recording_policy(check)
    for unknown_field in sorted(set(data) - known):
        check.fail(unknown_field, "is not a campaign field (a typo?)")

    if check.problems:
        raise CampaignError(check.problems)
    assert zone is not None and closes is not None and hours is not None
    return Campaign(
        id=campaign_id, name=name, numbers=tuple(numbers), timezone=zone, opens=opens,
        closes=closes, hours=hours, weekdays=weekdays, closed_on=closed_on,
        languages=languages, operator=operator, postal_address=postal_address, title=title,
        report_time=report_time, report_to=tuple(report_to),
        max_message_seconds=max_seconds or DEFAULT_MAX_MESSAGE_SECONDS,
        ring_seconds=ring_seconds or DEFAULT_RING_SECONDS,
        acknowledge_days=acknowledge_days or DEFAULT_ACKNOWLEDGE_DAYS,
        feedback_days=feedback_days or DEFAULT_FEEDBACK_DAYS,
        categories=categories, subjects=tuple(subjects), voices=voices, source=file,
        recordings=recordings, voice_disguise=voice_disguise, retention_days=retention_days,
        country=country,
    )


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


@dataclass(frozen=True)
class Campaigns:
    """Every campaign of a deployment, routed by the number the caller dialled."""

    by_id: Mapping[str, Campaign]
    by_number: Mapping[str, Campaign]  # E.164 numbers and sip:user@host addresses

    def for_number(self, dialled: str) -> Campaign | None:
        return self.by_number.get(dialled)

    def route(self, *, to: str | None, forwarded_from: str | None = None) -> Route | None:
        """The campaign a call belongs to, and the line it came in on.

        `To` as E.164; else a SIP `To` by its address or by its user part read as a
        number in each campaign's own region; else `ForwardedFrom` (the published number
        a carrier forwarded to a Twilio number). None: the call is for no campaign.
        """
        to = (to or "").strip()
        for dialled in (to, forwarded_from or ""):
            campaign = self._match(dialled.strip())
            if campaign is not None:
                return Route(campaign, routing.line_number(to, campaign.region))
        return None

    def _match(self, dialled: str) -> Campaign | None:
        if not dialled:
            return None
        address = routing.sip_address(dialled)
        if address is not None:
            found = self.by_number.get(address)
            if found is not None:
                return found
            dialled = routing.sip_user(dialled) or ""
        if routing.is_e164(dialled):
            return self.by_number.get(dialled)
        for campaign in self:
            number = routing.to_e164(dialled, campaign.region)
            if number is not None and self.by_number.get(number) is campaign:
                return campaign
        number = routing.to_e164("+" + dialled, None) if dialled.isdigit() else None
        return self.by_number.get(number) if number else None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    @classmethod
    def of(cls, campaigns: Iterable[Campaign]) -> Campaigns:
        problems: list[Problem] = []
        by_id: dict[str, Campaign] = {}
        by_number: dict[str, Campaign] = {}
        for campaign in campaigns:
            if campaign.id in by_id:
                other = by_id[campaign.id].source
                problems.append(Problem(campaign.source, "id",
                                        f"{campaign.id!r} is also used by {other}"))
            by_id[campaign.id] = campaign
            for number in campaign.numbers:
                if number in by_number:
                    problems.append(Problem(
                        campaign.source, "numbers",
                        f"{number} is also a number of {by_number[number].source}"))
                by_number[number] = campaign
        if problems:
            raise CampaignError(problems)
        return cls(by_id=by_id, by_number=by_number)


@dataclass(frozen=True)
class Route:
    campaign: Campaign
    line: str | None  # the number the call came in on (E.164), when To names one


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

"""The campaign: one hotline's lines, calendar, menu and policies, as every part reads it.

A campaign is read once at start-up (campaign/loader.py) and never changes while
the process runs; the call flow, the webhooks, the console, the reports and the
jobs all take these frozen values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from campaign import routing
from campaign.voices import DEFAULT_VOICES

CAMPAIGN_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 40  # ids travel in step URLs and fill 64-character columns
MENU_KEYS = tuple("12345678")

DEFAULT_MAX_MESSAGE_SECONDS = 300
DEFAULT_RING_SECONDS = 20
DEFAULT_ACKNOWLEDGE_DAYS = 7
DEFAULT_FEEDBACK_DAYS = 90
RECORDINGS_KEPT = ("local", "twilio")  # where recordings are kept
VOICE_DISGUISES = ("off", "playback", "always")
DEFAULT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class MenuEntry:
    """One line of a keypad menu: the key, the id stored, the label in each language."""

    key: str
    id: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Category(MenuEntry):
    pass


@dataclass(frozen=True)
class Subject(MenuEntry):
    in_scope: bool = True  # False: a matter the line passes on (the caller is referred)


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
    report_language: str | None = None  # the daily report's; None: the first of `languages`
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

    def label(self, kind: str, item_id: str | None, language: str | None = None) -> str:
        """A category's or subject's label in `language`, else in the campaign's first
        language, else its id (an id no longer in the file is shown as it is)."""
        if not item_id:
            return ""
        item = (self.category_by_id(item_id) if kind == "category"
                else self.subject_by_id(item_id))
        if item is None:
            return item_id
        for code in (language, self.default_language):
            if code and code in item.label:
                return item.label[code]
        return next(iter(item.label.values()), item_id)

    @property
    def followup_ends(self) -> date:
        """The last local day a report's feedback can fall due: a report made on the
        closing day is answered within `feedback_days`. After it the campaign is wound up."""
        return self.closes + timedelta(days=self.feedback_days)

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

    def __iter__(self) -> Iterator[Campaign]:
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

"""The call list's query string: read into a CallFilter, and written back into links.

Dates are local days in the chosen campaign's zone (each campaign's own zone
when none is chosen), turned into UTC windows the same way the command-line
export does. The search box takes a report reference or a caller's number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import phonenumbers

from campaign.model import Campaigns
from campaign.routing import is_e164
from db.calllist import CallFilter, Cursor
from db.followup import FOLLOW_UPS
from db.outcomes import CallOutcome
from ivr.references import is_valid_reference
from reports.export import windows_for

FIELDS = ("campaign", "since", "until", "outcome", "category", "subject", "follow_up", "scope",
          "q", "mine")
SCOPES = {"in": True, "out": False}  # ?scope=out: the messages left after a referral
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR = re.compile(r"^(-?[0-9]{1,20})\.([0-9]{1,19})$")
MAX_ID = 2**63 - 1  # a BIGINT; larger ids cannot be bound to the query
# Dates outside these years are typing errors, and near date.min/max they overflow.
FIRST_YEAR, LAST_YEAR = 1900, 9000
SEARCH_PUNCTUATION = re.compile(r"[\s\-().]")


@dataclass
class ListRequest:
    filter: CallFilter
    values: dict[str, str]                 # what the form shows back
    errors: list[str] = field(default_factory=list)  # i18n keys

    def query(self, **changes: str | None) -> str:
        """The list's query string with `changes` applied (None removes a field).

        The search text itself never goes into a URL: the search id `s` stands for it.
        """
        merged = {**self.values, **changes}
        return urlencode({k: v for k, v in merged.items() if v and k != "q"})


def default_region(campaigns: Campaigns) -> str | None:
    """The region a caller's number is read in when typed without a country code."""
    for campaign in campaigns:
        region = campaign.region
        if region:
            return region
    return None


def area_codes(campaigns: Campaigns) -> tuple[str, ...]:
    """The campaigns' own area codes ('20' for 020-87756920): a local number typed
    without one (87756920) is most likely a caller from the line's own city."""
    codes: list[str] = []
    for campaign in campaigns:
        for number in campaign.numbers:
            if not is_e164(number):
                continue  # a SIP address has no area code
            parsed = phonenumbers.parse(number)
            length = phonenumbers.length_of_geographical_area_code(parsed)
            code = phonenumbers.national_significant_number(parsed)[:length]
            if length and code not in codes:
                codes.append(code)
    return tuple(codes)


@dataclass(frozen=True)
class Search:
    """What the search box may mean: a reference (valid check digit), caller numbers."""

    reference: str | None
    numbers: tuple[str, ...]


def normalise_search(text: str, region: str | None, local_area_codes: tuple[str, ...] = ()
                     ) -> Search | None:
    """The references and E.164 numbers `text` may stand for; None when neither."""
    # NFKC: full-width digits and plus signs typed on a Chinese keyboard are digits.
    compact = SEARCH_PUNCTUATION.sub("", unicodedata.normalize("NFKC", text))
    if not re.fullmatch(r"\+?[0-9]{1,20}", compact):
        return None
    reference = compact if is_valid_reference(compact) else None
    numbers: list[str] = []
    candidates = [(compact, None if compact.startswith("+") else region)]
    if region and not compact.startswith(("+", "0")):
        # A local number without its area code, read in each of the lines' areas.
        candidates += [("0" + code + compact, region) for code in local_area_codes]
    for candidate, in_region in candidates:
        try:
            parsed = phonenumbers.parse(candidate, in_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if number not in numbers:
                numbers.append(number)
    if reference is None and not numbers:
        return None
    return Search(reference, tuple(numbers))


def _date(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def parse(args: Mapping[str, str], campaigns: Campaigns, *, now: datetime,
          my_id: int | None = None, visible_campaigns: frozenset[str] | None = None
          ) -> ListRequest:
    """`visible_campaigns`: those the user may see (None: all); another is unknown."""
    values = {name: (args.get(name) or "").strip()[:64] for name in FIELDS}
    errors: list[str] = []
    campaign_id = values["campaign"] or None
    hidden = visible_campaigns is not None and campaign_id not in visible_campaigns
    if campaign_id and (campaign_id not in campaigns.by_id or hidden):
        errors.append("err_campaign")
        campaign_id, values["campaign"] = None, ""
    since = _date(values["since"]) if values["since"] else None
    until = _date(values["until"]) if values["until"] else None
    if (values["since"] and since is None) or (values["until"] and until is None):
        errors.append("err_date")
    if since and until and until < since:
        errors.append("err_date_order")
        until = None
    windows = windows_for(campaigns, since, until, campaign_id)
    outcome = values["outcome"] if values["outcome"] in {o.value for o in CallOutcome} else None
    follow_up = values["follow_up"] if values["follow_up"] in (
        {s.value for s in FOLLOW_UPS} | {"overdue"}) else None
    reference: str | None = None
    numbers: tuple[str, ...] = ()
    if values["q"]:
        found = normalise_search(values["q"], default_region(campaigns), area_codes(campaigns))
        if found is None:
            errors.append("err_search")
        else:
            reference, numbers = found.reference, found.numbers
    for name in ("category", "subject"):
        if values[name] and not values[name].isprintable():
            errors.append("err_bad_filter")
            values[name] = ""
    return ListRequest(
        filter=CallFilter(
            windows=windows, outcome=outcome, category=values["category"] or None,
            subject=values["subject"] or None, follow_up=follow_up,
            in_scope=SCOPES.get(values["scope"]),
            assignee_id=my_id if values["mine"] and my_id is not None else None,
            from_numbers=numbers, reference=reference, now=now,
            visible_campaigns=visible_campaigns),
        values=values, errors=errors)


def encode_cursor(cursor: Cursor | None) -> str | None:
    if cursor is None:
        return None
    moment, ident = cursor
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{ident}"


def decode_cursor(text: str | None) -> Cursor | None:
    match = CURSOR.match(text or "")
    if not match:
        return None
    ident = int(match.group(2))
    if ident > MAX_ID:
        return None
    try:
        moment = EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        return None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return moment, ident

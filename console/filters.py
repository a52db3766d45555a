"""The call list's query string: read into a CallFilter, and written back into links.

Dates are local days in the chosen campaign's zone (each campaign's own zone
when none is chosen), turned into UTC windows the same way the command-line
export does. The search box takes a report reference or a caller's number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import phonenumbers

from db.calllist import CallFilter, Cursor
from db.followup import FOLLOW_UPS
from db.outcomes import CallOutcome
from ivr.campaign import Campaigns
from reports.export import windows_for

FIELDS = ("campaign", "since", "until", "outcome", "category", "subject", "follow_up", "q",
          "mine")
REFERENCE = re.compile(r"^[1-9][0-9]{7}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR = re.compile(r"^(-?[0-9]{1,20})\.([0-9]{1,19})$")


@dataclass
class ListRequest:
    filter: CallFilter
    values: dict[str, str]                 # what the form shows back
    errors: list[str] = field(default_factory=list)  # i18n keys

    def query(self, **changes: str | None) -> str:
        """The list's query string with `changes` applied (None removes a field)."""
        merged = {**self.values, **changes}
        return urlencode({k: v for k, v in merged.items() if v})


def default_region(campaigns: Campaigns) -> str | None:
    """The region a caller's number is read in when typed without a country code."""
    for campaign in campaigns:
        for number in campaign.numbers:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
            if region:
                return region
    return None


def normalise_search(text: str, region: str | None) -> tuple[str, str] | None:
    """('reference', '48291733') or ('number', '+8613800138000'); None when neither."""
    compact = re.sub(r"[\s\-().]", "", text)
    if REFERENCE.match(compact):
        return "reference", compact
    try:
        parsed = phonenumbers.parse(compact, None if compact.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return "number", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse(args: Mapping[str, str], campaigns: Campaigns, *, now: datetime,
          my_id: int | None = None) -> ListRequest:
    values = {name: (args.get(name) or "").strip()[:64] for name in FIELDS}
    errors: list[str] = []
    campaign_id = values["campaign"] or None
    if campaign_id and campaign_id not in campaigns.by_id:
        errors.append("err_campaign")
        campaign_id = values["campaign"] = None  # type: ignore[assignment]
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
    reference = from_number = None
    if values["q"]:
        found = normalise_search(values["q"], default_region(campaigns))
        if found is None:
            errors.append("err_search")
        elif found[0] == "reference":
            reference = found[1]
        else:
            from_number = found[1]
    return ListRequest(
        filter=CallFilter(
            windows=windows, outcome=outcome, category=values["category"] or None,
            subject=values["subject"] or None, follow_up=follow_up,
            assignee_id=my_id if values["mine"] and my_id is not None else None,
            from_number=from_number, reference=reference, now=now),
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
    try:
        moment = EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        return None
    return moment, int(match.group(2))

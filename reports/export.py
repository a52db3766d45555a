"""The call log as JSON or CSV (`hotline export calls` and the console), times in each
campaign's zone."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from campaign.calendar import local_midnight
from campaign.model import Campaigns
from db.audit import mask_number
from db.models import Call
from db.queries import Window, iter_calls

UTC_ZONE = ZoneInfo("UTC")  # calls to no campaign are counted by UTC days

PHONE_NUMBER = re.compile(r"^\+[0-9]{4,15}$")
CSV_FIELDS = ("call_sid", "campaign", "from", "to", "started_at", "ended_at", "status",
              "duration_seconds", "language", "outcome", "categories", "references",
              "follow_ups")


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def call_record(call: Call, campaigns: Campaigns, *, masked: bool = False) -> dict[str, Any]:
    """One call as the export format of DESIGN.md describes it; `masked`: the caller's
    number as the console shows it (the console's exports never hold a whole number)."""
    campaign = campaigns.by_id.get(call.campaign_id or "")
    zone = campaign.timezone if campaign else ZoneInfo("UTC")
    return {
        "call_sid": call.call_sid,
        "campaign": call.campaign_id,
        "from": mask_number(call.from_number) if masked else call.from_number,
        "to": call.to_number,
        "started_at": _local(call.started_at, zone),
        "ended_at": _local(call.ended_at, zone),
        "status": call.status,
        "duration_seconds": call.duration_seconds,
        "language": call.language,
        "outcome": call.outcome,
        "reports": [{
            "category": report.category,
            "subject": report.subject,
            "reference": report.reference,
            "recording_sid": report.recording_sid,
            "recording_url": report.recording_url,
            "recording_seconds": report.recording_seconds,
            "follow_up": report.follow_up,
            "in_scope": report.in_scope,
            "additions": [{
                "recording_sid": addition.recording_sid,
                "recording_url": addition.recording_url,
                "recording_seconds": addition.recording_seconds,
                "at": _local(addition.at, zone),
            } for addition in report.additions if addition.recording_status == "completed"],
            "reply_heard_at": _local(report.reply_heard_at, zone),
        } for report in call.reports],
    }


def windows_for(campaigns: Campaigns, since: date | None, until: date | None,
                campaign_id: str | None) -> list[Window] | None:
    """Date bounds, in each campaign's local time, as UTC windows for the query."""
    if since is None and until is None and campaign_id is None:
        return None
    chosen = [campaigns.by_id[campaign_id]] if campaign_id else list(campaigns)
    windows = []
    after = _day_after(until)
    for campaign in chosen:
        zone = campaign.timezone
        windows.append(Window(campaign.id, _midnight(since, zone), _midnight(after, zone)))
    if campaign_id is None:
        # Calls to unknown numbers, and calls of campaigns no longer configured (whose
        # zone is unknown now): by UTC days.
        windows.append(Window(None, _midnight(since, UTC_ZONE), _midnight(after, UTC_ZONE),
                              others_than=tuple(c.id for c in campaigns)))
    return windows


def _day_after(day: date | None) -> date | None:
    # The last day there is has no end: the window is open.
    return day + timedelta(days=1) if day is not None and day < date.max else None


def _midnight(day: date | None, zone: ZoneInfo) -> datetime | None:
    """The start of `day` in `zone`, in UTC; None (no bound) when there is none, or when
    it falls outside what a datetime can hold (0001-01-01 east of UTC)."""
    if day is None:
        return None
    try:
        return local_midnight(day, zone)
    except OverflowError:
        return None


def export_records(session: Session, campaigns: Campaigns, since: date | None = None,
                   until: date | None = None, campaign_id: str | None = None
                   ) -> Iterator[dict[str, Any]]:
    for call in iter_calls(session, windows_for(campaigns, since, until, campaign_id)):
        yield call_record(call, campaigns)


def write_json(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """One JSON array, written call by call so memory stays flat."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_csv(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """One row per call; the reports' categories and references joined by ';'."""
    count = -1  # the header is not a call
    for line in csv_lines(records):
        out.write(line)
        count += 1
    return count


class _Line:
    """A file that keeps only the last line written (csv.writer writes one per row)."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


def csv_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The CSV export line by line (header first), for streaming it as it is read."""
    line = _Line()
    writer = csv.DictWriter(line, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    yield line.text
    for record in records:
        row = {name: record.get(name) for name in CSV_FIELDS[:10]}
        row["categories"] = ";".join(r["category"] or "" for r in record["reports"])
        row["references"] = ";".join(r["reference"] for r in record["reports"])
        # Each report's follow-up status, in the same order as the references.
        row["follow_ups"] = ";".join(r["follow_up"] for r in record["reports"])
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
        yield line.text


def _csv_safe(value: object) -> object:
    # A cell starting with = + - @ (or a tab or carriage return, which some programs skip
    # before such a sign) is run as a formula by spreadsheet programs; phone numbers
    # (+ and digits) are harmless and stay as they are.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") \
            and not PHONE_NUMBER.match(value):
        return "'" + value
    return "" if value is None else value

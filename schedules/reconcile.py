"""Reconciliation: what Twilio's callbacks should have told us and did not.

A call's final status callback can be lost (a network failure, the host down
past Twilio's retries). Every so often the scheduler asks Twilio's REST API for
the true status of calls still in progress long after they began, and applies
it exactly as the status callback would have, so the outcome (`reported`,
`abandoned` …) is right. Likewise a report whose recording status callback
never came is completed from the call's Recordings list.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial

import requests
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest import Client

from db import calllog
from db.outcomes import FINAL_STATUSES

log = logging.getLogger("hotline.schedules")

TWILIO_API = "https://api.twilio.com"
# No call on the line lasts this long: the in-progress ones older than this are suspect.
STALE_AFTER = timedelta(hours=4)
# A recording's status callback comes seconds after the message ends; after an hour it
# is not coming.
RECORDINGS_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class RemoteCall:
    status: str
    duration: int | None
    ended_at: datetime | None


class TwilioCalls:
    """Reads a call's status from Twilio's Calls resource with the account's credentials."""

    def __init__(self, account_sid: str, auth_token: str, *, api_base: str = TWILIO_API,
                 timeout: float = 10.0) -> None:
        self.account_sid = account_sid
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._client = Client(account_sid, auth_token)

    def fetch(self, call_sid: str) -> RemoteCall | None:
        """The call as Twilio knows it; None when Twilio has no such call."""
        url = f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Calls/{call_sid}.json"
        response = self._client.request("GET", url, timeout=self.timeout)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise LookupError(f"Twilio answered {response.status_code}")
        data = json.loads(response.text)
        duration = data.get("duration")
        end_time = data.get("end_time")
        return RemoteCall(
            status=str(data.get("status") or ""),
            duration=int(duration) if str(duration or "").isdigit() else None,
            ended_at=parsedate_to_datetime(end_time) if end_time else None,
        )

    def recordings(self, call_sid: str) -> list[RemoteRecording]:
        """The call's recordings (Calls/{CA}/Recordings.json), oldest first."""
        url = (f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Calls/{call_sid}"
               "/Recordings.json")
        response = self._client.request("GET", url, timeout=self.timeout)
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise LookupError(f"Twilio answered {response.status_code}")
        found = []
        for item in json.loads(response.text).get("recordings") or []:
            duration = str(item.get("duration") or "")
            created = item.get("date_created")
            found.append(RemoteRecording(
                sid=str(item.get("sid") or ""), status=str(item.get("status") or ""),
                duration=int(duration) if duration.isdigit() else None,
                created_at=parsedate_to_datetime(created) if created else None))
        return sorted(found, key=lambda r: (r.created_at is None, r.created_at or 0, r.sid))


@dataclass(frozen=True)
class RemoteRecording:
    sid: str
    status: str
    duration: int | None
    created_at: datetime | None


@dataclass
class Summary:
    checked: int = 0
    ended: int = 0
    still_live: int = 0
    unknown_to_twilio: int = 0
    failed: int = 0
    reports_checked: int = 0
    recordings_found: int = 0

    def __str__(self) -> str:
        return (f"{self.checked} unfinished call(s) checked: {self.ended} ended, "
                f"{self.still_live} still live, {self.unknown_to_twilio} unknown to Twilio, "
                f"{self.failed} could not be checked; {self.reports_checked} report(s) "
                f"without a confirmed recording checked: {self.recordings_found} completed")


def reconcile(sessions: sessionmaker[Session], fetch: Callable[[str], RemoteCall | None],
              now: datetime, *, stale_after: timedelta = STALE_AFTER,
              recordings: Callable[[str], list[RemoteRecording]] | None = None,
              recordings_after: timedelta = RECORDINGS_AFTER) -> Summary:
    """Ask Twilio about every call stuck in progress, and about reports whose recording
    was never confirmed; apply what it says."""
    summary = Summary()
    if recordings is not None:
        _reconcile_recordings(sessions, recordings, now - recordings_after, summary)
    with sessions() as session:
        stuck = calllog.unfinished_calls(session, now - stale_after)
    for key in stuck:
        summary.checked += 1
        try:
            remote = fetch(key.call_sid)
        except (requests.RequestException, LookupError, ValueError) as exc:
            summary.failed += 1
            log.warning("reconciliation: cannot fetch a call from Twilio: %s",
                        type(exc).__name__)
            continue
        if remote is None:
            summary.unknown_to_twilio += 1
            continue
        if remote.status not in FINAL_STATUSES:
            summary.still_live += 1
            continue
        with sessions.begin() as session:
            calllog.apply_status(session, key, at=remote.ended_at or now, status=remote.status,
                                 sequence=None, duration=remote.duration)
        summary.ended += 1
    return summary


def _reconcile_recordings(sessions: sessionmaker[Session],
                          recordings: Callable[[str], list[RemoteRecording]],
                          created_before: datetime, summary: Summary) -> None:
    """A report knows its recording's SID when the <Record> action gave it; otherwise the
    call's completed recordings not yet given to a report go to its reports in order."""
    with sessions() as session:
        awaiting = calllog.reports_awaiting_recording(session, created_before)
    by_call: dict[str, list[calllog.AwaitingRecording]] = {}
    for report in awaiting:
        by_call.setdefault(report.key.call_sid, []).append(report)
    for call_sid, reports in by_call.items():
        summary.reports_checked += len(reports)
        try:
            remote = [r for r in recordings(call_sid) if r.status == "completed"]
        except (requests.RequestException, LookupError, ValueError) as exc:
            summary.failed += 1
            log.warning("reconciliation: cannot list a call's recordings: %s",
                        type(exc).__name__)
            continue
        with sessions.begin() as session:
            taken = calllog.recording_sids_of(session, call_sid)
            by_sid = {r.sid: r for r in remote}
            unclaimed = [r for r in remote if r.sid not in taken]
            for report in sorted(reports, key=lambda r: r.number):
                found = (by_sid.get(report.recording_sid) if report.recording_sid
                         else (unclaimed.pop(0) if unclaimed else None))
                if found is None:
                    continue
                calllog.save_report(
                    session, report.key, at=report.created_at, number=report.number,
                    reference=report.reference, category=None, subject=None,
                    recording_sid=found.sid, recording_url=None,
                    recording_seconds=found.duration, recording_status="completed",
                    new_reference=partial(str, report.reference))
                summary.recordings_found += 1

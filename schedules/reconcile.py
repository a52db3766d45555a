"""Reconciliation: calls the log still shows as in progress long after they began.

A call's final status callback can be lost (a network failure, a database outage
answered with 503 that Twilio did not retry). Every so often the scheduler asks
Twilio's REST API for the true status of such calls and applies it exactly as the
status callback would have, so the outcome (`reported`, `abandoned` …) is right.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest import Client

from db import calllog
from db.outcomes import FINAL_STATUSES

log = logging.getLogger("hotline.schedules")

TWILIO_API = "https://api.twilio.com"
# No call on the line lasts this long: the in-progress ones older than this are suspect.
STALE_AFTER = timedelta(hours=4)


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


@dataclass
class Summary:
    checked: int = 0
    ended: int = 0
    still_live: int = 0
    unknown_to_twilio: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (f"{self.checked} unfinished call(s) checked: {self.ended} ended, "
                f"{self.still_live} still live, {self.unknown_to_twilio} unknown to Twilio, "
                f"{self.failed} could not be checked")


def reconcile(sessions: sessionmaker[Session], fetch: Callable[[str], RemoteCall | None],
              now: datetime, *, stale_after: timedelta = STALE_AFTER) -> Summary:
    """Ask Twilio about every call stuck in progress; apply what it says."""
    summary = Summary()
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

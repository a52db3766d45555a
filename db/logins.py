"""Sign-in throttling, counted in the database so every web process sees the same count.

After MAX_FAILURES failed sign-ins within WINDOW, for one account or from one
address, further attempts are refused (even with the right password) until the
oldest of those failures is older than WINDOW. A refused attempt is recorded
but not counted, so the lock lifts on time even while someone keeps trying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.console_models import LoginAttempt

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
OK, FAILED, THROTTLED = "ok", "failed", "throttled"


@dataclass(frozen=True)
class Throttle:
    """Whether sign-in is refused now, and when it will next be allowed."""

    refused: bool
    until: datetime | None = None


def _failures(session: Session, column: object, value: str, now: datetime) -> list[datetime]:
    query = (select(LoginAttempt.at)
             .where(column == value, LoginAttempt.result == FAILED,  # type: ignore[operator]
                    LoginAttempt.at > now - WINDOW)
             .order_by(LoginAttempt.at.desc()).limit(MAX_FAILURES))
    return list(session.scalars(query))


def check(session: Session, username: str, address: str, now: datetime) -> Throttle:
    until: datetime | None = None
    for column, value in ((LoginAttempt.username, username), (LoginAttempt.address, address)):
        recent = _failures(session, column, value, now)
        if len(recent) >= MAX_FAILURES:
            # The lock lifts when the oldest of the last MAX_FAILURES leaves the window.
            lifts = recent[-1] + WINDOW
            until = lifts if until is None else max(until, lifts)
    return Throttle(refused=until is not None, until=until)


def record_attempt(session: Session, username: str, address: str, now: datetime,
                   result: str) -> None:
    session.add(LoginAttempt(at=now, username=username[:64], address=address[:64],
                             result=result))
    session.flush()


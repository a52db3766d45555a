"""Sign-in throttling, counted in the database so every web process sees the same count.

After MAX_FAILURES failed sign-ins within WINDOW, for one account or from one
address, further attempts are refused (even with the right password) until the
oldest of those failures is older than WINDOW. A refused attempt is recorded
but not counted, so the lock lifts on time even while someone keeps trying.

Parallel attempts are serialised through the table itself: each attempt is first
committed as `pending` (begin_attempt), and only then are the failures and other
pending attempts counted (check). Of two attempts racing, the one that commits
second always sees the first, so no more than MAX_FAILURES passwords are ever
checked in a window, however many processes and threads try at once.

Unauthenticated junk is bounded: a refused attempt is written at most once per
window for its name or address, and attempts older than RETENTION are pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.user_models import LoginAttempt

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
RETENTION = timedelta(days=1)
OK, FAILED, THROTTLED, PENDING = "ok", "failed", "throttled", "pending"


@dataclass(frozen=True)
class Throttle:
    """Whether sign-in is refused now, and when it will next be allowed."""

    refused: bool
    until: datetime | None = None


def _failures(session: Session, column: InstrumentedAttribute[str], value: str, now: datetime,
              exclude: int | None) -> list[datetime]:
    # A pending attempt (another process is checking its password right now) counts as
    # a failure until it is known not to be one.
    query = (select(LoginAttempt.at)
             .where(column == value,
                    LoginAttempt.result.in_((FAILED, PENDING)),
                    LoginAttempt.at > now - WINDOW)
             .order_by(LoginAttempt.at.desc()).limit(MAX_FAILURES))
    if exclude is not None:
        query = query.where(LoginAttempt.id != exclude)
    return list(session.scalars(query))


def check(session: Session, username: str, address: str, now: datetime,
          exclude: int | None = None) -> Throttle:
    """Refused or not; `exclude`: the caller's own pending attempt."""
    until: datetime | None = None
    for column, value in ((LoginAttempt.username, username), (LoginAttempt.address, address)):
        recent = _failures(session, column, value, now, exclude)
        if len(recent) >= MAX_FAILURES:
            # The lock lifts when the oldest of the last MAX_FAILURES leaves the window.
            lifts = recent[-1] + WINDOW
            until = lifts if until is None else max(until, lifts)
    return Throttle(refused=until is not None, until=until)


def begin_attempt(session: Session, username: str, address: str, now: datetime) -> int:
    """Prune old attempts and write this one as pending; commit before calling check()."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - RETENTION))
    attempt = LoginAttempt(at=now, username=username[:64], address=address[:64],
                           result=PENDING)
    session.add(attempt)
    session.flush()
    return attempt.id


def finish_attempt(session: Session, attempt_id: int, result: str) -> None:
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id)
                    .values(result=result))


def finish_throttled(session: Session, attempt_id: int, username: str, address: str,
                     now: datetime) -> bool:
    """Keep a refused attempt only when it is the first of the window for its name or
    address; False when it was dropped (and should not be audited either)."""
    seen = session.scalar(select(LoginAttempt.id).where(
        LoginAttempt.result == THROTTLED, LoginAttempt.at > now - WINDOW,
        or_(LoginAttempt.username == username[:64],
            LoginAttempt.address == address[:64])).limit(1))
    if seen is not None:
        session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
        return False
    finish_attempt(session, attempt_id, THROTTLED)
    return True

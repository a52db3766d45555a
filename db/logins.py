"""Sign-in throttling, counted in the database so every web process sees the same count.

Per account, a progressive delay, never a lock: the first FREE_FAILURES failures
within WINDOW cost nothing; after them each attempt must wait DELAY, doubled for
every further failure, up to MAX_DELAY, after the latest failure. Someone who keeps
guessing a known name can slow its owner down by at most MAX_DELAY, not shut them
out. Per address, a hard limit that is higher: after ADDRESS_FAILURES failures within
WINDOW from one address, it is refused until the oldest of them leaves WINDOW. A
failure is a wrong password or a wrong second-factor code. A refused attempt is
recorded but not counted, so the delay and the limit lift on time even while
someone keeps trying.

Parallel attempts are serialised through the table itself: each attempt is first
committed as `pending` (begin_attempt), and only then are the failures and other
pending attempts counted (check). Of two attempts racing, the one that commits
second always sees the first, so no more than FREE_FAILURES passwords of one account
are ever checked at once, however many processes and threads try.

Unauthenticated junk is bounded: a refused attempt is written at most once per
window for its name or address, and attempts older than RETENTION are pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.user_models import LoginAttempt

FREE_FAILURES = 3                # per account, before any delay
DELAY = timedelta(seconds=15)    # after the FREE_FAILURES-th failure; doubled for each more
MAX_DELAY = timedelta(minutes=5)
ADDRESS_FAILURES = 20            # per address: refused until the oldest leaves WINDOW
WINDOW = timedelta(minutes=15)
RETENTION = timedelta(days=1)
OK, FAILED, THROTTLED, PENDING = "ok", "failed", "throttled", "pending"


@dataclass(frozen=True)
class Throttle:
    """Whether sign-in is refused now, and when it will next be allowed."""

    refused: bool
    until: datetime | None = None


def delay_after(failures: int) -> timedelta:
    """How long an account waits after its latest failure, having `failures` in WINDOW."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 16)  # MAX_DELAY is reached long before
    return min(MAX_DELAY, DELAY * (1 << doublings))


def _failures(session: Session, column: InstrumentedAttribute[str], value: str, now: datetime,
              exclude: int | None, limit: int) -> list[datetime]:
    # A pending attempt (another process is checking its password right now) counts as
    # a failure until it is known not to be one.
    query = (select(LoginAttempt.at)
             .where(column == value,
                    LoginAttempt.result.in_((FAILED, PENDING)),
                    LoginAttempt.at > now - WINDOW)
             .order_by(LoginAttempt.at.desc()).limit(limit))
    if exclude is not None:
        query = query.where(LoginAttempt.id != exclude)
    return list(session.scalars(query))


def check(session: Session, username: str, address: str, now: datetime,
          exclude: int | None = None) -> Throttle:
    """Refused or not; `exclude`: the caller's own pending attempt."""
    lifts: list[datetime] = []
    # Enough to know the delay: past MAX_DELAY more failures change nothing.
    recent = _failures(session, LoginAttempt.username, username, now, exclude, limit=64)
    if len(recent) >= FREE_FAILURES:
        lifts.append(recent[0] + delay_after(len(recent)))
    by_address = _failures(session, LoginAttempt.address, address, now, exclude,
                           limit=ADDRESS_FAILURES)
    if len(by_address) >= ADDRESS_FAILURES:
        lifts.append(by_address[-1] + WINDOW)
    until = max(lifts, default=None)
    if until is None or until <= now:
        return Throttle(refused=False)
    return Throttle(refused=True, until=until)


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

"""The audit log: append a line, read lines back newest first. Nothing else.

A change's line is written in the same transaction as the change, so a change
that did not happen leaves no line and one that did cannot lose it. Reading
actions (a recording played, an export) write theirs in a short transaction of
their own, before the data leaves, never after minutes of reading. The database
refuses UPDATE (migration 0003) and DELETE or TRUNCATE (0007) of a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session

from db.user_models import AuditEvent, User

COMMAND_LINE = "(command line)"

ACTIONS = ("sign_in", "sign_in_failed", "sign_in_throttled", "sign_out", "password_changed",
           "recording_played", "export", "status_changed", "assigned", "note_added",
           "user_added", "user_disabled", "user_enabled", "password_reset", "report_sent",
           "original_opened", "original_played", "legal_hold_placed", "legal_hold_released",
           "retention_purged", "recordings_rekeyed", "reply_written", "followup_limited")


def record(session: Session, *, at: datetime, actor: str, action: str,
           target: str | None = None, detail: str | None = None,
           address: str | None = None) -> AuditEvent:
    event = AuditEvent(at=at, actor=actor[:64], action=action, target=(target or None),
                       detail=detail[:512] if detail else None, address=address)
    session.add(event)
    session.flush()
    return event


def record_once(session: Session, *, within: timedelta, at: datetime, actor: str,
                action: str, target: str, address: str | None = None) -> bool:
    """Record unless `actor` did `action` on `target` less than `within` ago."""
    recent = session.scalar(select(AuditEvent.id).where(
        AuditEvent.actor == actor[:64], AuditEvent.action == action,
        AuditEvent.target == target, AuditEvent.at > at - within).limit(1))
    if recent is not None:
        return False
    record(session, at=at, actor=actor, action=action, target=target, address=address)
    return True


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    start: datetime | None = None  # inclusive, aware
    end: datetime | None = None    # exclusive, aware


def read(session: Session, where: AuditFilter, *, before: tuple[datetime, int] | None = None,
         limit: int = 100) -> Sequence[AuditEvent]:
    """Lines newest first; `before` is the (at, id) of the last line of the previous page."""
    query = select(AuditEvent)
    if where.actor:
        query = query.where(AuditEvent.actor == where.actor)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.start:
        query = query.where(AuditEvent.at >= where.start)
    if where.end:
        query = query.where(AuditEvent.at < where.end)
    if before is not None:
        query = query.where(tuple_(AuditEvent.at, AuditEvent.id) <
                            tuple_(literal(before[0], AuditEvent.at.type), literal(before[1])))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return session.scalars(query).all()


UNKNOWN = "?"  # sign-ins under names that are no user


def actors(session: Session) -> list[str]:
    """The actors one can filter by: the users, the command line and "?" (never a
    name someone typed at the sign-in page, and no scan of the whole log)."""
    names = list(session.scalars(select(User.name).order_by(User.name)))
    return [*names, COMMAND_LINE, UNKNOWN]

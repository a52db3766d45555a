"""The audit log: one named function for each action a user or the command line takes,
and the lines read back newest first. The console and the command line both write
through these functions: one name, one wording and one masking rule per action.

A change's line is written in the same transaction as the change, so a change
that did not happen leaves no line and one that did cannot lose it. Reading
actions (a recording played, an export) write theirs in a short transaction of
their own, before the data leaves, never after minutes of reading. The database
refuses UPDATE (migration 0003) and DELETE or TRUNCATE (0007) of a line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

from db import audit_chain
from db.user_models import AuditEvent, User
from ivr.references import is_valid_reference

COMMAND_LINE = "(command line)"

# Issue 13's need-to-know actions: a call page opened, a number revealed or searched,
# a user limited to some campaigns.
NEED_TO_KNOW_ACTIONS = ("call_viewed", "number_revealed", "number_searched",
                        "campaigns_limited")

ACTIONS = ("sign_in", "sign_in_failed", "sign_in_throttled", "sign_out", "password_changed",
           "recording_played", "export", "status_changed", "assigned", "note_added",
           "user_added", "user_disabled", "user_enabled", "password_reset", "report_sent",
           "original_opened", "original_played", "legal_hold_placed", "legal_hold_released",
           "retention_purged", "recordings_rekeyed", "reply_written", "followup_limited",
           "second_factor_enrolled", "second_factor_failed", "second_factor_reset",
           "recovery_codes_renewed", "csrf_refused", "page_refused",
           *NEED_TO_KNOW_ACTIONS)


UNKNOWN = "?"  # the actor of a sign-in under a name that is no user
PLAY_WINDOW = timedelta(minutes=5)  # range requests of one play within this are one line
REFUSAL_WINDOW = timedelta(minutes=1)  # one line per actor and page for a burst of refusals


def mask_number(number: str | None) -> str:
    """Only the last four digits, for lists that anyone looking over a shoulder can see."""
    if not number:
        return "—"
    if not number.startswith("+"):
        return number  # "anonymous": nothing to hide
    return "•••• " + number[-4:] if len(number) > 4 else "••••"


# --- the actions, one function each ------------------------------------------------------------

def sign_in(session: Session, *, at: datetime, name: str, address: str | None,
            method: str | None = None) -> None:
    """`method`: how the second factor was given ("code", "recovery code"), if it was."""
    record(session, at=at, actor=name, action="sign_in", address=address,
           detail=f"with a {method}" if method else None)


def sign_in_failed(session: Session, *, at: datetime, actor: str, reason: str,
                   address: str | None) -> None:
    record(session, at=at, actor=actor, action="sign_in_failed", detail=reason,
           address=address)


def sign_in_throttled(session: Session, *, at: datetime, actor: str,
                      address: str | None) -> None:
    record(session, at=at, actor=actor, action="sign_in_throttled", address=address)


def sign_out(session: Session, *, at: datetime, name: str, address: str | None) -> None:
    record(session, at=at, actor=name, action="sign_out", address=address)


def password_changed(session: Session, *, at: datetime, name: str,
                     address: str | None) -> None:
    record(session, at=at, actor=name, action="password_changed", target=name,
           address=address)


def password_reset(session: Session, *, at: datetime, actor: str, name: str,
                   address: str | None) -> None:
    record(session, at=at, actor=actor, action="password_reset", target=name, address=address)


def user_added(session: Session, *, at: datetime, actor: str, name: str, role: str,
               address: str | None) -> None:
    record(session, at=at, actor=actor, action="user_added", target=name, detail=f"role {role}",
           address=address)


def user_active(session: Session, *, at: datetime, actor: str, name: str, active: bool,
                address: str | None) -> None:
    record(session, at=at, actor=actor, action="user_enabled" if active else "user_disabled",
           target=name, address=address)


def export(session: Session, *, at: datetime, actor: str, target: str,
           filters: Mapping[str, str | None], address: str | None = None) -> None:
    """An export: what was asked for; a searched number keeps only its last four digits."""
    shown = []
    for name, value in filters.items():
        if not value or name == "s":  # "s": the id of a search kept in the session
            continue
        if name == "q" and not is_valid_reference(value):
            value = mask_number(value)
        shown.append(f"{name}={value}")
    record(session, at=at, actor=actor, action="export", target=target,
           detail=" ".join(shown) or "all calls", address=address)


def played(session: Session, *, at: datetime, actor: str, reference: str, original: bool,
           address: str | None) -> bool:
    """A recording played (the first request of a play; a player asks for many ranges)."""
    return record_once(session, within=PLAY_WINDOW, at=at, actor=actor,
                        action="original_played" if original else "recording_played",
                        target=reference, address=address)


def original_opened(session: Session, *, at: datetime, actor: str, reference: str,
                    reason: str, address: str | None) -> None:
    record(session, at=at, actor=actor, action="original_opened", target=reference,
           detail=reason, address=address)


def legal_hold(session: Session, *, at: datetime, actor: str, reference: str, placed: bool,
               reason: str | None, address: str | None) -> None:
    record(session, at=at, actor=actor,
           action="legal_hold_placed" if placed else "legal_hold_released",
           target=reference, detail=reason or None, address=address)


def status_changed(session: Session, *, at: datetime, actor: str, reference: str,
                   before: str, after: str, address: str | None) -> None:
    record(session, at=at, actor=actor, action="status_changed", target=reference,
           detail=f"{before} → {after}", address=address)


def note_added(session: Session, *, at: datetime, actor: str, reference: str, note_id: int,
               address: str | None) -> None:
    record(session, at=at, actor=actor, action="note_added", target=reference,
           detail=f"note {note_id}", address=address)


def assigned(session: Session, *, at: datetime, actor: str, reference: str,
             assignee: str | None, address: str | None) -> None:
    record(session, at=at, actor=actor, action="assigned", target=reference,
           detail=assignee or "nobody", address=address)


def report_sent(session: Session, *, at: datetime, actor: str, campaign_id: str, day: date,
                state: str, address: str | None) -> None:
    record(session, at=at, actor=actor, action="report_sent",
           target=f"{campaign_id} {day.isoformat()}", detail=state, address=address)


# --- need to know (issue 13) -------------------------------------------------------------

def call_viewed(session: Session, *, at: datetime, actor: str, call_sid: str,
                references: Sequence[str], address: str | None) -> None:
    """A call's page (and so its reports) opened; the page lists who has opened it."""
    record(session, at=at, actor=actor, action="call_viewed", target=call_sid,
           detail=" ".join(references) or None, address=address)


def number_revealed(session: Session, *, at: datetime, actor: str, call_sid: str,
                    reason: str, address: str | None) -> None:
    """A manager saw a call's whole number, for the reason given (kept: that is its point)."""
    record(session, at=at, actor=actor, action="number_revealed", target=call_sid,
           detail=reason, address=address)


def number_searched(session: Session, *, at: datetime, actor: str, numbers: Sequence[str],
                    address: str | None) -> None:
    """A search by calling number. The log outlives the retention purge and cannot be
    edited, so it keeps the number as the lists show it: its last four digits."""
    record(session, at=at, actor=actor, action="number_searched",
           detail=" ".join(mask_number(n) for n in numbers), address=address)


def campaigns_limited(session: Session, *, at: datetime, actor: str, name: str,
                      campaigns: Sequence[str], address: str | None = None) -> None:
    record(session, at=at, actor=actor, action="campaigns_limited", target=name,
           detail=" ".join(campaigns) or "all campaigns", address=address)


@dataclass(frozen=True)
class Viewer:
    name: str
    times: int
    last: datetime


def viewers(session: Session, call_sid: str) -> list[Viewer]:
    """Who has opened a call's page, how often and when last, most recent first."""
    rows = session.execute(
        select(AuditEvent.actor, func.count(), func.max(AuditEvent.at))
        .where(AuditEvent.target == call_sid, AuditEvent.action == "call_viewed")
        .group_by(AuditEvent.actor)).all()
    found = [Viewer(actor, count, last.replace(tzinfo=UTC) if last.tzinfo is None else last)
             for actor, count, last in rows]
    return sorted(found, key=lambda viewer: viewer.last, reverse=True)


# --- the second factor and refusals ----------------------------------------------------------

def second_factor_enrolled(session: Session, *, at: datetime, actor: str, name: str,
                           address: str | None) -> None:
    record(session, at=at, actor=actor, action="second_factor_enrolled", target=name,
           address=address)


def second_factor_failed(session: Session, *, at: datetime, actor: str, method: str,
                         address: str | None) -> None:
    """A wrong, reused or expired second-factor code (never the code typed)."""
    record(session, at=at, actor=actor, action="second_factor_failed", detail=f"wrong {method}",
           address=address)


def second_factor_reset(session: Session, *, at: datetime, actor: str, name: str,
                        address: str | None) -> None:
    record(session, at=at, actor=actor, action="second_factor_reset", target=name,
           address=address)


def recovery_codes_renewed(session: Session, *, at: datetime, name: str,
                           address: str | None) -> None:
    record(session, at=at, actor=name, action="recovery_codes_renewed", target=name,
           address=address)


def csrf_refused(session: Session, *, at: datetime, actor: str, path: str,
                 address: str | None) -> bool:
    """A form posted without a valid CSRF token; one line per actor and page a minute."""
    return record_once(session, within=REFUSAL_WINDOW, at=at, actor=actor,
                       action="csrf_refused", target=path[:128], address=address)


def page_refused(session: Session, *, at: datetime, actor: str, path: str,
                 address: str | None) -> bool:
    """A page the user's role may not open (403); one line per user and page a minute."""
    return record_once(session, within=REFUSAL_WINDOW, at=at, actor=actor,
                       action="page_refused", target=path[:128], address=address)


# --- writing and reading lines -----------------------------------------------------------------

def record(session: Session, *, at: datetime, actor: str, action: str,
           target: str | None = None, detail: str | None = None,
           address: str | None = None) -> AuditEvent:
    event = AuditEvent(at=at, actor=actor[:64], action=action, target=(target or None),
                       detail=detail[:512] if detail else None, address=address)
    audit_chain.seal(session, event)
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


def actors(session: Session) -> list[str]:
    """The actors one can filter by: the users, the command line and "?" (never a
    name someone typed at the sign-in page, and no scan of the whole log)."""
    names = list(session.scalars(select(User.name).order_by(User.name)))
    return [*names, COMMAND_LINE, UNKNOWN]

"""Writes to the call log, one transaction per webhook, each safe to repeat.

Twilio retries requests and may deliver callbacks twice or out of order, and
two web processes may receive the same callback at once. Every write is keyed
(CallSid, CallSid + step number, CallSid + report number, recording SID,
reference) and leans on the database's unique constraints, so a repeat
changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, TextualSelect, Update, bindparam, case, exists, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.base import Base
from db.models import Call, CallEvent, Report
from db.outcomes import FINAL_STATUSES, CallOutcome


@dataclass(frozen=True)
class CallKey:
    """What every Twilio request tells us about its call."""

    call_sid: str
    campaign_id: str | None
    from_number: str | None
    to_number: str | None


def ensure_call(session: Session, key: CallKey, at: datetime) -> Call:
    """The call's row, created on first sight (by whichever request comes first)."""
    call = session.scalar(select(Call).where(Call.call_sid == key.call_sid))
    if call is not None:
        # A recording callback (which carries no numbers) may have come first.
        if call.from_number is None and key.from_number:
            call.from_number = key.from_number
        if call.to_number is None and key.to_number:
            call.to_number = key.to_number
        return call
    # ON CONFLICT rather than a savepoint: another request for the same call may have won
    # the race, and then its row is the one read back.
    _insert_new(session, Call, ["call_sid"], call_sid=key.call_sid,
                campaign_id=key.campaign_id, from_number=key.from_number,
                to_number=key.to_number, started_at=at, status="in-progress",
                referred=False, transferred=False, chose_category=False, followed_up=False,
                outcome=CallOutcome.IN_PROGRESS.value)
    call = session.scalar(select(Call).where(Call.call_sid == key.call_sid))
    if call is None:
        raise RuntimeError("a call row vanished between its insert and its read")
    return call


@functools.cache
def _insert_ignoring(table: str, columns: tuple[str, ...], conflict: tuple[str, ...]
                     ) -> TextualSelect:
    """INSERT … ON CONFLICT (…) DO NOTHING RETURNING id: the same text on SQLite and
    PostgreSQL. Text, typed by the table's columns, rather than the dialects' insert():
    those never enter SQLAlchemy's statement cache (inherit_cache = False), so each
    was compiled anew, about a millisecond per journal entry."""
    columns_of = Base.metadata.tables[table].c
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - the model's own names
           f"VALUES ({', '.join(':' + name for name in columns)}) "
           f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING id")
    return text(sql).bindparams(*(bindparam(name, type_=columns_of[name].type)
                                  for name in columns)).columns(columns_of.id)


def _insert_new(session: Session, model: type[Base], conflict: list[str],
                **values: object) -> bool:
    """Insert a row unless its key is taken (SQLite and PostgreSQL); True when it was added."""
    statement = _insert_ignoring(model.__tablename__, tuple(values), tuple(conflict))
    return session.execute(statement, values).first() is not None


def _add_event(session: Session, call: Call, *, at: datetime, step_no: int, step: str,
               result: str, digits: str | None) -> bool:
    """Insert the step's event; False when this step was already logged (a retry)."""
    return _insert_new(session, CallEvent, ["call_id", "step_no"], call_id=call.id,
                       step_no=step_no, step=step, result=result, digits=digits,
                       at=at)


def _outcome_update() -> Update:
    table: Table = Call.__table__  # type: ignore[assignment]
    calls, reports = table.c, Report.__table__.c
    # Only an in-scope report makes a call "reported"; a referred caller's message keeps
    # the call "referred".
    recorded = exists().where(reports.call_id == calls.id,
                              reports.recording_status == "completed", reports.in_scope)
    return update(table).where(calls.id == bindparam("call_id")).values(
        outcome=case(
            (calls.refusal.is_not(None), calls.refusal),
            (calls.ended_at.is_(None), CallOutcome.IN_PROGRESS.value),
            (recorded, CallOutcome.REPORTED.value),
            (calls.followed_up, CallOutcome.FOLLOWED_UP.value),
            (calls.referred, CallOutcome.REFERRED.value),
            (calls.transferred, CallOutcome.TRANSFERRED.value),
            else_=CallOutcome.ABANDONED.value))


# Built once, on the table rather than the entity: a statement rebuilt per call (and run
# through the ORM's bulk-update path) cost more than a millisecond of the writer's CPU.
_OUTCOME_UPDATE = _outcome_update()


def refresh_outcome(session: Session, call_id: int) -> None:
    """Derive the call's outcome from what it holds: the one place this rule lives."""
    session.connection().execute(_OUTCOME_UPDATE, {"call_id": call_id})


def log_answer(session: Session, key: CallKey, *, at: datetime, refusal: str | None,
               result: str, language: str | None = None) -> None:
    """The call came in: taken (result says what it was asked first) or turned away."""
    call = ensure_call(session, key, at)
    if not _add_event(session, call, at=at, step_no=0, step="voice", result=result,
                      digits=None):
        return  # a retry: the first answer stands, even if the gate would now say no
    if refusal is not None and call.refusal is None:
        call.refusal = refusal
    if language and not call.language:
        call.language = language
    session.flush()
    refresh_outcome(session, call.id)


def log_step(session: Session, key: CallKey, *, at: datetime, step_no: int, step: str,
             result: str, digits: str | None = None, language: str | None = None,
             chose_category: bool = False, referred: bool = False,
             transferred: bool = False, followed_up: bool = False) -> None:
    """One answered question of the call flow."""
    call = ensure_call(session, key, at)
    if not _add_event(session, call, at=at, step_no=step_no, step=step, result=result,
                      digits=digits):
        return
    if language and call.language != language:
        call.language = language
    if chose_category and not call.chose_category:
        call.chose_category = True
    if (referred and not call.referred) or (transferred and not call.transferred) or (
            followed_up and not call.followed_up):
        # Only these facts of a step can change the outcome.
        call.referred = call.referred or referred
        call.transferred = call.transferred or transferred
        call.followed_up = call.followed_up or followed_up
        session.flush()
        refresh_outcome(session, call.id)


def save_report(session: Session, key: CallKey, *, at: datetime, number: int, reference: str,
                category: str | None, subject: str | None, recording_sid: str | None,
                recording_url: str | None, recording_seconds: int | None,
                recording_status: str | None, new_reference: Callable[[], str],
                acknowledge_days: int | None = None, feedback_days: int | None = None,
                in_scope: bool = True) -> str:
    """Create or complete the call's report `number`; return the reference it is known by.

    Called by both the <Record> action and the recording status callback, in either
    order. Only the callback's `completed` status says the audio exists. Should the
    random reference already belong to another call, a fresh one is drawn.
    """
    call = ensure_call(session, key, at)
    report = _report(session, call.id, number)
    candidate = reference
    while report is None:
        try:
            with session.begin_nested():
                report = Report(
                    call_id=call.id, number=number, reference=candidate, category=category,
                    subject=subject, created_at=at, follow_up="new", in_scope=in_scope,
                    campaign_id=call.campaign_id, call_started_at=call.started_at,
                    acknowledge_due=_due(call.started_at, acknowledge_days),
                    feedback_due=_due(call.started_at, feedback_days))
                session.add(report)
        except IntegrityError:
            report = _report(session, call.id, number)
            if report is None:
                # Not a concurrent twin of this report: the reference is taken elsewhere.
                candidate = new_reference()
    if recording_sid and report.recording_sid != recording_sid:
        report.recording_sid = recording_sid
    if recording_url:
        report.recording_url = recording_url
    if recording_seconds is not None:
        report.recording_seconds = recording_seconds
    if recording_status and report.recording_status != "completed":
        report.recording_status = recording_status
    session.flush()
    refresh_outcome(session, call.id)
    return report.reference


def _due(start: datetime, days: int | None) -> datetime | None:
    return start + timedelta(days=days) if days else None


def _report(session: Session, call_id: int, number: int) -> Report | None:
    return session.scalar(select(Report).where(Report.call_id == call_id,
                                               Report.number == number))


def unfinished_calls(session: Session, started_before: datetime, limit: int = 500
                     ) -> list[CallKey]:
    """Calls still in progress in the log though they started long ago: their final
    status callback never arrived (or failed). Oldest first."""
    rows = session.execute(
        select(Call.call_sid, Call.campaign_id, Call.from_number, Call.to_number)
        .where(Call.outcome == CallOutcome.IN_PROGRESS.value,
               Call.started_at < started_before)
        .order_by(Call.started_at).limit(limit))
    return [CallKey(*row) for row in rows]


def apply_status(session: Session, key: CallKey, *, at: datetime, status: str,
                 sequence: int | None, duration: int | None) -> bool:
    """A call status callback; False when it was stale and changed nothing.

    A final status is never replaced by a non-final one, and among callbacks of the
    same kind the higher SequenceNumber wins.
    """
    call = ensure_call(session, key, at)
    stored_final = call.status in FINAL_STATUSES
    incoming_final = status in FINAL_STATUSES
    if stored_final and not incoming_final:
        return False
    if stored_final == incoming_final and call.status_sequence is not None and (
            sequence is None or sequence <= call.status_sequence):
        return False
    call.status = status
    if sequence is not None:
        call.status_sequence = sequence
    if incoming_final:
        if duration is not None:
            call.duration_seconds = duration
        if call.ended_at is None:
            # Twilio's duration dates the end better than a callback that may come late.
            call.ended_at = (call.started_at + timedelta(seconds=duration)
                             if duration is not None else at)
    session.flush()
    refresh_outcome(session, call.id)
    return True


@dataclass(frozen=True)
class AwaitingRecording:
    """A report whose recording Twilio never confirmed (its callback was lost)."""

    key: CallKey
    number: int
    reference: str
    recording_sid: str | None
    created_at: datetime


def reports_awaiting_recording(session: Session, created_before: datetime, limit: int = 500
                               ) -> list[AwaitingRecording]:
    """Reports made long ago whose recording status is still not `completed`. Oldest first."""
    rows = session.execute(
        select(Call.call_sid, Call.campaign_id, Call.from_number, Call.to_number,
               Report.number, Report.reference, Report.recording_sid, Report.created_at)
        .join(Report, Report.call_id == Call.id)
        .where(Report.created_at < created_before,
               (Report.recording_status.is_(None)) | (Report.recording_status != "completed"))
        .order_by(Report.created_at, Report.number).limit(limit))
    return [AwaitingRecording(CallKey(sid, cid, frm, to), number, reference, recording, at)
            for sid, cid, frm, to, number, reference, recording, at in rows]


def recording_sids_of(session: Session, call_sid: str) -> set[str]:
    """The recording SIDs already given to a call's reports."""
    return {sid for sid in session.scalars(
        select(Report.recording_sid).join(Call, Report.call_id == Call.id)
        .where(Call.call_sid == call_sid, Report.recording_sid.is_not(None))) if sid}

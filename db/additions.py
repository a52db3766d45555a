"""Follow-up calls: messages added to a report, the reply heard, the wrong-number count.

A caller who rings back with a reference may add a message. It is written like a
report's message, by the <Record> action and by the recording status callback,
in either order, keyed by (call, addition number) and the recording SID, so
repeats change nothing. Only the callback's `completed` says the audio exists:
then the report shows "new information", and a finished report (referred or
closed) goes back to review with an activity line saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db import audit
from db.calllog import CallKey, ensure_call
from db.models import Call, CallEvent, Report, ReportAddition
from db.user_models import ReportActivity

LINE = "(line)"   # the author of what the telephone line did by itself
WRONG_NUMBER_RESULTS = ("followup:not_found", "followup:not_found:menu")
WRONG_NUMBER_WINDOW = timedelta(hours=24)
LONGEST_CALL = timedelta(hours=4)  # Twilio ends a call after four hours
LOOKUP_TIMEOUT_MS = 800            # the follow-up read never holds a caller longer
REOPENED_BECAUSE = "the caller added a message by phone"


@dataclass(frozen=True)
class FollowUpRead:
    """What a follow-up step needs from the database, read in one short transaction."""

    report: tuple[int, str, str | None, str | None] | None  # id, status, reply, its language
    wrong_numbers_today: int


def read_followup(session: Session, campaign_id: str, *, reference: str | None,
                  report_id: int | None, from_number: str | None, call_sid: str,
                  now: datetime) -> FollowUpRead:
    """The report a caller typed (by reference) or reached (by id), in this campaign, and
    the calling number's wrong references of the last 24 h in its other calls (their own
    call's are in the call's state). Two indexed reads; on PostgreSQL under a statement
    timeout shorter than the engine's, so a slow database is "unreadable", not silence."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {LOOKUP_TIMEOUT_MS}"))
    found = None
    if reference or report_id:
        query = select(Report.id, Report.follow_up, Report.reply_text,
                       Report.reply_language).where(
            Report.campaign_id == campaign_id)
        query = query.where(Report.reference == reference) if reference else query.where(
            Report.id == report_id)
        row = session.execute(query.limit(1)).first()
        found = (row[0], row[1], row[2], row[3]) if row else None
    wrong = 0
    if from_number and from_number != "anonymous":
        since = now - WRONG_NUMBER_WINDOW
        wrong = session.scalar(
            select(func.count()).select_from(CallEvent).join(Call, CallEvent.call_id == Call.id)
            .where(Call.from_number == from_number, Call.started_at >= since - LONGEST_CALL,
                   Call.call_sid != call_sid, CallEvent.result.in_(WRONG_NUMBER_RESULTS),
                   CallEvent.at >= since)) or 0
    return FollowUpRead(found, wrong)


def apply_followup(session: Session, key: CallKey, *, at: datetime,
                   followup: dict[str, Any]) -> None:
    """A follow-up step's facts: the reply heard (first time only), the daily limit."""
    report_id = followup.get("report_id")
    if followup.get("reply_heard") and report_id:
        session.execute(update(Report).where(
            Report.id == report_id, Report.reply_text.is_not(None),
            Report.reply_heard_at.is_(None)).values(reply_heard_at=at)
            .execution_options(synchronize_session=False))
    if followup.get("limit_reached"):
        # Never the digits typed: only that this call met the limit.
        audit.record_once(session, within=WRONG_NUMBER_WINDOW, at=at, actor=LINE,
                          action="followup_limited", target=f"call {key.call_sid}")


def save_addition(session: Session, key: CallKey, *, at: datetime,
                  addition: dict[str, Any]) -> ReportAddition:
    """Create or complete the call's addition `number` (the action or the callback)."""
    call = ensure_call(session, key, at)
    number = int(addition["number"])
    row = _addition(session, call.id, number)
    if row is None:
        report_id = _report_for(session, call.campaign_id, addition)
        try:
            with session.begin_nested():
                row = ReportAddition(
                    call_id=call.id, number=number, report_id=report_id,
                    # The reference is kept only when it matched nothing, for operators.
                    reference=None if report_id else addition.get("reference"),
                    campaign_id=call.campaign_id, at=at)
                session.add(row)
        except IntegrityError:
            row = _addition(session, call.id, number)
            if row is None:
                raise
    was_complete = row.recording_status == "completed"
    sid = addition.get("recording_sid")
    if sid and row.recording_sid != sid:
        row.recording_sid = sid
    if addition.get("recording_url"):
        row.recording_url = addition["recording_url"]
    if addition.get("recording_seconds") is not None:
        row.recording_seconds = addition["recording_seconds"]
    status = addition.get("recording_status")
    if status and not was_complete:
        row.recording_status = status
    session.flush()
    if not was_complete and row.recording_status == "completed" and row.report_id:
        _new_information(session, row.report_id, at)
    return row


def _report_for(session: Session, campaign_id: str | None,
                addition: dict[str, Any]) -> int | None:
    if addition.get("report_id"):
        return session.scalar(select(Report.id).where(Report.id == addition["report_id"]))
    if addition.get("reference") and campaign_id:
        return session.scalar(select(Report.id).where(Report.reference == addition["reference"],
                                                      Report.campaign_id == campaign_id))
    return None


def _new_information(session: Session, report_id: int, at: datetime) -> None:
    """The report shows "new information"; a finished one is reviewed again."""
    report = session.get(Report, report_id)
    if report is None:
        return
    report.new_info_at = at
    if report.follow_up in ("referred", "closed"):
        session.add(ReportActivity(report_id=report.id, at=at, author_id=None, author_name=LINE,
                                   kind="status", from_status=report.follow_up,
                                   to_status="in_review", body=REOPENED_BECAUSE))
        report.follow_up = "in_review"
        report.follow_up_at = at
        report.follow_up_reason = None
    session.flush()


def _addition(session: Session, call_id: int, number: int) -> ReportAddition | None:
    return session.scalar(select(ReportAddition).where(ReportAddition.call_id == call_id,
                                                       ReportAddition.number == number))


def unmatched_additions(session: Session, campaign_ids: list[str] | None = None,
                        limit: int = 200) -> list[tuple[ReportAddition, str]]:
    """Messages whose typed reference matched no report, with their call's SID: kept for
    operators, newest first."""
    query = (select(ReportAddition, Call.call_sid).join(Call, ReportAddition.call_id == Call.id)
             .where(ReportAddition.report_id.is_(None)))
    if campaign_ids is not None:
        query = query.where(ReportAddition.campaign_id.in_(campaign_ids))
    rows = session.execute(query.order_by(ReportAddition.at.desc()).limit(limit))
    return [(addition, call_sid) for addition, call_sid in rows]


def count_unmatched(session: Session, campaign_ids: list[str]) -> int:
    return session.scalar(select(func.count()).select_from(ReportAddition).where(
        ReportAddition.campaign_id.in_(campaign_ids), ReportAddition.report_id.is_(None))) or 0

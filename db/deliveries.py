"""The daily reports' delivery rows (db/report_models.py): claimed, taken over, stamped,
finished, and read back for the console, the scheduler and /metrics.

Each function that writes is its own short transaction on a writer session factory;
the claims are guarded by the unique (campaign, day) row or by a guarded UPDATE, so
two senders never both win one report (reports/delivery.py says when each is used).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Call
from db.report_models import DailyReport, DailyReportSchedule, DeliveryState

Sessions = sessionmaker[Session]


class RowBusy(RuntimeError):
    """Another process is creating the day's row at this moment."""


def first_run(sessions: Sessions, campaign_id: str, now: datetime) -> tuple[datetime, bool]:
    """When the scheduler first ran for the campaign, and whether that is now (recorded
    by this call)."""
    with sessions() as session:
        found = session.get(DailyReportSchedule, campaign_id)
        if found is not None:
            return found.first_run_at, False
    try:
        with sessions() as writer, writer.begin():
            writer.add(DailyReportSchedule(campaign_id=campaign_id, first_run_at=now))
    except IntegrityError:  # a second scheduler recorded it at the same moment
        with sessions() as reader:
            return reader.get_one(DailyReportSchedule, campaign_id).first_run_at, False
    return now, True


def first_call_at(sessions: Sessions, campaign_id: str) -> datetime | None:
    with sessions() as session:
        return session.scalar(select(func.min(Call.started_at)).where(
            Call.campaign_id == campaign_id))


def rows_of_days(session: Session, campaign_id: str, days: Sequence[date]
                 ) -> dict[date, DailyReport]:
    return {row.day: row for row in session.scalars(select(DailyReport).where(
        DailyReport.campaign_id == campaign_id, DailyReport.day.in_(days)))}


def row_of_day(session: Session, campaign_id: str, day: date) -> DailyReport | None:
    return session.scalar(select(DailyReport).where(DailyReport.campaign_id == campaign_id,
                                                    DailyReport.day == day))


def claim(sessions: Sessions, campaign_id: str, day: date, *, trigger: str, claimant: str,
          recipients: int, now: datetime) -> int | None:
    """Insert the day's row as `sending`; its id, or None when another claimant has it."""
    row = DailyReport(campaign_id=campaign_id, day=day, state=DeliveryState.SENDING.value,
                      attempts=1, sends=0, recipients=recipients, trigger=trigger,
                      claimed_by=claimant, created_at=now, last_attempt_at=now)
    try:
        with sessions() as session, session.begin():
            session.add(row)
    except IntegrityError:
        return None
    return row.id


def claim_manual(sessions: Sessions, campaign_id: str, day: date, *, claimant: str,
                 recipients: int, now: datetime) -> int:
    """The day's row (made if missing) set to a fresh manual attempt, whatever it said."""
    with sessions() as session, session.begin():
        row = session.scalar(select(DailyReport).where(
            DailyReport.campaign_id == campaign_id, DailyReport.day == day)
            .with_for_update())
        if row is None:
            row = DailyReport(campaign_id=campaign_id, day=day, sends=0, created_at=now)
            session.add(row)
        row.state = DeliveryState.SENDING.value
        row.attempts = 1
        row.trigger = "manual"
        row.claimed_by = claimant
        row.recipients = recipients
        row.last_attempt_at = now
        row.next_attempt_at = None
        row.smtp_started_at = None
        try:
            session.flush()
        except IntegrityError:
            raise RowBusy from None
        return row.id


def waiting(sessions: Sessions, now: datetime, stale: timedelta
            ) -> list[tuple[int, str, date, int, str]]:
    """Rows whose retry time has come, and claims older than `stale` whose claimant stopped
    before talking to the mail server: (id, campaign, day, attempts, state)."""
    with sessions() as session:
        rows = session.execute(select(
            DailyReport.id, DailyReport.campaign_id, DailyReport.day, DailyReport.attempts,
            DailyReport.state,
        ).where(
            (DailyReport.state == DeliveryState.RETRYING.value)
            & (DailyReport.next_attempt_at <= now)
            | (DailyReport.state == DeliveryState.SENDING.value)
            & DailyReport.smtp_started_at.is_(None)
            & (DailyReport.last_attempt_at <= now - stale)))
        return [(row_id, campaign_id, day, attempts, state)
                for row_id, campaign_id, day, attempts, state in rows]


def take_over(sessions: Sessions, row_id: int, *, seen_state: str, seen_attempts: int,
              claimant: str, now: datetime) -> bool:
    """Claim a waiting row for its next attempt, if it is still as it was seen."""
    with sessions() as session, session.begin():
        result = session.execute(
            update(DailyReport).where(
                DailyReport.id == row_id,
                DailyReport.state == seen_state,
                DailyReport.attempts == seen_attempts,
                DailyReport.smtp_started_at.is_(None)
                if seen_state == DeliveryState.SENDING.value else true())
            .values(state=DeliveryState.SENDING.value, attempts=seen_attempts + 1,
                    trigger="retry", claimed_by=claimant, last_attempt_at=now,
                    next_attempt_at=None, smtp_started_at=None)
            .execution_options(synchronize_session=False))
        return _changed_one(result)


def smtp_starting(sessions: Sessions, row_id: int, *, attempts: int, claimant: str,
                  now: datetime) -> bool:
    """Stamp the row as talking to the mail server, if this attempt still holds it."""
    with sessions() as session, session.begin():
        result = session.execute(
            update(DailyReport).where(
                DailyReport.id == row_id, DailyReport.state == DeliveryState.SENDING.value,
                DailyReport.attempts == attempts, DailyReport.claimed_by == claimant,
                DailyReport.smtp_started_at.is_(None))
            .values(smtp_started_at=now)
            .execution_options(synchronize_session=False))
        return _changed_one(result)


def _changed_one(result: object) -> bool:
    return getattr(result, "rowcount", 0) == 1


def finish(sessions: Sessions, row_id: int, state: DeliveryState, *, now: datetime,
           error: str | None = None, next_at: datetime | None = None,
           figures: str | None = None) -> None:
    """Write how the attempt went; a sent report keeps the figures as e-mailed."""
    values: dict[str, object] = {"state": state.value, "last_error": error,
                                 "next_attempt_at": next_at}
    if state is DeliveryState.SENT:
        values |= {"sent_at": now, "sends": DailyReport.sends + 1, "figures": figures}
    with sessions() as session, session.begin():
        session.execute(update(DailyReport).where(DailyReport.id == row_id).values(**values)
                        .execution_options(synchronize_session=False))


def counts_by_state(session: Session) -> dict[str, int]:
    """Delivery rows by state (for /metrics)."""
    return {state: count for state, count in session.execute(
        select(DailyReport.state, func.count()).group_by(DailyReport.state))}

"""The delivery record of each daily report: one row per campaign and local day.

The row is the lock. Whoever inserts it first (the database's unique constraint
decides) sends the report; a restart, a second scheduler or a misfired job that
comes later finds the row and sends nothing. The row also keeps the state the
console shows: sent, retrying after a failure (with the next attempt's time),
or failed for good, and the figures as they were sent (aggregates only).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class DeliveryState(StrEnum):
    SENDING = "sending"    # claimed; an SMTP conversation is (or was) under way
    SENT = "sent"          # the SMTP server accepted the message
    RETRYING = "retrying"  # the last attempt failed; next_attempt_at says when to try again
    FAILED = "failed"      # every attempt failed; only a manual re-send tries again


class DailyReport(Base):
    """One campaign's report for one local day, and how its delivery went."""

    __tablename__ = "daily_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sends: Mapped[int] = mapped_column(Integer, default=0)  # successful sends, re-sends included
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | catch_up | retry | manual
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When this attempt began talking to the mail server: a row left in `sending` with
    # none never reached it and is safe to send again; with one, it may have arrived.
    smtp_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    figures: Mapped[str | None] = mapped_column(Text)  # the report's JSON as last sent

    __table_args__ = (
        UniqueConstraint("campaign_id", "day", name="uq_daily_reports_campaign_day"),
        Index("ix_daily_reports_state_next", "state", "next_attempt_at"),
    )


class DailyReportSchedule(Base):
    """When the scheduler first looked after a campaign: it never catches up days before."""

    __tablename__ = "daily_report_schedules"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_run_at: Mapped[datetime] = mapped_column(UTCDateTime())

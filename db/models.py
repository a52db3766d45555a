"""The call log's tables, as typed SQLAlchemy 2.x models.

Times are stored as `UTCDateTime` (db/base.py); the campaign's zone is applied
when a time is shown. The other tables live next to what they store
(user_models, recording_models, report_models, tally_models); db/schema.py
gathers them all into the one metadata.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime
from db.outcomes import CallOutcome


class Call(Base):
    """One telephone call, taken or turned away."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="in-progress")
    status_sequence: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    refusal: Mapped[str | None] = mapped_column(String(16))
    referred: Mapped[bool] = mapped_column(Boolean, default=False)
    transferred: Mapped[bool] = mapped_column(Boolean, default=False)
    # The caller got as far as choosing a category (the daily report counts those who did not).
    chose_category: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    outcome: Mapped[str] = mapped_column(String(16), default=CallOutcome.IN_PROGRESS.value)
    # The caller reached an earlier report by its reference (key #).
    followed_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.step_no", cascade="all, delete-orphan")
    reports: Mapped[list[Report]] = relationship(
        back_populates="call", order_by="Report.number", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_campaign_started", "campaign_id", "started_at"),
        # Covering for the daily report's calls-by-outcome (an index-only scan).
        Index("ix_calls_campaign_started_outcome", "campaign_id", "started_at", "outcome"),
        # Outcome counts read in outcome order, and "gave up" answered from the index alone.
        Index("ix_calls_campaign_outcome_started", "campaign_id", "outcome", "started_at",
              "chose_category"),
        Index("ix_calls_outcome_started", "outcome", "started_at"),
        Index("ix_calls_from_number", "from_number"),
        # A calling number's wrong references in the last 24 h (the follow-up limit).
        Index("ix_calls_from_started", "from_number", "started_at"),
    )


class CallEvent(Base):
    """One step of a call: what the caller was asked, what they pressed, when."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    step_no: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(64))
    digits: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    call: Mapped[Call] = relationship(back_populates="events")

    __table_args__ = (
        UniqueConstraint("call_id", "step_no", name="uq_call_events_call_step"),
        # Covering for the daily report's "gave up before choosing a category" anti-join.
        Index("ix_call_events_call_result", "call_id", "result"),
    )


class Report(Base):
    """One matter reported in a call: its category, subject, reference and recording."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    category: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))
    recording_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str | None] = mapped_column(String(512))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    follow_up: Mapped[str] = mapped_column(String(16), default="new")
    # False: a referred matter's message (key 9 or a subject outside the scope), passed on.
    in_scope: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Copies of the call's campaign and start, so that report figures need no join.
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    call_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledge_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Follow-up in the console (db/followup.py holds the rules).
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_reason: Mapped[str | None] = mapped_column(String(500))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The team's reply, read to whoever calls with the reference (db/replies.py).
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_language: Mapped[str | None] = mapped_column(String(8))
    reply_by: Mapped[str | None] = mapped_column(String(64))
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A caller added a message the assignee has not seen yet.
    new_info_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    call: Mapped[Call] = relationship(back_populates="reports")
    additions: Mapped[list[ReportAddition]] = relationship(
        back_populates="report", order_by="ReportAddition.at, ReportAddition.id",
        foreign_keys="ReportAddition.report_id")

    __table_args__ = (
        UniqueConstraint("call_id", "number", name="uq_reports_call_number"),
        Index("ix_reports_category", "category"),
        Index("ix_reports_follow_up", "follow_up"),
        # Covering the daily report's grouped counts and its median (index-only reads).
        Index("ix_reports_campaign_figures", "campaign_id", "category", "subject", "follow_up",
              "call_started_at", "recording_status", "recording_seconds", "acknowledge_due",
              "feedback_due"),
        Index("ix_reports_campaign_seconds", "campaign_id", "recording_seconds",
              "call_started_at", "recording_status"),
        Index("ix_reports_acknowledge_due", "acknowledge_due"),
        # A day's reports by their call's start (the day's median reads these alone).
        Index("ix_reports_campaign_started", "campaign_id", "call_started_at",
              "recording_status", "recording_seconds"),
        # The overdue counts read only overdue reports: follow-up state, then due date;
        # the assignee too, so that the daily report's overdue by assignee reads only
        # these indexes (0020).
        Index("ix_reports_overdue_acknowledgement", "follow_up", "acknowledge_due",
              "campaign_id", "call_started_at", "feedback_due", "assignee_id"),
        Index("ix_reports_overdue_feedback", "follow_up", "feedback_due", "campaign_id",
              "call_started_at", "assignee_id", "acknowledge_due"),
        Index("ix_reports_feedback_due", "feedback_due"),
        # The follow-up chart: reports referred or closed within its window (0018).
        Index("ix_reports_follow_up_at", "follow_up", "follow_up_at"),
        Index("ix_reports_assignee", "assignee_id"),
        Index("ix_reports_campaign_in_scope", "campaign_id", "in_scope", "call_started_at"),
        # The inbox (db/inbox.py): keyset pages in creation order, the assignee's open
        # reports, and the few with a caller's addition nobody has seen.
        Index("ix_reports_created", "created_at", "id"),
        Index("ix_reports_assignee_open", "assignee_id", "follow_up", "created_at"),
        Index("ix_reports_new_info", "new_info_at"),
    )


class ReportAddition(Base):
    """A message a caller added to an earlier report by calling again with its reference."""

    __tablename__ = "report_additions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)   # 1, 2 … within the follow-up call
    # None while unmatched: the database was away when the caller typed the reference,
    # and the reference (kept only then) belongs to no report of the campaign.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    reference: Mapped[str | None] = mapped_column(String(16))
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    recording_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str | None] = mapped_column(String(512))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_status: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    report: Mapped[Report | None] = relationship(back_populates="additions",
                                                 foreign_keys=[report_id])

    __table_args__ = (
        UniqueConstraint("call_id", "number", name="uq_report_additions_call_number"),
        Index("ix_report_additions_report", "report_id", "at"),
        Index("ix_report_additions_unmatched", "campaign_id", "report_id"),
    )


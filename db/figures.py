"""The figures engine: calls by outcome, and reports by category, subject and follow-up
state with their recordings and overdue counts, for any campaigns and window.

The console's statistics and counts (db/calllist), the daily report (reports/figures)
and /metrics (hotline/metrics) all count here, with the same SQL. There are two roads
to one answer: a grouped query over the calls and reports themselves, under any clause
(a search, a category, a follow-up state …), and, for a plain campaign-and-window, the
tallies of db/tallies.py, whose cost does not grow with the log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from db import tallies
from db.followup import overdue_acknowledgement_clause, overdue_clause, overdue_feedback_clause
from db.models import Call, Report

DIMENSIONS = ("category", "subject", "follow_up")
# A recording counts (in the count, the total and the median alike) once its length is
# known: a completed recording whose duration never arrived has none to add.
RECORDED = tallies.RECORDED


@dataclass
class ReportCounts:
    """Reports counted: in all, per category, subject and follow-up state (None: a report
    saved without one), recordings, and those overdue as of the moment asked."""

    reports: int = 0
    by: dict[str, Counter[str | None]] = field(
        default_factory=lambda: {name: Counter() for name in DIMENSIONS})
    recorded: int = 0
    recorded_seconds: int = 0
    overdue_acknowledgement: int = 0
    overdue_feedback: int = 0
    overdue: int = 0  # late on either clock, each report counted once
    median_seconds: float | None = None

    def add(self, other: ReportCounts) -> None:
        """Add another window's counts (the median is not additive: it is dropped)."""
        self.reports += other.reports
        for name in DIMENSIONS:
            self.by[name].update(other.by[name])
        self.recorded += other.recorded
        self.recorded_seconds += other.recorded_seconds
        self.overdue_acknowledgement += other.overdue_acknowledgement
        self.overdue_feedback += other.overdue_feedback
        self.overdue += other.overdue
        self.median_seconds = None


def calls_by_outcome(session: Session, where: ColumnElement[bool] | None = None
                     ) -> dict[str, int]:
    """Calls under `where` (None: every call) by outcome."""
    query = select(Call.outcome, func.count()).select_from(Call).group_by(Call.outcome)
    if where is not None:
        query = query.where(where)
    return {outcome: count for outcome, count in session.execute(query)}


def calls_by_campaign_and_outcome(session: Session) -> dict[tuple[str | None, str], int]:
    """Every call by (campaign, None for an unknown number; outcome)."""
    query = select(Call.campaign_id, Call.outcome, func.count()) \
        .group_by(Call.campaign_id, Call.outcome)
    return {(campaign, outcome): count for campaign, outcome, count in session.execute(query)}


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def report_counts(session: Session, reports: ColumnElement[bool] | None, now: datetime, *,
                  calls: ColumnElement[bool] | None = None, median: bool = False
                  ) -> ReportCounts:
    """Reports under `reports` (a clause on Report; None: all), and when `calls` is given
    only those of calls under it (joined): one grouped query, plus one or two rows read
    back for the median when asked."""
    query = select(Report.category, Report.subject, Report.follow_up, func.count(),
                   _count_if(RECORDED),
                   func.sum(case((RECORDED, Report.recording_seconds), else_=0)),
                   _count_if(overdue_acknowledgement_clause(now)),
                   _count_if(overdue_feedback_clause(now)), _count_if(overdue_clause(now))
                   ).group_by(Report.category, Report.subject, Report.follow_up)
    if calls is not None:
        query = query.join(Call, Call.id == Report.call_id).where(calls)
    if reports is not None:
        query = query.where(reports)
    counts = ReportCounts()
    for category, subject, state, count, recorded, seconds, ack, feedback, late in \
            session.execute(query):
        counts.reports += count
        for name, value in zip(DIMENSIONS, (category, subject, state), strict=True):
            counts.by[name][value] += count
        counts.recorded += int(recorded or 0)
        counts.recorded_seconds += int(seconds or 0)
        counts.overdue_acknowledgement += int(ack or 0)
        counts.overdue_feedback += int(feedback or 0)
        counts.overdue += int(late or 0)
    if median and counts.recorded and reports is not None and calls is None:
        counts.median_seconds = _median(session, reports, counts.recorded)
    return counts


def _median(session: Session, reports: ColumnElement[bool], count: int) -> float:
    """The median by ORDER BY … LIMIT/OFFSET: portable, and reads one or two rows back."""
    middle = session.scalars(
        select(Report.recording_seconds)
        .where(reports, RECORDED).order_by(Report.recording_seconds)
        .limit(2 - count % 2).offset((count - 1) // 2)).all()
    return sum(s or 0 for s in middle) / len(middle)


def tallied_report_counts(session: Session, campaign_ids: Sequence[str | None] | None,
                          start: datetime | None, end: datetime | None, now: datetime
                          ) -> ReportCounts:
    """report_counts for the reports of calls of these campaigns started in [start, end),
    from the tallies (the window's edges from the reports); `start` None: from the first."""
    totals = (tallies.report_totals_until(session, campaign_ids, end)
              if start is None and end is not None and campaign_ids is not None
              else tallies.report_totals(session, campaign_ids, start, end))
    ack, feedback, late = tallies.overdue_counts(session, campaign_ids, start, end, now)
    return ReportCounts(reports=totals.reports,
                        by={name: Counter(totals.by[name]) for name in DIMENSIONS},
                        recorded=totals.recorded, recorded_seconds=totals.recorded_seconds,
                        overdue_acknowledgement=ack, overdue_feedback=feedback, overdue=late,
                        median_seconds=totals.median_seconds)

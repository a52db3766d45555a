"""Counts over long windows from the tallies (db/tally_models.py), exact to the microsecond.

A window [start, end) is cut into whole UTC years, months, days and hours, read
from the tallies (a few rows each, however many calls they hold), and the partial
hours at its edges, counted from the calls or reports themselves (an index
range of under an hour each). The sum is what counting every row would give;
its cost is at most a few years, 22 months, 60 days and 46 hours of tally rows,
whatever the window's length or its calls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from db.followup import overdue_acknowledgement_clause, overdue_feedback_clause
from db.models import Call, Report
from db.queries import campaign_ids as present_campaign_ids
from db.tally_models import (
    ALL_TIME,
    DAY,
    HOUR,
    MONTH,
    YEAR,
    CallTally,
    CallValueTally,
    ReportTally,
)

RECORDED = and_(Report.recording_status == "completed", Report.recording_seconds.is_not(None))
_FORMATS = {YEAR: "%Y", MONTH: "%Y-%m", DAY: "%Y-%m-%d", HOUR: "%Y-%m-%d %H"}
_FINER = {DAY: HOUR, MONTH: DAY, YEAR: MONTH}  # the level a period's partial parts are read at
Span = tuple[datetime | None, datetime | None]  # None: unbounded on that side


def _floor(moment: datetime, level: int) -> datetime:
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if level in (DAY, MONTH, YEAR):
        moment = moment.replace(hour=0)
    if level in (MONTH, YEAR):
        moment = moment.replace(day=1)
    if level == YEAR:
        moment = moment.replace(month=1)
    return moment


def _next(moment: datetime, level: int) -> datetime:
    if level == HOUR:
        return moment + timedelta(hours=1)
    if level == DAY:
        return moment + timedelta(days=1)
    if level == YEAR:
        return moment.replace(year=moment.year + 1)
    return (moment.replace(day=28) + timedelta(days=4)).replace(day=1)


def _ceil(moment: datetime, level: int) -> datetime:
    floor = _floor(moment, level)
    return floor if floor == moment.astimezone(UTC) else _next(floor, level)


def _before(a: datetime | None, b: datetime | None) -> bool:
    """a < b, where a None start is -infinity and a None end is +infinity."""
    return a is None or b is None or a < b


def split(start: datetime | None, end: datetime | None
          ) -> tuple[list[tuple[int, Span]], list[Span]]:
    """[start, end) as tally spans per level (whole periods) and edges (from the facts)."""
    if start is None and end is None:
        return [(ALL_TIME, (None, None))], []
    low = _ceil(start, HOUR) if start is not None else None
    high = _floor(end, HOUR) if end is not None else None
    if not _before(low, high):  # not one whole hour inside: all of it from the facts
        return [], [(start, end)]
    edges = [s for s in ((start, low), (high, end)) if s[0] != s[1]]
    spans: list[tuple[int, Span]] = []
    top = HOUR
    for level in (DAY, MONTH, YEAR):  # climb while a whole period of the level fits inside
        inner_low = _ceil(low, level) if low is not None else None
        inner_high = _floor(high, level) if high is not None else None
        if not _before(inner_low, inner_high):
            break
        spans += [(_FINER[level], s) for s in ((low, inner_low), (inner_high, high))
                  if s[0] != s[1]]
        low, high, top = inner_low, inner_high, level
    spans.append((top, (low, high)))
    return spans, edges


def _periods(columns: Any, spans: list[tuple[int, Span]]) -> ColumnElement[bool]:
    parts = []
    for level, (low, high) in spans:
        if level == ALL_TIME:
            parts.append(and_(columns.level == ALL_TIME, columns.period == "all"))
            continue
        bounds = [columns.level == level]
        if low is not None:
            bounds.append(columns.period >= low.strftime(_FORMATS[level]))
        if high is not None:
            bounds.append(columns.period < high.strftime(_FORMATS[level]))
        if low is None:
            bounds.append(columns.period != "")  # a report without its call's start
        parts.append(and_(*bounds))
    return or_(*parts) if parts else false()


def _campaigns(column: Any, campaign_ids: Sequence[str | None] | None, tally: bool
               ) -> list[ColumnElement[bool]]:
    if campaign_ids is None:
        return []
    if tally:
        return [column.in_([c or "" for c in campaign_ids])]
    named = [c for c in campaign_ids if c is not None]
    clauses = [column.in_(named)] if named else []
    if None in campaign_ids:
        clauses.append(column.is_(None))
    return [or_(*clauses) if clauses else false()]


def _resolved(session: Session, campaign_ids: Sequence[str | None] | None
              ) -> Sequence[str | None]:
    """Every campaign in the log (and calls to unknown numbers) for "any": the tallies'
    key starts with the campaign, so a list of them is an index range each."""
    if campaign_ids is not None:
        return campaign_ids
    return [*present_campaign_ids(session), None]


def _range(column: Any, span: Span) -> list[ColumnElement[bool]]:
    parts = []
    if span[0] is not None:
        parts.append(column >= span[0])
    if span[1] is not None:
        parts.append(column < span[1])
    return parts


def call_counts(session: Session, campaign_ids: Sequence[str | None] | None,
                start: datetime | None, end: datetime | None) -> Counter[tuple[str, bool]]:
    """Calls of these campaigns (None in the list: calls to unknown numbers; None: every
    call) started in [start, end), by (outcome, chose a category)."""
    spans, edges = split(start, end)
    campaign_ids = _resolved(session, campaign_ids)
    counts: Counter[tuple[str, bool]] = Counter()
    if spans:
        for outcome, chose, calls in session.execute(
                select(CallTally.outcome, CallTally.chose_category, func.sum(CallTally.calls))
                .where(*_campaigns(CallTally.campaign_id, campaign_ids, True),
                       _periods(CallTally, spans))
                .group_by(CallTally.outcome, CallTally.chose_category)):
            counts[(outcome, bool(chose))] += int(calls or 0)
    for edge in edges:
        for outcome, chose, calls in session.execute(
                select(Call.outcome, Call.chose_category, func.count())
                .where(*_campaigns(Call.campaign_id, campaign_ids, False),
                       *_range(Call.started_at, edge))
                .group_by(Call.outcome, Call.chose_category)):
            counts[(outcome, bool(chose))] += calls
    return +counts


def calls_with_value(session: Session, campaign_ids: Sequence[str | None] | None,
                     start: datetime | None, end: datetime | None, dimension: str,
                     value: str) -> Counter[str]:
    """Calls of these campaigns started in [start, end) with at least one report whose
    `dimension` (category or subject) is `value`, by outcome (each call once)."""
    spans, edges = split(start, end)
    campaign_ids = _resolved(session, campaign_ids)
    counts: Counter[str] = Counter()
    if spans:
        for outcome, calls in session.execute(
                select(CallValueTally.outcome, func.sum(CallValueTally.calls))
                .where(*_campaigns(CallValueTally.campaign_id, campaign_ids, True),
                       CallValueTally.dimension == dimension, CallValueTally.value == value,
                       _periods(CallValueTally, spans))
                .group_by(CallValueTally.outcome)):
            counts[outcome] += int(calls or 0)
    column = Report.category if dimension == "category" else Report.subject
    for edge in edges:
        for outcome, calls in session.execute(
                select(Call.outcome, func.count())
                .where(*_campaigns(Call.campaign_id, campaign_ids, False),
                       *_range(Call.started_at, edge),
                       select(Report.id).where(Report.call_id == Call.id, column == value)
                       .exists())
                .group_by(Call.outcome)):
            counts[outcome] += calls
    return +counts


@dataclass
class ReportTotals:
    """Reports whose call started in a window: totals per dimension, and recordings."""

    reports: int = 0
    recorded: int = 0
    recorded_seconds: int = 0
    by: dict[str, Counter[str | None]] = field(default_factory=lambda: {
        "category": Counter(), "subject": Counter(), "follow_up": Counter()})
    seconds: Counter[int] = field(default_factory=Counter)  # recordings by length

    def minus(self, other: ReportTotals) -> ReportTotals:
        return ReportTotals(
            self.reports - other.reports, self.recorded - other.recorded,
            self.recorded_seconds - other.recorded_seconds,
            {name: Counter({k: v - other.by[name][k] for k, v in counted.items()})
             for name, counted in self.by.items()},
            Counter({k: v - other.seconds[k] for k, v in self.seconds.items()}))

    @property
    def median_seconds(self) -> float | None:
        """The median recording's length, from the histogram."""
        count = sum(n for n in self.seconds.values() if n > 0)
        if not count:
            return None
        wanted = [(count - 1) // 2, count // 2]  # the middle one, or the middle two
        found: list[int] = []
        seen = 0
        for length in sorted(k for k, n in self.seconds.items() if n > 0):
            seen += self.seconds[length]
            while wanted and wanted[0] < seen:
                found.append(length)
                wanted.pop(0)
        return sum(found) / len(found)


def report_totals(session: Session, campaign_ids: Sequence[str | None] | None,
                  start: datetime | None, end: datetime | None, *,
                  states_only: bool = False) -> ReportTotals:
    """Reports of calls started in [start, end); `states_only`: the totals and the
    follow-up states alone (the other dimensions' tallies, the recordings' length
    histogram above all, left unread)."""
    spans, edges = split(start, end)
    campaign_ids = _resolved(session, campaign_ids)
    totals = ReportTotals()
    only = [ReportTally.dimension == "follow_up"] if states_only else []
    if spans:
        for dimension, value, reports, recorded, seconds in session.execute(
                select(ReportTally.dimension, ReportTally.value, func.sum(ReportTally.reports),
                       func.sum(ReportTally.recorded), func.sum(ReportTally.recorded_seconds))
                .where(*_campaigns(ReportTally.campaign_id, campaign_ids, True),
                       _periods(ReportTally, spans), *only)
                .group_by(ReportTally.dimension, ReportTally.value)):
            if dimension == "seconds":
                if value:
                    totals.seconds[int(value)] += int(recorded or 0)
                continue
            if reports:
                totals.by[dimension][value or None] += int(reports)
            if dimension == "follow_up":  # every report has one: count it once, here
                totals.reports += int(reports or 0)
                totals.recorded += int(recorded or 0)
                totals.recorded_seconds += int(seconds or 0)
    for edge in edges:
        length = case((RECORDED, Report.recording_seconds), else_=None)
        for category, subject, follow_up, recording, reports, recorded, seconds in \
                session.execute(
                select(Report.category, Report.subject, Report.follow_up, length, func.count(),
                       func.sum(case((RECORDED, 1), else_=0)),
                       func.sum(case((RECORDED, Report.recording_seconds), else_=0)))
                .where(*_campaigns(Report.campaign_id, campaign_ids, False),
                       *_range(Report.call_started_at, edge))
                .group_by(Report.category, Report.subject, Report.follow_up, length)):
            if recording is not None:
                totals.seconds[int(recording)] += int(recorded or 0)
            totals.by["category"][category] += reports
            totals.by["subject"][subject] += reports
            totals.by["follow_up"][follow_up] += reports
            totals.reports += reports
            totals.recorded += int(recorded or 0)
            totals.recorded_seconds += int(seconds or 0)
    return totals


def _backwards(session: Session, campaign_ids: Sequence[str | None], until: datetime
               ) -> bool:
    """Whether "so far, until `until`" is cheaper as all time less what came after: when
    `until` is nearer the newest call than the oldest (a report of today, not of 2023)."""
    # One ordered index read per campaign and end (a min() and a max() in one query, or
    # over an IN list, would scan every call on SQLite).
    ends = []
    for campaign_id in campaign_ids:
        query = select(Call.started_at).where(_campaigns(Call.campaign_id, [campaign_id],
                                                         False)[0]).limit(1)
        ends += [session.scalar(query.order_by(Call.started_at)),
                 session.scalar(query.order_by(Call.started_at.desc()))]
    found = [moment for moment in ends if moment is not None]
    if not found:
        return False
    oldest, newest = min(found), max(found)
    until = until.astimezone(UTC).replace(tzinfo=None)
    oldest, newest = oldest.replace(tzinfo=None), newest.replace(tzinfo=None)
    return newest - until < until - oldest


def call_counts_until(session: Session, campaign_ids: Sequence[str | None],
                      until: datetime) -> Counter[tuple[str, bool]]:
    """call_counts(None, until), read from whichever end of the log is nearer."""
    if not _backwards(session, campaign_ids, until):
        return call_counts(session, campaign_ids, None, until)
    total = call_counts(session, campaign_ids, None, None)
    total.subtract(call_counts(session, campaign_ids, until, None))
    return +total


def report_totals_until(session: Session, campaign_ids: Sequence[str | None],
                        until: datetime, *, states_only: bool = False) -> ReportTotals:
    """report_totals(None, until), read from whichever end of the log is nearer."""
    if not _backwards(session, campaign_ids, until):
        return report_totals(session, campaign_ids, None, until, states_only=states_only)
    return report_totals(session, campaign_ids, None, None, states_only=states_only).minus(
        report_totals(session, campaign_ids, until, None, states_only=states_only))


def overdue_counts(session: Session, campaign_ids: Sequence[str | None] | None,
                   start: datetime | None, end: datetime | None, now: datetime
                   ) -> tuple[int, int, int]:
    """Reports of calls started in [start, end) overdue as of `now`: (late to acknowledge,
    late with feedback, either). Each count reads only the overdue reports (an index range
    on follow-up and due date), never the campaign's others; an office that keeps up
    has few."""
    where = [*_campaigns(Report.campaign_id, campaign_ids, False),
             *_range(Report.call_started_at, (start, end))]
    ack_clause, feedback_clause = overdue_acknowledgement_clause(now), \
        overdue_feedback_clause(now)
    count = select(func.count()).select_from(Report).where(*where)
    ack = session.scalar(count.where(ack_clause)) or 0
    feedback = session.scalar(count.where(feedback_clause)) or 0
    both = session.scalar(count.where(ack_clause, Report.feedback_due < now)) or 0 \
        if ack and feedback else 0
    return ack, feedback, ack + feedback - both

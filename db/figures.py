"""The figures engine: calls by outcome, and reports by category, subject and follow-up
state with their recordings and overdue counts, for any campaigns and window.

The console's statistics and counts (db/calllist), the daily report (reports/figures)
and /metrics (hotline/metrics) all count here, with the same SQL. There are two roads
to one answer: a grouped query over the calls and reports themselves, under any clause
(a search, a category, a follow-up state …), and, for a plain campaign-and-window, the
tallies of db/tallies.py, whose cost does not grow with the log.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    column,
    false,
    func,
    or_,
    select,
    true,
    union,
    values,
)
from sqlalchemy.orm import Session

from db import tallies
from db.base import UTCDateTime
from db.followup import (
    DONE,
    FOLLOW_UPS,
    FollowUp,
    open_at_clause,
    overdue_acknowledgement_clause,
    overdue_at_clause,
    overdue_clause,
    overdue_feedback_clause,
)
from db.models import Call, Report
from db.tally_models import HOUR, CallTally
from db.user_models import User

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


def _of_campaigns(column: Any, campaign_ids: Sequence[str | None]) -> ColumnElement[bool]:
    named = [c for c in campaign_ids if c is not None]
    clauses = [column.in_(named)] if named else []
    if None in campaign_ids:
        clauses.append(column.is_(None))
    return or_(*clauses) if clauses else false()


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def calls_by_hour(session: Session, campaign_ids: Sequence[str | None], start: datetime,
                  end: datetime) -> Counter[tuple[datetime, str]]:
    """Calls of these campaigns (None: calls to unknown numbers) started in [start, end),
    by (UTC hour, outcome). The whole hours are read from the hourly tallies (a row per
    hour, campaign and outcome that had calls), the partial hours at the edges from the
    calls (under an hour each): the cost follows the window, not the log."""
    low = _hour(start) if _hour(start) == start.astimezone(UTC) else _hour(start) + _ONE_HOUR
    high = _hour(end)
    counts: Counter[tuple[datetime, str]] = Counter()
    if low < high:
        edges = [(start, low), (high, end)]
        for period, outcome, calls in session.execute(
                select(CallTally.period, CallTally.outcome, func.sum(CallTally.calls))
                .where(CallTally.campaign_id.in_([c or "" for c in campaign_ids]),
                       CallTally.level == HOUR, CallTally.period >= low.strftime(_HOUR_KEY),
                       CallTally.period < high.strftime(_HOUR_KEY))
                .group_by(CallTally.period, CallTally.outcome)):
            hour = datetime.fromisoformat(f"{period}:00").replace(tzinfo=UTC)
            counts[(hour, outcome)] += int(calls or 0)
    else:  # inside one hour, or across one boundary between two
        edges = [(start, min(low, end)), (low, end)]
    for edge_start, edge_end in edges:
        if edge_start >= edge_end:
            continue
        for outcome, calls in session.execute(
                select(Call.outcome, func.count())
                .where(_of_campaigns(Call.campaign_id, campaign_ids),
                       Call.started_at >= edge_start, Call.started_at < edge_end)
                .group_by(Call.outcome)):
            counts[(_hour(edge_start), outcome)] += calls
    return +counts


_ONE_HOUR = timedelta(hours=1)
_HOUR_KEY = "%Y-%m-%d %H"  # the hourly tallies' period (db/tally_models.py)


def follow_ups_at(session: Session, campaign_ids: Sequence[str | None],
                  moments: Sequence[datetime]) -> list[tuple[int, int]]:
    """(open, overdue) reports of these campaigns as they stood at each of `moments`
    (ascending), by db/followup's open_at and overdue_at rules.

    Open at a moment = the reports open now whose call began before it (the report
    tallies, per state: a few rows a day) + those referred or closed since. Overdue,
    and the latter, come from one aggregate over the only reports that can change within
    the window: done since the first moment, falling due inside it, or moved on since
    the first (an index range each). A report open now and already late at the first
    moment is overdue at every moment: those are counted once, from the overdue indexes,
    not aggregated per moment (an office's long-overdue reports pile up with its
    history; at a million calls, four thousand of them made this 275 ms)."""
    if not moments:
        return []
    ids = list(campaign_ids)
    still_open = [s.value for s in FOLLOW_UPS if s not in DONE]
    done = [s.value for s in DONE]

    def open_now(totals: tallies.ReportTotals) -> int:
        return sum(totals.by["follow_up"].get(state, 0) for state in still_open)

    open_by_start = [open_now(tallies.report_totals_until(session, ids, moments[0],
                                                          states_only=True))]
    for before, moment in itertools.pairwise(moments):
        open_by_start.append(open_by_start[-1] + open_now(
            tallies.report_totals(session, ids, before, moment, states_only=True)))
    first, last = moments[0], moments[-1]
    campaigns = _of_campaigns(Report.campaign_id, ids)
    # Open now and late at the first moment: overdue throughout (see overdue_at_clause).
    late_feedback = overdue_feedback_clause(first)
    late_acknowledgement = and_(overdue_acknowledgement_clause(first),
                                Report.acknowledged_at.is_(None))
    steady = or_(late_feedback, late_acknowledgement)
    always_overdue = sum(session.scalar(select(func.count()).select_from(Report).where(
        clause, campaigns)) or 0 for clause in (late_feedback,
                                                and_(late_acknowledgement, ~late_feedback)))
    candidates = union(
        select(Report.id).where(Report.follow_up.in_(done), Report.follow_up_at > first),
        select(Report.id).where(Report.follow_up == FollowUp.NEW.value,
                                Report.acknowledge_due >= first, Report.acknowledge_due < last),
        select(Report.id).where(Report.follow_up == FollowUp.NEW.value,
                                Report.acknowledge_due < first,
                                Report.acknowledged_at.is_not(None)),
        select(Report.id).where(Report.follow_up.in_(still_open), Report.follow_up_at > first),
        select(Report.id).where(Report.follow_up.in_(still_open), Report.feedback_due >= first,
                                Report.feedback_due < last))
    # The moments as a VALUES list joined to the candidates: one small statement to
    # compile and run, however many days are charted.
    at = values(column("at", UTCDateTime()), name="moments").data(
        [(m,) for m in moments]).cte("moments")  # WITH moments(at) AS (VALUES …): SQLite too
    counted = session.execute(
        select(at.c.at, _count_if(and_(Report.follow_up.in_(done), open_at_clause(at.c.at))),
               _count_if(overdue_at_clause(at.c.at)))
        .select_from(Report).join(at, true())
        .where(Report.id.in_(select(candidates.subquery().c.id)), campaigns, ~steady)
        .group_by(at.c.at))
    late = {moment: (int(reopened or 0), int(overdue or 0))
            for moment, reopened, overdue in counted}
    return [(open_by_start[n] + late.get(moment, (0, 0))[0],
             always_overdue + late.get(moment, (0, 0))[1])
            for n, moment in enumerate(moments)]


def listed_reports(session: Session, reports: ColumnElement[bool], limit: int
                   ) -> list[tuple[str, str | None]]:
    """The first `limit` reports under `reports`, as made: (reference, category)."""
    return [(reference, category) for reference, category in session.execute(
        select(Report.reference, Report.category).where(reports)
        .order_by(Report.created_at, Report.id).limit(limit))]


def overdue_by_assignee(session: Session, campaign_ids: Sequence[str | None], now: datetime
                        ) -> dict[str | None, int]:
    """Reports of these campaigns overdue as of `now` (either clock, counted once), by
    their assignee's name (None: nobody's yet). Reads only the overdue reports, each
    clock from its own index, which carries the assignee (migration 0020): late to
    acknowledge, then late with feedback but not also late to acknowledge."""
    campaigns = _of_campaigns(Report.campaign_id, campaign_ids)
    late_acknowledgement = overdue_acknowledgement_clause(now)
    by_id: Counter[int | None] = Counter()
    # Grouped on an expression, not the bare column: SQLite would otherwise walk the
    # assignee index in group order over every open report (20 ms at a million calls)
    # rather than the overdue index's range. Ids start at 1, so 0 stands for nobody.
    assignee = func.coalesce(Report.assignee_id, 0)
    for clause in (late_acknowledgement,
                   and_(overdue_feedback_clause(now), ~late_acknowledgement)):
        for assignee_id, count in session.execute(
                select(assignee, func.count()).where(campaigns, clause).group_by(assignee)):
            by_id[assignee_id or None] += count
    named = [i for i in by_id if i is not None]
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(named)))
                 .tuples().all()) if named else {}
    found: Counter[str | None] = Counter()
    for assignee_id, count in by_id.items():
        found[names.get(assignee_id) if assignee_id is not None else None] += count
    return dict(found)

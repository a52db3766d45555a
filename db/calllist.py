"""The console's call list: filters, keyset pages, counts per outcome, the filtered export.

Pages are keyset pages on (started_at, id), newest first: a page is one
index range scan however deep it is, so the hundredth page of a million calls
costs what the first does. Counts are one GROUP BY in the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, literal, or_, select, true, tuple_
from sqlalchemy.orm import Session, selectinload

from db import figures, scope, tallies
from db.followup import overdue_clause
from db.models import Call, Report
from db.queries import Window, concrete_windows, windows_clause

Cursor = tuple[datetime, int]  # (started_at, id) of a call


@dataclass(frozen=True)
class CallFilter:
    """What the operator asked for; every field None means 'any'."""

    windows: Sequence[Window] | None = None  # campaign and local date range, as UTC windows
    outcome: str | None = None
    category: str | None = None
    subject: str | None = None
    follow_up: str | None = None   # a follow-up status, or "overdue"
    in_scope: bool | None = None   # False: messages left after a referral, to pass on
    assignee_id: int | None = None
    from_numbers: tuple[str, ...] = ()  # any of these caller numbers
    reference: str | None = None
    call_ids: tuple[int, ...] | None = None  # only these calls (a resolved search)
    now: datetime | None = None    # what "overdue" is measured against
    # The campaigns the user may see (db/scope.py); None: every campaign. Every function
    # here applies it first (`_scoped`), so no list, count or export can leave it out.
    visible_campaigns: frozenset[str] | None = None


def _scoped(where: CallFilter) -> CallFilter:
    if where.visible_campaigns is None:
        return where
    return replace(where, windows=scope.within(where.windows, where.visible_campaigns),
                   visible_campaigns=None)


@dataclass(frozen=True)
class Page:
    calls: list[Call]
    older: Cursor | None  # cursor for the next (older) page, None on the last
    newer: Cursor | None  # cursor for the previous (newer) page, None on the first


def _report_clauses(where: CallFilter) -> list[ColumnElement[bool]]:
    parts: list[ColumnElement[bool]] = []
    if where.category:
        parts.append(Report.category == where.category)
    if where.subject:
        parts.append(Report.subject == where.subject)
    if where.follow_up == "overdue":
        if where.now is None:
            raise ValueError("an overdue filter needs `now`")
        parts.append(overdue_clause(where.now))
    elif where.follow_up:
        parts.append(Report.follow_up == where.follow_up)
    if where.assignee_id is not None:
        parts.append(Report.assignee_id == where.assignee_id)
    if where.in_scope is not None:
        parts.append(Report.in_scope.is_(where.in_scope))
    if where.reference:
        parts.append(Report.reference == where.reference)
    return parts


def _call_clauses(where: CallFilter, *, with_outcome: bool = True, ordered: bool = False
                  ) -> list[ColumnElement[bool]]:
    parts: list[ColumnElement[bool]] = []
    if where.windows is not None and not where.windows:
        parts.append(false())  # a scope with none of the chosen campaigns in it
    elif where.windows is not None:
        parts.append(windows_clause(where.windows, ordered=ordered))
    if with_outcome and where.outcome:
        parts.append(Call.outcome == where.outcome)
    if where.call_ids is not None:
        parts.append(Call.id.in_(where.call_ids))
    if where.from_numbers:
        parts.append(Call.from_number.in_(where.from_numbers))
    report_parts = _report_clauses(where)
    if report_parts and where.windows:
        # Reports carry their call's campaign and start: the matching reports are then
        # those of the window alone, not of the whole history (SQLite lists them all first).
        report_parts.append(_report_windows(where.windows))
    if report_parts and ordered and (where.category or where.subject):
        # A page of a category or a subject (each a sizable share of the reports): walk the
        # calls newest first and probe each one's reports (uq_reports_call_number) until
        # the page is full. The IN below would list every matching report of the history
        # and sort them first (SQLite): 0.4 s at a million calls instead of milliseconds.
        parts.append(select(Report.id).where(Report.call_id == Call.id, *report_parts)
                     .exists())
    elif report_parts:
        # One report must match every report filter (not one report each). One IN over
        # the matching reports, not an EXISTS probed for every call: rare values (an
        # assignee, overdue) and counts, which read every match anyway.
        parts.append(Call.id.in_(select(Report.call_id).where(*report_parts)))
    return parts


def _call_clause(where: CallFilter, *, with_outcome: bool = True
                 ) -> ColumnElement[bool] | None:
    parts = _call_clauses(where, with_outcome=with_outcome)
    return and_(*parts) if parts else None


def _filtered(query: Select[Any], where: CallFilter, *, with_outcome: bool = True,
              ordered: bool = False) -> Select[Any]:
    return query.where(*_call_clauses(where, with_outcome=with_outcome, ordered=ordered))


def _report_windows(windows: Sequence[Window]) -> ColumnElement[bool]:
    """windows_clause over the reports' copies of their call's campaign and start."""
    clauses = []
    for window in windows:
        if window.others_than is not None:
            campaign = (or_(Report.campaign_id.is_(None),
                            Report.campaign_id.not_in(window.others_than))
                        if window.others_than else true())
        else:
            campaign = (Report.campaign_id.is_(None) if window.campaign_id is None
                        else Report.campaign_id == window.campaign_id)
        parts = [campaign]
        if window.start is not None:
            parts.append(Report.call_started_at >= window.start)
        if window.end is not None:
            parts.append(Report.call_started_at < window.end)
        clauses.append(and_(*parts))
    return or_(*clauses)


def resolve_search(session: Session, where: CallFilter) -> CallFilter:
    """Turn a searched reference into its call's id (one index lookup, so the list is a
    primary-key fetch, not a walk over every call); when no report has that reference,
    search the caller numbers the text may also be."""
    if where.reference is None and not where.from_numbers:
        return where
    if where.reference is not None:
        call_id = session.scalar(select(Report.call_id)
                                 .where(Report.reference == where.reference))
        if call_id is not None:
            return replace(where, call_ids=(call_id,), from_numbers=())
    return replace(where, reference=None, call_ids=None if where.from_numbers else ())


def _key(cursor: Cursor) -> ColumnElement[tuple[datetime, int]]:
    return tuple_(literal(cursor[0], Call.started_at.type), literal(cursor[1]))


def page(session: Session, where: CallFilter, *, older_than: Cursor | None = None,
         newer_than: Cursor | None = None, size: int = 50) -> Page:
    """One page of calls newest first, with their reports loaded."""
    where = _scoped(where)
    key = tuple_(Call.started_at, Call.id)
    query = _filtered(select(Call).options(selectinload(Call.reports)), where, ordered=True)
    if newer_than is not None:
        # Walk forwards from the cursor, then show the page newest first again.
        rows = list(session.scalars(query.where(key > _key(newer_than))
                                    .order_by(Call.started_at, Call.id).limit(size + 1)))
        more_newer = len(rows) > size
        calls = list(reversed(rows[:size]))
        has_older = True
        has_newer = more_newer
    else:
        if older_than is not None:
            query = query.where(key < _key(older_than))
        rows = list(session.scalars(query.order_by(Call.started_at.desc(), Call.id.desc())
                                    .limit(size + 1)))
        calls = rows[:size]
        has_older = len(rows) > size
        has_newer = older_than is not None
    return Page(
        calls=calls,
        older=(calls[-1].started_at, calls[-1].id) if calls and has_older else None,
        newer=(calls[0].started_at, calls[0].id) if calls and has_newer else None,
    )


def _for_counting(session: Session, where: CallFilter) -> CallFilter:
    # Counts read the covering campaign indexes, which need campaign_id equalities; the
    # ordered reads (pages, export) are better off with the catch-all as it is.
    if where.windows is None:
        return where
    return replace(where, windows=concrete_windows(session, where.windows))


def _by_window_only(where: CallFilter) -> bool:
    """Only campaigns and dates are filtered: the tallies hold the answer."""
    return (not where.from_numbers and where.call_ids is None and not _report_clauses(where))


def _tally_windows(where: CallFilter) -> list[tuple[list[str | None] | None, Window | None]]:
    if where.windows is None:
        return [(None, None)]
    return [([window.campaign_id], window) for window in where.windows]


def _by_window_and_one_value(where: CallFilter) -> tuple[str, str] | None:
    """(dimension, value) when only campaigns, dates and one category or one subject are
    filtered: the value tallies hold the answer."""
    if (where.from_numbers or where.call_ids is not None
            or _report_clauses(replace(where, category=None, subject=None))):
        return None
    if where.category and not where.subject:
        return "category", where.category
    if where.subject and not where.category:
        return "subject", where.subject
    return None


def outcome_counts(session: Session, where: CallFilter) -> dict[str, int]:
    """Calls per outcome for the filter, whatever outcome it picks (so all stay visible)."""
    where = _for_counting(session, _scoped(where))
    valued = _by_window_and_one_value(where)
    if not _by_window_only(where) and valued is None:
        return figures.calls_by_outcome(session, _call_clause(where, with_outcome=False))
    counts: Counter[str] = Counter()
    for campaign_ids, window in _tally_windows(where):
        start, end = (window.start, window.end) if window else (None, None)
        if valued is not None:
            counts.update(tallies.calls_with_value(session, campaign_ids, start, end, *valued))
        else:
            for (outcome, _chose), count in tallies.call_counts(
                    session, campaign_ids, start, end).items():
                counts[outcome] += count
    return dict(counts)


def iter_filtered(session: Session, where: CallFilter, batch: int = 1000) -> Iterator[Call]:
    """Every call of the filter oldest first (the export's order), streamed in batches."""
    where = _scoped(where)
    query = _filtered(select(Call).options(selectinload(Call.reports)), where, ordered=True) \
        .order_by(Call.started_at, Call.id)
    for partition in session.execute(query.execution_options(yield_per=batch)).scalars() \
            .partitions():
        yield from partition


def call_for_reference(session: Session, reference: str) -> Call | None:
    return session.scalar(select(Call).join(Report).where(Report.reference == reference))


@dataclass(frozen=True)
class ReportFigures:
    by_category: dict[str | None, int]
    by_follow_up: dict[str, int]
    overdue: int
    by_subject: dict[str | None, int] = field(default_factory=dict)


def _unfiltered(where: CallFilter) -> bool:
    return (where.windows is None and not where.outcome and not where.from_numbers
            and where.call_ids is None and not _report_clauses(where))


def report_figures(session: Session, where: CallFilter, now: datetime) -> ReportFigures:
    """Reports of the filtered calls: per category, per follow-up status, and overdue.

    From the tallies when only campaigns and dates are filtered; else one grouped query
    over the reports alone when nothing is filtered, or joined to their filtered calls.
    """
    where = _for_counting(session, _scoped(where))
    if _by_window_only(where) and not where.outcome:
        counts = figures.ReportCounts()
        for campaign_ids, window in _tally_windows(where):
            counts.add(figures.tallied_report_counts(
                session, campaign_ids, window.start if window else None,
                window.end if window else None, now))
    else:
        calls = None if _unfiltered(where) else _call_clause(where)
        counts = figures.report_counts(session, None, now, calls=calls)
    return ReportFigures(dict(counts.by["category"]),
                         {state: n for state, n in counts.by["follow_up"].items()
                          if state is not None and n}, counts.overdue,
                         dict(counts.by["subject"]))

"""Reads of the call log for the export and the console."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from db.models import Call, Report


@dataclass(frozen=True)
class Window:
    """Calls of one campaign (None: calls to unknown numbers) started in [start, end).

    With `others_than`, the window holds calls to unknown numbers and calls of every
    campaign not in that list (campaign_id must then be None).
    """

    campaign_id: str | None
    start: datetime | None
    end: datetime | None
    others_than: tuple[str, ...] | None = None


def windows_clause(windows: Sequence[Window], *, ordered: bool = False
                   ) -> ColumnElement[bool]:
    """Calls inside any of `windows` (also used by the console's call list).

    `ordered`: the query reads calls in started_at order. Then, when every window has a
    start (an end), the earliest start (latest end) is also added on its own: an OR
    across campaigns hides the range from the planner, which can then walk the
    started_at index in order instead of sorting every match. (Counts are better off
    without it: the covering campaign indexes serve them.)
    """
    clauses = []
    for window in windows:
        if window.others_than is not None:
            campaign = (or_(Call.campaign_id.is_(None),
                            Call.campaign_id.not_in(window.others_than))
                        if window.others_than else true())
        else:
            campaign = (Call.campaign_id.is_(None) if window.campaign_id is None
                        else Call.campaign_id == window.campaign_id)
        parts = [campaign]
        if window.start is not None:
            parts.append(Call.started_at >= window.start)
        if window.end is not None:
            parts.append(Call.started_at < window.end)
        clauses.append(and_(*parts))
    starts = [w.start for w in windows if w.start is not None]
    ends = [w.end for w in windows if w.end is not None]
    bounds = []
    if ordered and windows and len(starts) == len(windows):
        bounds.append(Call.started_at >= min(starts))
    if ordered and windows and len(ends) == len(windows):
        bounds.append(Call.started_at < max(ends))
    return and_(*bounds, or_(*clauses))


def campaign_ids(session: Session) -> list[str]:
    """The distinct campaign ids in the call log: one index seek each (a skip scan over
    the campaign index), however many calls there are."""
    found: list[str] = []
    while True:
        query = select(func.min(Call.campaign_id))
        if found:
            query = query.where(Call.campaign_id > found[-1])
        following = session.scalar(query)
        if following is None:
            return found
        found.append(following)


def concrete_windows(session: Session, windows: Sequence[Window] | None
                     ) -> list[Window] | None:
    """`windows` with each catch-all (others_than) spelt out: calls to unknown numbers,
    and one window per campaign in the log that is not configured. Equalities on
    campaign_id let each window use the covering campaign indexes; NOT IN cannot."""
    if windows is None:
        return None
    if all(window.others_than is None for window in windows):
        return list(windows)
    present: list[str] | None = None
    spelt: list[Window] = []
    for window in windows:
        if window.others_than is None:
            spelt.append(window)
            continue
        present = campaign_ids(session) if present is None else present
        spelt.append(Window(None, window.start, window.end))
        spelt += [Window(campaign_id, window.start, window.end) for campaign_id in present
                  if campaign_id not in window.others_than]
    return spelt


def iter_calls(session: Session, windows: Sequence[Window] | None = None,
               batch: int = 1000) -> Iterator[Call]:
    """Calls oldest first with their reports, streamed in batches (fine at a million rows)."""
    query = select(Call).options(selectinload(Call.reports).selectinload(Report.additions)
                                 ).order_by(Call.started_at, Call.id)
    if windows is not None:
        query = query.where(windows_clause(windows, ordered=True))
    for partition in session.execute(query.execution_options(yield_per=batch)).scalars() \
            .partitions():
        yield from partition

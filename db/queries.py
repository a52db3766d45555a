"""Reads of the call log for the export and the console."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from db.models import Call


@dataclass(frozen=True)
class Window:
    """Calls of one campaign (None: calls to unknown numbers) started in [start, end)."""

    campaign_id: str | None
    start: datetime | None
    end: datetime | None


def windows_clause(windows: Sequence[Window]) -> ColumnElement[bool]:
    """Calls inside any of `windows` (also used by the console's call list)."""
    clauses = []
    for window in windows:
        parts = [Call.campaign_id.is_(None) if window.campaign_id is None
                 else Call.campaign_id == window.campaign_id]
        if window.start is not None:
            parts.append(Call.started_at >= window.start)
        if window.end is not None:
            parts.append(Call.started_at < window.end)
        clauses.append(and_(*parts))
    return or_(*clauses)


def iter_calls(session: Session, windows: Sequence[Window] | None = None,
               batch: int = 1000) -> Iterator[Call]:
    """Calls oldest first with their reports, streamed in batches (fine at a million rows)."""
    query = select(Call).options(selectinload(Call.reports)).order_by(Call.started_at, Call.id)
    if windows is not None:
        query = query.where(windows_clause(windows))
    for partition in session.execute(query.execution_options(yield_per=batch)).scalars() \
            .partitions():
        yield from partition

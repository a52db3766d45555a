"""The case officer's inbox: queues of reports, their counts, keyset pages, and due clocks.

Every queue is a WHERE clause over reports alone (no join to calls), read through the
indexes of migration 0017 and of the overdue rules (db/followup.py). A page is a keyset
page on (created_at, id), so the hundredth page costs what the first does, and a count
stops at COUNT_CAP: its cost is bounded however long the history grows.

A campaign whose follow-up period is over (`Campaign.followup_ends` has passed) is
"wound up": its unfinished reports are past every deadline for good, so they are not
counted as overdue or due soon, and their rows say so quietly instead of in red.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from campaign.model import Campaign
from db.followup import (
    DONE,
    FOLLOW_UPS,
    FollowUp,
    overdue_acknowledgement_clause,
    overdue_clause,
    overdue_feedback_clause,
)
from db.models import Call, Report

DUE_SOON = timedelta(days=2)
COUNT_CAP = 999  # counts above this show as "999+"
OPEN_STATES = tuple(s.value for s in FOLLOW_UPS if s not in DONE)

Cursor = tuple[datetime, int]  # (created_at, id) of a report


class Queue(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NEW_INFO = "new_info"
    ALL = "all"


QUEUES = tuple(Queue)
# Deadlines are worked oldest first; the other queues show the newest first.
OLDEST_FIRST = frozenset({Queue.DUE_SOON, Queue.OVERDUE})


@dataclass(frozen=True)
class Viewer:
    """Whose inbox it is, and when: what every queue is measured against."""

    user_id: int
    now: datetime
    wound_up: tuple[str, ...] = ()  # campaigns whose follow-up period is over
    campaigns: frozenset[str] | None = None  # the campaigns they may see (db/scope.py)


def wound_up(campaigns: Iterable[Campaign], now: datetime) -> tuple[str, ...]:
    """The campaigns whose follow-up period is over on their own calendar today."""
    return tuple(c.id for c in campaigns if now.astimezone(c.timezone).date() > c.followup_ends)


def _live(viewer: Viewer) -> ColumnElement[bool]:
    if not viewer.wound_up:
        return true()
    return or_(Report.campaign_id.is_(None), Report.campaign_id.not_in(viewer.wound_up))


def _visible(viewer: Viewer) -> ColumnElement[bool]:
    """Only the reports of the campaigns the viewer may see (every one when unlimited)."""
    if viewer.campaigns is None:
        return true()
    return Report.campaign_id.in_(sorted(viewer.campaigns))


def queue_clause(queue: Queue, viewer: Viewer) -> ColumnElement[bool]:
    """The reports of `queue` for `viewer`, as SQL over reports."""
    return and_(_queue_clause(queue, viewer), _visible(viewer))


def _queue_clause(queue: Queue, viewer: Viewer) -> ColumnElement[bool]:
    is_open = Report.follow_up.in_(OPEN_STATES)
    if queue is Queue.MINE:
        return and_(Report.assignee_id == viewer.user_id, is_open)
    if queue is Queue.UNASSIGNED:
        return and_(Report.assignee_id.is_(None), is_open)
    if queue is Queue.OVERDUE:
        return and_(overdue_clause(viewer.now), _live(viewer))
    if queue is Queue.DUE_SOON:
        return and_(_due_soon_clause(viewer.now), _live(viewer))
    if queue is Queue.NEW_INFO:
        return Report.new_info_at.is_not(None)
    return true()


def _due_soon_clause(now: datetime) -> ColumnElement[bool]:
    """Late by the time the next two days are over, but not late yet: the "overdue" rule
    measured two days ahead, less the reports late already. Written as the two clocks'
    date ranges (each an index range on its overdue index), not as overdue-then-not,
    which read every report already late (an office's backlog grows with its history)
    to keep none of them. A missing due date is never late."""
    soon = now + DUE_SOON
    return or_(
        and_(Report.follow_up == FollowUp.NEW.value, Report.acknowledge_due >= now,
             Report.acknowledge_due < soon, not_(overdue_feedback_clause(now))),
        and_(Report.follow_up.in_(OPEN_STATES), Report.feedback_due >= now,
             Report.feedback_due < soon, not_(overdue_acknowledgement_clause(now))))


def count(session: Session, queue: Queue, viewer: Viewer) -> int:
    """How many reports `queue` holds, up to COUNT_CAP + 1 (then shown as "999+")."""
    capped = select(literal(1)).select_from(Report).where(queue_clause(queue, viewer)) \
        .limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def counts(session: Session, viewer: Viewer) -> dict[Queue, int]:
    return {queue: count(session, queue, viewer) for queue in QUEUES}


def new_reports(session: Session, viewer: Viewer) -> int:
    """Reports nobody has acknowledged yet (the browser tab's count), capped like a queue."""
    capped = select(literal(1)).select_from(Report).where(
        Report.follow_up == FollowUp.NEW.value, _live(viewer), _visible(viewer)
    ).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


@dataclass(frozen=True)
class Page:
    reports: list[Report]
    after: Cursor | None  # the next page's cursor; None on the last page


def _assignee_clause(queue: Queue, viewer: Viewer) -> ColumnElement[bool] | None:
    if queue is Queue.MINE:
        return Report.assignee_id == viewer.user_id
    if queue is Queue.UNASSIGNED:
        return Report.assignee_id.is_(None)
    return None


def page(session: Session, queue: Queue, viewer: Viewer, *, after: Cursor | None = None,
         size: int = 50) -> Page:
    """One page of the queue, in the queue's order, from after `after`."""
    key = tuple_(Report.created_at, Report.id)
    ascending = queue in OLDEST_FIRST
    keyset = []
    if after is not None:
        bound = tuple_(literal(after[0], Report.created_at.type), literal(after[1]))
        keyset.append(key > bound if ascending else key < bound)
    order = (Report.created_at, Report.id) if ascending else (Report.created_at.desc(),
                                                             Report.id.desc())
    assignee = _assignee_clause(queue, viewer)
    if assignee is not None:
        rows = _by_assignee(session, and_(assignee, _visible(viewer)), keyset, size + 1)
    elif queue is Queue.DUE_SOON:
        rows = _due_soon(session, viewer, after, size + 1)
    else:
        query = select(Report).where(queue_clause(queue, viewer), *keyset)
        rows = list(session.scalars(query.order_by(*order).limit(size + 1)))
    shown = rows[:size]
    more = len(rows) > size and shown
    return Page(shown, (shown[-1].created_at, shown[-1].id) if more else None)


def _due_soon(session: Session, viewer: Viewer, after: Cursor | None, limit: int
              ) -> list[Report]:
    """Oldest first among the reports due within two days: read through the due-date
    indexes into a materialised set (two days' reports at most), then ordered; walking
    the creation order instead would pass the whole history before the first one due."""
    due = select(Report.id, Report.created_at).where(
        queue_clause(Queue.DUE_SOON, viewer)).cte("due_soon").prefix_with("MATERIALIZED")
    query = select(due.c.id)
    if after is not None:
        query = query.where(tuple_(due.c.created_at, due.c.id) > tuple_(
            literal(after[0], Report.created_at.type), literal(after[1])))
    ids = list(session.scalars(query.order_by(due.c.created_at, due.c.id).limit(limit)))
    return _in_order(session, ids)


def _in_order(session: Session, ids: list[int]) -> list[Report]:
    found = {r.id: r for r in session.scalars(select(Report).where(Report.id.in_(ids)))}
    return [found[i] for i in ids]


def _by_assignee(session: Session, assignee: ColumnElement[bool],
                 keyset: list[ColumnElement[bool]], limit: int) -> list[Report]:
    """Newest first among an assignee's (or nobody's) open reports: one short range of
    ix_reports_assignee_open per open state, merged, so an officer with no open work, or
    an office that closes its reports, never walks the whole history."""
    ranges = [select(Report.id, Report.created_at)
              .where(assignee, Report.follow_up == state, *keyset)
              .order_by(Report.created_at.desc(), Report.id.desc()).limit(limit).subquery()
              for state in OPEN_STATES]
    merged = union_all(*(select(r.c.id, r.c.created_at) for r in ranges)).subquery()
    ids = list(session.scalars(select(merged.c.id).order_by(
        merged.c.created_at.desc(), merged.c.id.desc()).limit(limit)))
    return _in_order(session, ids)


def neighbours(session: Session, queue: Queue, viewer: Viewer, report: Report
               ) -> tuple[str | None, str | None]:
    """The references before and after `report` in the queue's order (j/k on its page)."""
    key = tuple_(Report.created_at, Report.id)
    here = tuple_(literal(report.created_at, Report.created_at.type), literal(report.id))
    ascending = queue in OLDEST_FIRST
    base = select(Report.reference).where(queue_clause(queue, viewer))
    later = session.scalar(base.where(key > here)
                           .order_by(Report.created_at, Report.id).limit(1))
    earlier = session.scalar(base.where(key < here)
                             .order_by(Report.created_at.desc(), Report.id.desc()).limit(1))
    return (earlier, later) if ascending else (later, earlier)


def call_sids(session: Session, reports: Sequence[Report]) -> dict[int, str]:
    """Each report's call SID (the report's page is its call's), in one read."""
    ids = {r.call_id for r in reports}
    if not ids:
        return {}
    return {call_id: sid for call_id, sid in session.execute(
        select(Call.id, Call.call_sid).where(Call.id.in_(ids)))}


def open_references(session: Session, references: Sequence[str], viewer: Viewer
                    ) -> list[Report]:
    """The named reports the viewer may see (a bulk action's selection), in the order
    named; another campaign's reference is left out, as if it did not exist."""
    wanted = list(dict.fromkeys(references))
    found = {r.reference: r for r in session.scalars(
        select(Report).where(Report.reference.in_(wanted), _visible(viewer)))}
    return [found[ref] for ref in wanted if ref in found]


@dataclass(frozen=True)
class DueClock:
    """What a row says of its next deadline: `days` ahead (negative: late by)."""

    kind: str          # "due", "today", "overdue", "lapsed" (wound up), "done", "none"
    days: int = 0
    which: str = ""    # "acknowledge" or "feedback": the deadline that is next


def due_clock(report: Report, now: datetime, zone: tzinfo | None = None, *,
              wound_up: bool = False) -> DueClock:
    """The report's next deadline in whole local days: "due in 3 days", "due today",
    "overdue by 4 days". `zone` is the campaign's (days are counted
    on its calendar); a finished report has no clock."""
    if report.follow_up in {s.value for s in DONE}:
        return DueClock("done")
    if report.follow_up == FollowUp.NEW.value and report.acknowledge_due is not None:
        deadline, which = report.acknowledge_due, "acknowledge"
    elif report.feedback_due is not None:
        deadline, which = report.feedback_due, "feedback"
    else:
        return DueClock("none")
    days = (deadline.astimezone(zone).date() - now.astimezone(zone).date()).days
    if deadline < now:
        return DueClock("lapsed" if wound_up else "overdue", max(-days, 0), which)
    if days <= 0:
        return DueClock("today", 0, which)
    return DueClock("due", days, which)

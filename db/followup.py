"""Following a report up: its statuses, the moves between them, notes and assignment.

The rules live here, once, for the console and anything else that moves a
report along. Every change also appends a ReportActivity row, so a report's
history is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from db.engine import rows_changed
from db.models import Report
from db.user_models import ReportActivity, User


class FollowUp(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_REVIEW = "in_review"
    REFERRED = "referred"
    CLOSED = "closed"


FOLLOW_UPS = tuple(FollowUp)
DONE = frozenset({FollowUp.REFERRED, FollowUp.CLOSED})

# new → acknowledged → in_review → referred | closed. An acknowledged report may be
# referred or closed at once (a matter plainly for another body); a finished one can
# be reopened for review when something new comes in.
TRANSITIONS: dict[FollowUp, tuple[FollowUp, ...]] = {
    FollowUp.NEW: (FollowUp.ACKNOWLEDGED,),
    FollowUp.ACKNOWLEDGED: (FollowUp.IN_REVIEW, FollowUp.REFERRED, FollowUp.CLOSED),
    FollowUp.IN_REVIEW: (FollowUp.REFERRED, FollowUp.CLOSED),
    FollowUp.REFERRED: (FollowUp.IN_REVIEW,),
    FollowUp.CLOSED: (FollowUp.IN_REVIEW,),
}
# A message left after a referral is already known to belong elsewhere: it may be passed
# on (referred, with a note of where it went) straight away.
OUT_OF_SCOPE_TRANSITIONS: dict[FollowUp, tuple[FollowUp, ...]] = {
    FollowUp.NEW: (FollowUp.REFERRED, FollowUp.ACKNOWLEDGED),
}
NEEDS_REASON = frozenset({FollowUp.REFERRED, FollowUp.CLOSED})
MAX_REASON = 500
MAX_NOTE = 4000


class FollowUpError(ValueError):
    """A move the rules do not allow; `code` names it for the interface's message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def allowed_moves(current: str, in_scope: bool = True) -> tuple[FollowUp, ...]:
    """Where a report in status `current` may go; an out-of-scope one may be referred at once."""
    try:
        state = FollowUp(current)
    except ValueError:
        return ()
    if not in_scope and state in OUT_OF_SCOPE_TRANSITIONS:
        return OUT_OF_SCOPE_TRANSITIONS[state]
    return TRANSITIONS[state]


def change_status(session: Session, report: Report, to: str, *, expected: str, actor: User,
                  at: datetime, reason: str | None = None) -> ReportActivity:
    """Move `report` from `expected` to `to`; refuse when someone moved it meanwhile.

    The UPDATE is conditional on the status the user saw, so two operators acting on
    the same report at once cannot both succeed.
    """
    try:
        target = FollowUp(to)
    except ValueError:
        raise FollowUpError("unknown_status", f"no follow-up status {to!r}") from None
    if report.follow_up != expected:
        raise FollowUpError("stale", "the report's status changed meanwhile")
    if target not in allowed_moves(expected, report.in_scope):
        raise FollowUpError("not_allowed", f"a report cannot go from {expected} to {target}")
    reason = (reason or "").strip() or None
    if target in NEEDS_REASON and not reason:
        raise FollowUpError("reason_required", f"{target} needs a reason")
    if reason and len(reason) > MAX_REASON:
        raise FollowUpError("too_long", f"the reason is longer than {MAX_REASON} characters")
    values: dict[str, object] = {"follow_up": target.value, "follow_up_at": at,
                                 "follow_up_reason": reason if target in NEEDS_REASON else None}
    if target is FollowUp.ACKNOWLEDGED:
        values["acknowledged_at"] = at
    done = session.execute(
        update(Report).where(Report.id == report.id, Report.follow_up == expected)
        .values(**values).execution_options(synchronize_session=False))
    if rows_changed(done) != 1:
        raise FollowUpError("stale", "the report's status changed meanwhile")
    session.refresh(report)
    activity = ReportActivity(report_id=report.id, at=at, author_id=actor.id,
                              author_name=actor.name, kind="status", from_status=expected,
                              to_status=target.value, body=reason)
    session.add(activity)
    session.flush()
    return activity


def add_note(session: Session, report: Report, body: str, *, actor: User,
             at: datetime) -> ReportActivity:
    text = body.strip()
    if not text:
        raise FollowUpError("empty_note", "a note needs some text")
    if len(text) > MAX_NOTE:
        raise FollowUpError("too_long", f"a note is at most {MAX_NOTE} characters")
    activity = ReportActivity(report_id=report.id, at=at, author_id=actor.id,
                              author_name=actor.name, kind="note", body=text)
    session.add(activity)
    session.flush()
    return activity


def assign(session: Session, report: Report, assignee: User | None, *, actor: User,
           at: datetime) -> ReportActivity | None:
    """Give the report to `assignee` (None: nobody); None when nothing changed."""
    new_id = assignee.id if assignee else None
    if report.assignee_id == new_id:
        return None
    if assignee is not None and (not assignee.active or assignee.role == "admin"):
        raise FollowUpError("bad_assignee", "reports go to active operators and managers")
    report.assignee_id = new_id
    activity = ReportActivity(report_id=report.id, at=at, author_id=actor.id,
                              author_name=actor.name, kind="assign",
                              body=assignee.name if assignee else None)
    session.add(activity)
    session.flush()
    return activity


def activity_of(session: Session, report_ids: list[int]) -> dict[int, list[ReportActivity]]:
    """Each report's history, oldest first."""
    found: dict[int, list[ReportActivity]] = {rid: [] for rid in report_ids}
    if not report_ids:
        return found
    rows = session.scalars(select(ReportActivity).where(ReportActivity.report_id.in_(report_ids))
                           .order_by(ReportActivity.at, ReportActivity.id))
    for row in rows:
        found[row.report_id].append(row)
    return found


@dataclass(frozen=True)
class Overdue:
    acknowledgement: bool
    feedback: bool

    def __bool__(self) -> bool:
        return self.acknowledgement or self.feedback


def overdue(report: Report, now: datetime) -> Overdue:
    """Late to acknowledge (still new), or late with feedback (not yet referred or closed)."""
    return Overdue(
        acknowledgement=report.follow_up == FollowUp.NEW and report.acknowledge_due is not None
        and report.acknowledge_due < now,
        feedback=report.follow_up not in DONE and report.feedback_due is not None
        and report.feedback_due < now,
    )


# The clauses below are true or false, never NULL (a missing due date is never late, as
# in overdue()), so that NOT of one is "not late" and keeps every other report.
def overdue_acknowledgement_clause(now: datetime) -> ColumnElement[bool]:
    """overdue().acknowledgement as SQL over reports."""
    return and_(Report.follow_up == FollowUp.NEW.value, Report.acknowledge_due.is_not(None),
                Report.acknowledge_due < now)


def overdue_feedback_clause(now: datetime) -> ColumnElement[bool]:
    """overdue().feedback as SQL over reports."""
    # The open states spelt out (not NOT IN the done ones): an index on (follow_up,
    # feedback_due) then reads only the overdue reports.
    return and_(Report.follow_up.in_([s.value for s in FOLLOW_UPS if s not in DONE]),
                Report.feedback_due.is_not(None), Report.feedback_due < now)


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """The same rule as overdue(), as SQL over reports."""
    return or_(overdue_acknowledgement_clause(now), overdue_feedback_clause(now))


# As of a past moment: the charts' open and overdue follow-ups by day. A report counts
# open from its call's start (the tallies' moment for it) until it reached a done state
# (follow_up_at: its last change, so one closed, reopened and open now counts open
# from its call on).
def open_at_clause(moment: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """The report's call began before `moment`, and it was not yet referred or closed."""
    return and_(Report.call_started_at < moment,
                or_(Report.follow_up.not_in([s.value for s in DONE]),
                    Report.follow_up_at > moment))


def overdue_at_clause(moment: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """overdue_clause as it stood at `moment`: open then, and still unacknowledged past
    its acknowledgement date, or past its feedback date."""
    # Still new then: acknowledged later, or never and still new (or moved on only later).
    unacknowledged = or_(Report.acknowledged_at > moment,
                         and_(Report.acknowledged_at.is_(None),
                              or_(Report.follow_up == FollowUp.NEW.value,
                                  Report.follow_up_at > moment)))
    return and_(open_at_clause(moment),
                or_(and_(unacknowledged, Report.acknowledge_due < moment),
                    Report.feedback_due < moment))

"""The team's reply to a caller, read to whoever calls with the report's reference.

Short (about 400 characters: under half a minute spoken), in one of the
campaign's languages, saved with its author and time, replaceable. Each reply
written is kept in the report's activity; a new reply has not been heard yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from db.followup import FollowUpError
from db.models import Report
from db.user_models import ReportActivity, User

MAX_REPLY = 400


def write_reply(session: Session, report: Report, body: str, *, language: str,
                languages: Iterable[str], actor: User, at: datetime) -> ReportActivity:
    """Save (or replace) the message for the caller."""
    text = " ".join(body.split())
    if not text:
        raise FollowUpError("empty_reply", "a reply needs some text")
    if len(text) > MAX_REPLY:
        raise FollowUpError("too_long", f"a reply is at most {MAX_REPLY} characters")
    if language not in tuple(languages):
        raise FollowUpError("bad_language", "the reply's language is not one of the line's")
    report.reply_text = text
    report.reply_language = language
    report.reply_by = actor.name
    report.reply_at = at
    report.reply_heard_at = None
    activity = ReportActivity(report_id=report.id, at=at, author_id=actor.id,
                              author_name=actor.name, kind="reply", body=text)
    session.add(activity)
    session.flush()
    return activity


def seen_by(session: Session, report_ids: list[int], user: User) -> None:
    """The assignee (anyone, while nobody is assigned) opened these reports: the
    "new information" mark goes."""
    if not report_ids:
        return
    session.execute(update(Report).where(
        Report.id.in_(report_ids), Report.new_info_at.is_not(None),
        or_(Report.assignee_id == user.id, Report.assignee_id.is_(None)))
        .values(new_info_at=None).execution_options(synchronize_session=False))

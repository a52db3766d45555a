"""What the console's pages share: the words of this request's language, the clock, the
report a URL names, the way back to its call, and one change committed with its audit
line or rolled back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import abort, redirect, url_for
from sqlalchemy import select

from console.auth import context, db, visible_or_404
from console.i18n import translate
from db.models import Call, Report

E = TypeVar("E", bound=Exception)


def translated(key: str | None, **values: Any) -> str:
    """The message `key` in the language of this request."""
    return translate(key, **values)


def now() -> datetime:
    return context().clock()


def display_zone() -> ZoneInfo:
    """The zone for times that belong to no call: the first campaign's."""
    first = next(iter(context().campaigns), None)
    return first.timezone if first else ZoneInfo("UTC")


def report_or_404(reference: str) -> Report:
    """The report a URL names; 404 when there is none or it is of a campaign the user
    may not see (every report route, recordings included, comes through here)."""
    report = db().scalar(select(Report).where(Report.reference == reference))
    if report is None:
        abort(404)
    visible_or_404(report.campaign_id)
    return report


def back_to(report: Report) -> Any:
    """The report's place on its call's page."""
    call_sid = db().scalar(select(Call.call_sid).where(Call.id == report.call_id))
    return redirect(url_for("console.call_page", call_sid=call_sid,
                            _anchor=f"report-{report.reference}"))


def commit_change(change: Callable[[], object], refused: type[E]) -> E | None:
    """Run one change (which writes its own audit line) in the request's transaction:
    committed, or rolled back and its refusal returned for the page to explain."""
    try:
        change()
    except refused as exc:
        db().rollback()
        return exc
    db().commit()
    return None

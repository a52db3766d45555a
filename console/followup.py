"""Following a report up: its status, its notes, who it is assigned to. Each change is one
transaction with its audit line, then a redirect back to the report (a reload never
posts twice)."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_login import current_user
from sqlalchemy import select

from console import bp
from console.accounts import normalise_name
from console.auth import address, db, me, requires
from console.forms import AssignForm, NoteForm, StatusForm
from console.pages import back_to, commit_change, now, report_or_404, translated
from db import audit, followup
from db.models import Report
from db.user_models import User


def _refused(report: Report, code: str) -> Any:
    flash(translated(code), "error")
    return back_to(report)


def _done(report: Report, failed: followup.FollowUpError | None, message: str) -> Any:
    if failed is not None:
        return _refused(report, f"fu_err_{failed.code}")
    flash(message, "ok")
    return back_to(report)


@bp.post("/reports/<reference>/status")
@requires("calls")
def change_status(reference: str) -> Any:
    report = report_or_404(reference)
    form = StatusForm()
    if not form.validate():
        return _refused(report, "fu_invalid")
    before = report.follow_up

    def change() -> None:
        followup.change_status(db(), report, form.to.data or "", expected=form.expected.data or "",
                               actor=me(), at=now(), reason=form.reason.data)
        audit.status_changed(db(), at=now(), actor=current_user.name, reference=reference,
                             before=before, after=report.follow_up, address=address())

    failed = commit_change(change, followup.FollowUpError)
    if failed is not None:
        return _refused(report, f"fu_err_{failed.code}")
    return _done(report, None, translated("fu_changed",
                                          status=translated(f"fu_{report.follow_up}")))


@bp.post("/reports/<reference>/notes")
@requires("calls")
def add_note(reference: str) -> Any:
    report = report_or_404(reference)
    form = NoteForm()
    if not form.validate():
        return _refused(report, "fu_err_empty_note")

    def change() -> None:
        note = followup.add_note(db(), report, form.body.data or "", actor=me(), at=now())
        audit.note_added(db(), at=now(), actor=current_user.name, reference=reference,
                         note_id=note.id, address=address())

    return _done(report, commit_change(change, followup.FollowUpError), translated("note_added"))


@bp.post("/reports/<reference>/assignee")
@requires("calls")
def assign(reference: str) -> Any:
    report = report_or_404(reference)
    form = AssignForm()
    name = normalise_name(form.assignee.data or "") if form.validate() else None
    assignee = db().scalar(select(User).where(User.name == name)) if name else None
    # Never read a broken form as "nobody": the assignment stays as it is.
    if name is None or (name and assignee is None):
        return _refused(report, "fu_err_bad_assignee")

    def change() -> None:
        if followup.assign(db(), report, assignee, actor=me(), at=now()) is not None:
            audit.assigned(db(), at=now(), actor=current_user.name, reference=reference,
                           assignee=assignee.name if assignee else None, address=address())

    shown = assignee.name if assignee else translated("nobody")
    return _done(report, commit_change(change, followup.FollowUpError),
                 translated("assigned", name=shown))

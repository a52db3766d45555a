"""Following a report up: its status, its notes, who it is assigned to. The report's page
changes all three with one form (one POST, one transaction, one audit line per change);
the single-purpose posts remain for scripts. Each ends in a redirect back to the report
(a reload never posts twice)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import bp
from console.accounts import normalise_name
from console.auth import address, db, me, requires
from console.forms import AssignForm, NoteForm, StatusForm, WorkForm
from console.pages import back_to, commit_change, now, report_or_404, translated
from db import audit, followup
from db.models import Call, Report
from db.user_models import User


def apply_status(report: Report, to: str, *, expected: str, reason: str | None = None) -> None:
    """Move the report on, with its audit line, in the request's transaction."""
    before = report.follow_up
    followup.change_status(db(), report, to, expected=expected, actor=me(), at=now(),
                           reason=reason)
    audit.status_changed(db(), at=now(), actor=current_user.name, reference=report.reference,
                         before=before, after=report.follow_up, address=address())


def apply_assignee(report: Report, assignee: User | None) -> bool:
    """Give the report to `assignee` (None: nobody), with its audit line; False: unchanged."""
    if followup.assign(db(), report, assignee, actor=me(), at=now()) is None:
        return False
    audit.assigned(db(), at=now(), actor=current_user.name, reference=report.reference,
                   assignee=assignee.name if assignee else None, address=address())
    return True


def apply_note(report: Report, body: str) -> None:
    note = followup.add_note(db(), report, body, actor=me(), at=now())
    audit.note_added(db(), at=now(), actor=current_user.name, reference=report.reference,
                     note_id=note.id, address=address())


def _named_user(text: str | None) -> tuple[bool, User | None]:
    """(known, user) for a user name from a form; "" is nobody. Never read a broken
    form as "nobody": an unknown name is (False, None) and nothing changes."""
    name = normalise_name(text or "")
    if not name:
        return True, None
    user = db().scalar(select(User).where(User.name == name))
    return user is not None, user


def _refused(report: Report, code: str) -> Any:
    flash(translated(code), "error")
    return _back(report)


def _back(report: Report) -> Any:
    """The report's place on its page, in the inbox queue it was opened from."""
    queue = request.form.get("queue")
    if not queue:
        return back_to(report)
    call_sid = db().scalar(select(Call.call_sid).where(Call.id == report.call_id))
    return redirect(url_for("console.call_page", call_sid=call_sid, queue=queue[:16],
                            _anchor=f"report-{report.reference}"))


def _done(report: Report, failed: followup.FollowUpError | None, message: str) -> Any:
    if failed is not None:
        return _refused(report, f"fu_err_{failed.code}")
    flash(message, "ok")
    return _back(report)


@bp.post("/reports/<reference>/work")
@requires("calls")
def work(reference: str) -> Any:
    """The report page's one form: a new status, the assignee and a note, together."""
    report = report_or_404(reference)
    form = WorkForm()
    if not form.validate():
        return _refused(report, "fu_invalid")
    known, assignee = _named_user(form.assignee.data)
    if not known:
        return _refused(report, "fu_err_bad_assignee")
    to, note = form.to.data or "", (form.note.data or "").strip()
    changes: list[str] = []

    def change() -> None:
        if to:
            apply_status(report, to, expected=form.expected.data or "", reason=form.reason.data)
            changes.append(translated("fu_changed", status=translated(f"fu_{report.follow_up}")))
        if "assignee" in request.form and apply_assignee(report, assignee):
            changes.append(translated("assigned", name=assignee.name if assignee
                                      else translated("nobody")))
        if note:
            apply_note(report, note)
            changes.append(translated("note_added"))

    failed = commit_change(change, followup.FollowUpError)
    if failed is None and not changes:
        flash(translated("fu_nothing"), "ok")
        return _back(report)
    return _done(report, failed, " ".join(changes))


@bp.post("/reports/<reference>/status")
@requires("calls")
def change_status(reference: str) -> Any:
    report = report_or_404(reference)
    form = StatusForm()
    if not form.validate():
        return _refused(report, "fu_invalid")
    failed = commit_change(lambda: apply_status(report, form.to.data or "",
                                                expected=form.expected.data or "",
                                                reason=form.reason.data),
                           followup.FollowUpError)
    return _done(report, failed, translated("fu_changed",
                                            status=translated(f"fu_{report.follow_up}")))


@bp.post("/reports/<reference>/notes")
@requires("calls")
def add_note(reference: str) -> Any:
    report = report_or_404(reference)
    form = NoteForm()
    if not form.validate():
        return _refused(report, "fu_err_empty_note")
    return _done(report, commit_change(lambda: apply_note(report, form.body.data or ""),
                                       followup.FollowUpError), translated("note_added"))


@bp.post("/reports/<reference>/assignee")
@requires("calls")
def assign(reference: str) -> Any:
    report = report_or_404(reference)
    form = AssignForm()
    known, assignee = _named_user(form.assignee.data) if form.validate() else (False, None)
    if not known:
        return _refused(report, "fu_err_bad_assignee")
    shown = assignee.name if assignee else translated("nobody")
    return _done(report, commit_change(lambda: apply_assignee(report, assignee),
                                       followup.FollowUpError),
                 translated("assigned", name=shown))

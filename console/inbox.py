"""The inbox: where the console opens for operators and managers. Queues of reports with
their counts (db/inbox.py holds the rules), the counts as JSON for the page's script,
and bulk assign and acknowledge behind a confirmation page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import bp, present
from console.accounts import normalise_name
from console.auth import context, db, requires
from console.charts import home_charts_context
from console.filters import decode_cursor, encode_cursor
from console.followup import apply_assignee, apply_status
from console.forms import ActionForm
from console.pages import now, translated
from db import followup, inbox
from db.followup import FollowUp
from db.user_models import User

MAX_BULK = 100  # reports in one bulk action
BULK_ACTIONS = ("acknowledge", "assign")


def viewer() -> inbox.Viewer:
    moment = now()
    return inbox.Viewer(user_id=current_user.id, now=moment,
                        wound_up=inbox.wound_up(context().campaigns, moment),
                        campaigns=current_user.campaigns)


def chosen_queue(text: str | None) -> inbox.Queue:
    try:
        return inbox.Queue(text or inbox.Queue.MINE.value)
    except ValueError:
        return inbox.Queue.MINE


def people() -> list[User]:
    """Whom a report may go to: active operators and managers."""
    return list(db().scalars(select(User).where(User.active.is_(True), User.role != "admin")
                             .order_by(User.name)))


@bp.get("/inbox")
@requires("calls")
def inbox_page() -> Any:
    queue = chosen_queue(request.args.get("queue"))
    who = viewer()
    found = inbox.page(db(), queue, who, after=decode_cursor(request.args.get("after")),
                       size=context().page_size)
    names = {u.id: u.name for u in db().scalars(select(User))}
    return render_template(
        "console/inbox.html", queue=queue, queues=inbox.QUEUES, page=found,
        counts=inbox.counts(db(), who), new_count=inbox.new_reports(db(), who),
        cap=inbox.COUNT_CAP, names=names, people=people(), now=who.now,
        call_sids=inbox.call_sids(db(), found.reports), after=encode_cursor(found.after),
        clock=lambda r: inbox.due_clock(r, who.now, _zone(r.campaign_id),
                                        wound_up=r.campaign_id in who.wound_up),
        form=ActionForm(), **(home_charts_context() if current_user.can("stats") else {}))


@bp.get("/inbox/counts")
@requires("calls")
def inbox_counts() -> Any:
    """The queues' counts and the new reports' count, for the page's periodic refresh."""
    who = viewer()
    counts = inbox.counts(db(), who)
    return jsonify(queues={q.value: n for q, n in counts.items()},
                   new=inbox.new_reports(db(), who), cap=inbox.COUNT_CAP)


@bp.post("/inbox/bulk")
@requires("calls")
def inbox_bulk() -> Any:
    """First post: the confirmation page listing what will change; with `confirm`: done."""
    queue = chosen_queue(request.form.get("queue"))
    back = url_for("console.inbox_page") + "?" + urlencode({"queue": queue.value})
    action = request.form.get("action", "")
    references = [ref for ref in request.form.getlist("reference") if ref.isdigit()][:MAX_BULK]
    if action not in BULK_ACTIONS:
        abort(400)
    if not references:
        flash(translated("bulk_none"), "error")
        return redirect(back)
    assignee = None
    if action == "assign":
        name = normalise_name(request.form.get("assignee", ""))
        assignee = db().scalar(select(User).where(User.name == name)) if name else None
        if name and assignee is None:
            flash(translated("fu_err_bad_assignee"), "error")
            return redirect(back)
    reports = inbox.open_references(db(), references, viewer())
    if request.form.get("confirm") != "1":
        return render_template("console/inbox_confirm.html", action=action, reports=reports,
                               assignee=assignee, queue=queue, back=back, form=ActionForm())
    done = 0
    for report in reports:
        try:
            if action == "acknowledge" and report.follow_up == FollowUp.NEW.value:
                apply_status(report, FollowUp.ACKNOWLEDGED.value, expected=FollowUp.NEW.value)
                done += 1
            elif action == "assign" and apply_assignee(report, assignee):
                done += 1
        except followup.FollowUpError:
            pass  # moved on meanwhile, or not assignable: left as it is, and counted
    db().commit()
    flash(translated(f"bulk_done_{action}", done=done, skipped=len(reports) - done), "ok")
    return redirect(back)


def _zone(campaign_id: str | None) -> Any:
    return present.zone_of(context().campaigns, campaign_id)

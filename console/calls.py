"""The call log: the list, its search, a report found by reference, a call's page, and
the list as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console import bp, present
from console.auth import address, close_db, context, db, requires, visible_or_404, writer
from console.filters import FIELDS, decode_cursor, encode_cursor
from console.followup_reply import mark_seen
from console.forms import ActionForm, ReasonForm
from console.i18n import LANGUAGES
from console.inbox import chosen_queue, people, viewer
from console.pages import display_zone, now, translated
from console.searches import filter_choices, list_request, remember_search, without_search_text
from db import audit, calllist, followup, inbox, scope
from db.models import Call, Report
from db.user_models import User
from reports.export import call_record, csv_lines

CSV_CHUNK = 64 * 1024  # bytes of CSV sent at a time


@bp.post("/calls/search")
@requires("calls")
def search() -> Any:
    """The filter form posts here, so the search text stays out of the URL, the access
    log and the browser's history; the answer is the list's URL with a search id."""
    args = {name: (request.form.get(name) or "").strip()[:64] for name in FIELDS
            if name != "q"}
    text = (request.form.get("q") or "").strip()
    if text:
        args["s"] = remember_search(text)
    if request.form.get("lang") in LANGUAGES:
        args["lang"] = request.form["lang"]
    return redirect(url_for("console.calls") + "?" + urlencode({k: v for k, v in args.items()
                                                                 if v}), code=303)


@bp.get("/calls")
@requires("calls")
def calls() -> Any:
    if (moved := without_search_text("console.calls")) is not None:
        return moved
    wanted = list_request()
    older = decode_cursor(request.args.get("older"))
    newer = decode_cursor(request.args.get("newer"))
    found = calllist.page(db(), wanted.filter, older_than=older,
                          newer_than=None if older else newer, size=context().page_size)
    counts = calllist.outcome_counts(db(), wanted.filter)
    moment = now()
    return render_template(
        "console/calls.html", page=found, wanted=wanted, counts=counts,
        total=sum(counts.values()), now=moment,
        older=encode_cursor(found.older), newer=encode_cursor(found.newer),
        overdue=lambda report: followup.overdue(report, moment),
        late_call=lambda call: any(followup.overdue(r, moment) for r in call.reports),
        **filter_choices())


@bp.get("/calls.csv")
@requires("calls")
def export_csv() -> Any:
    if (moved := without_search_text("console.export_csv")) is not None:
        return moved
    wanted = list_request()
    close_db()
    # The audit line first, in its own short transaction: the export is on record before
    # any row leaves, and the minutes of reading that follow hold no write lock.
    with writer() as session, session.begin():
        audit.export(session, at=now(), actor=current_user.name, target="calls.csv",
                     filters=wanted.values, address=address())
    stamp = now().astimezone(display_zone()).strftime("%Y%m%d-%H%M")
    return Response(_csv_chunks(wanted.filter), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="hotline-calls-{stamp}.csv"'})


def _csv_chunks(where: calllist.CallFilter) -> Iterator[bytes]:
    campaigns, sessions = context().campaigns, context().sessions

    def chunks() -> Iterator[bytes]:
        # Its own session: the request's is closed before a streamed body is read.
        with sessions() as session:
            records = (call_record(call, campaigns, masked=True)
                       for call in calllist.iter_filtered(session, where))
            buffered: list[str] = []
            size = 0
            for line in csv_lines(records):
                buffered.append(line)
                size += len(line)
                if size >= CSV_CHUNK:
                    yield "".join(buffered).encode("utf-8")
                    buffered, size = [], 0
            if buffered:
                yield "".join(buffered).encode("utf-8")

    return chunks()


@bp.get("/find")
@requires("calls")
def find() -> Any:
    reference = "".join(ch for ch in request.args.get("reference", "") if ch.isdigit())[:16]
    call = calllist.call_for_reference(db(), reference) if reference else None
    if call is None or not scope.may_see(current_user.campaigns, call.campaign_id):
        flash(translated("find_none", reference=reference or "—"), "error")
        return redirect(url_for("console.calls"))
    return redirect(url_for("console.call_page", call_sid=call.call_sid,
                            _anchor=f"report-{reference}"))


@bp.get("/reports/<reference>")
@requires("calls")
def report_page(reference: str) -> Any:
    """A report's page is its call's, at the report (kept in the inbox queue it came from)."""
    call = calllist.call_for_reference(db(), reference)
    if call is None or not scope.may_see(current_user.campaigns, call.campaign_id):
        abort(404)  # another campaign's report is not even redirected to
    queue = request.args.get("queue")
    return redirect(url_for("console.call_page", call_sid=call.call_sid,
                            queue=chosen_queue(queue).value if queue else None,
                            _anchor=f"report-{reference}"))


@bp.get("/calls/<call_sid>")
@requires("calls")
def call_page(call_sid: str) -> Any:
    return _call_page(call_sid)


@bp.post("/calls/<call_sid>/number")
@requires("caller_numbers")
def reveal_number(call_sid: str) -> Any:
    """A manager shows the whole calling number, for a reason that is audited. It is in
    this one answer only (not stored for the session): a reload shows it masked again."""
    form = ReasonForm()
    if not form.validate():
        flash(translated("reveal_needs_reason"), "error")
        return redirect(url_for("console.call_page", call_sid=call_sid))
    return _call_page(call_sid, reveal_reason=(form.reason.data or "").strip())


def _call_page(call_sid: str, *, reveal_reason: str | None = None) -> Any:
    """A call's page. Its opening (and a reveal) is audited first, in a short write
    transaction of its own, before the page's reads begin; the page lists who has
    opened it. Another campaign's call is not found."""
    who = viewer()
    moment = who.now
    with writer() as session, session.begin():
        found = session.execute(select(Call.id, Call.campaign_id)
                                .where(Call.call_sid == call_sid)).first()
        if found is None:
            abort(404)
        visible_or_404(found.campaign_id)
        if reveal_reason is not None:
            audit.number_revealed(session, at=moment, actor=current_user.name,
                                  call_sid=call_sid, reason=reveal_reason, address=address())
        references = session.scalars(select(Report.reference).where(
            Report.call_id == found.id, Report.reference.is_not(None))).all()
        audit.call_viewed(session, at=moment, actor=current_user.name, call_sid=call_sid,
                          references=list(references), address=address())
        viewers = audit.viewers(session, call_sid)
    call = db().scalar(select(Call).where(Call.id == found.id).options(
        selectinload(Call.events), selectinload(Call.reports)))
    if call is None:
        abort(404)
    campaign = context().campaigns.by_id.get(call.campaign_id or "")
    zone = present.zone_of(context().campaigns, call.campaign_id)
    activity = followup.activity_of(db(), [r.id for r in call.reports])
    names = {u.id: u.name for u in db().scalars(select(User))}
    queue = chosen_queue(request.args.get("queue")) if request.args.get("queue") else None
    # j/k: the reports before and after this call's in the queue it was opened from.
    previous = following = None
    if call.reports:
        previous, _ = inbox.neighbours(db(), queue or inbox.Queue.ALL, who, call.reports[0])
        _, following = inbox.neighbours(db(), queue or inbox.Queue.ALL, who, call.reports[-1])
    wound_up = call.campaign_id in who.wound_up
    mark_seen(call.reports)
    return render_template(
        "console/call.html", call=call, campaign=campaign, zone=zone, activity=activity,
        people=people(), names=names, now=who.now, moves=followup.allowed_moves,
        needs_reason=followup.NEEDS_REASON, queue=queue.value if queue else None,
        previous=previous, following=following, wound_up=wound_up,
        clock=lambda r: inbox.due_clock(r, who.now, zone, wound_up=wound_up),
        overdue=lambda report: followup.overdue(report, who.now), form=ActionForm(),
        media_ready=context().media.configured, revealed=reveal_reason is not None,
        viewers=viewers)

"""The console's pages. Each view reads the request, calls db/ or console/ services, renders.

Every change is one transaction that also appends its audit line, then a
redirect (so a reload never posts twice).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from campaign.calendar import local_midnight
from console import PREFIX, csrf, present
from console.accounts import (
    AccountError,
    change_password,
    list_users,
    normalise_name,
    set_active,
    sign_in,
)
from console.accounts import add_user as create_user
from console.accounts import sign_out as end_sessions
from console.auth import (
    ConsoleUser,
    address,
    audit_line,
    close_db,
    context,
    db,
    me,
    requires,
    writer,
)
from console.filters import FIELDS, decode_cursor, encode_cursor, parse
from console.forms import (
    ActionForm,
    AssignForm,
    NoteForm,
    PasswordForm,
    SignInForm,
    StatusForm,
    UserForm,
)
from console.i18n import LANGUAGES, choose_language, translate
from console.media import MediaError
from db import audit, calllist, followup
from db.models import Call, Report
from db.outcomes import CallOutcome
from db.user_models import ROLES, User
from ivr.references import is_valid_reference
from reports.export import call_record, csv_lines

bp = Blueprint("console", __name__, url_prefix=PREFIX, template_folder="templates",
               static_folder="static", static_url_path="/static")

SESSION_HOURS = 12
PLAY_WINDOW = timedelta(minutes=5)  # range requests of one play within this are one line
LANG_COOKIE = "hotline_lang"
MEDIA_STATUS = {"not_configured": 503, "not_found": 404, "unauthorized": 502, "timeout": 504,
                "unreachable": 502, "upstream": 502, "bad_range": 416, "no_recording": 404}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


# --- every request ---------------------------------------------------------------------------

def _has_nul(values: Any) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


@bp.before_request
def _before() -> Response | None:
    # No text with a NUL byte is a name, reference, filter or password here, and
    # PostgreSQL refuses to even compare one: answer 400 before anything reads it.
    if _has_nul(request.args.values()) or _has_nul((request.view_args or {}).values()) or (
            request.method == "POST" and _has_nul(request.form.values())):
        abort(400)
    wanted = request.args.get("lang")
    g.lang = choose_language(wanted, request.cookies.get(LANG_COOKIE),
                             request.accept_languages.best_match(LANGUAGES))
    g.set_lang = wanted if wanted in LANGUAGES else None
    if request.method == "POST":
        csrf.protect()
    if current_user.is_authenticated:
        started = session.get("signed_in_at")
        now = context().clock().timestamp()
        if not isinstance(started, (int, float)) or now - started > SESSION_HOURS * 3600:
            # A session lasts one working day, then the user signs in again.
            logout_user()
            session.clear()
    return None


@bp.after_request
def _after(response: Response) -> Response:
    if g.get("set_lang"):
        response.set_cookie(LANG_COOKIE, g.set_lang, max_age=365 * 24 * 3600, httponly=True,
                            samesite="Lax", secure=bool(request.is_secure))
    # Report details must not linger in shared browser caches or be framed elsewhere.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = CSP
    return response


bp.teardown_request(close_db)


@bp.app_template_global("_")
def _translate(key: str, **values: Any) -> str:
    return translate(g.get("lang", "zh"), key, **values)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"lang": g.get("lang", "zh"), "present": present, "user": current_user,
            "campaigns": context().campaigns, "lang_url": _lang_url}


def _lang_url(code: str) -> str:
    """This page again, in the other language."""
    args = request.args.to_dict()
    args["lang"] = code
    return request.path + "?" + urlencode(args)


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    return render_template("console/error.html", title=_translate("err_csrf_title"),
                           message=_translate("err_csrf")), 400


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    if exc.code in (403, 404, 405):
        return render_template("console/error.html", title=_translate(f"err_{exc.code}_title"),
                               message=_translate(f"err_{exc.code}")), exc.code
    return exc


@bp.errorhandler(OperationalError)
@bp.errorhandler(PoolTimeout)
def _database_unavailable(exc: Exception) -> tuple[str, int, dict[str, str]]:
    """The database is away or stalled past its time limits: a plain page, not a trace.
    It does not extend base.html, which would ask the database who is signed in."""
    title, message = _translate("err_db_title"), _translate("err_db")
    page = (f'<!doctype html><html lang="{g.get("lang", "zh")}"><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1>"
            f'<p role="alert">{escape(message)}</p></html>')
    return page, 503, {"Retry-After": "30", "Content-Type": "text/html; charset=utf-8"}


def _now() -> datetime:
    return context().clock()


def _commit() -> None:
    db().commit()


def _safe_next(target: str | None) -> str | None:
    # Only the console's own pages: never an open redirect to another site.
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return None


# --- signing in and out ----------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page() -> Any:
    form = SignInForm()
    if request.method == "GET":
        form.next.data = _safe_next(request.args.get("next")) or ""
        return render_template("console/login.html", form=form)
    if not form.validate():
        return render_template("console/login.html", form=form,
                               error=_translate("login_missing")), 400
    result = sign_in(context().writers, form.name.data or "",  # type: ignore[arg-type]
                     form.password.data or "", address=address(), at=_now(),
                     hasher=context().hasher)
    user = result.user
    if result.throttled_until is not None:
        zone = _display_zone()
        return render_template("console/login.html", form=form, error=_translate(
            "login_throttled", until=present.local(result.throttled_until, zone, "%H:%M"))), 429
    if user is None:
        return render_template("console/login.html", form=form,
                               error=_translate("login_failed")), 401
    session.clear()
    login_user(ConsoleUser.of(user))
    session["signed_in_at"] = _now().timestamp()
    return redirect(_safe_next(form.next.data) or url_for("console.index"))


@bp.post("/logout")
@requires()
def sign_out() -> Any:
    # A new session token: the cookie just dropped stays useless even if it was copied.
    end_sessions(db(), current_user.id, at=_now(), address=address())
    _commit()
    logout_user()
    session.clear()
    return redirect(url_for("console.sign_in"))


@bp.route("/account", methods=["GET", "POST"])
@requires()
def account() -> Any:
    form = PasswordForm()
    if request.method == "POST":
        error = None
        if not form.validate():
            error = "pw_missing"
        elif form.new.data != form.confirm.data:
            error = "pw_mismatch"
        else:
            try:
                user = change_password(context().writers,  # type: ignore[arg-type]
                                       current_user.id, form.current.data or "",
                                       form.new.data or "", at=_now(), address=address(),
                                       hasher=context().hasher)
            except AccountError as exc:
                error = f"acc_{exc.code}"
            else:
                # The new token signed every other browser out; keep this one signed in.
                login_user(ConsoleUser.of(user))
                flash(_translate("pw_changed"), "ok")
                return redirect(url_for("console.account"))
        return render_template("console/account.html", form=form, error=_translate(error)), 400
    return render_template("console/account.html", form=form)


@bp.get("/")
@requires()
def index() -> Any:
    if current_user.can("calls"):
        return redirect(url_for("console.calls"))
    return redirect(url_for("console.admin_users"))


# --- the call log ----------------------------------------------------------------------------

def _list_request() -> Any:
    """The list's filters from the URL; the search text from the signed-in session, by
    the search id `s` in the URL (a caller's number is never in a URL)."""
    args = request.args.to_dict()
    args.pop("q", None)
    search_id = args.pop("s", "")
    text = _searches().get(search_id, {}).get("q") if search_id else None
    if text:
        args["q"] = text
    wanted = parse(args, context().campaigns, now=_now(), my_id=current_user.id)
    if search_id and not text:
        wanted.errors.append("err_search_gone")
    elif text:
        wanted.values["s"] = search_id
    wanted.filter = calllist.resolve_search(db(), wanted.filter)
    return wanted


SEARCHES = "searches"
MAX_SEARCHES = 20


def _searches() -> dict[str, dict[str, Any]]:
    """This session's recent searches, id → {"q", "at"}; older than a session: gone."""
    found = session.get(SEARCHES)
    if not isinstance(found, dict):
        return {}
    oldest = _now().timestamp() - SESSION_HOURS * 3600
    return {key: value for key, value in found.items()
            if isinstance(value, dict) and isinstance(value.get("at"), (int, float))
            and value["at"] >= oldest and isinstance(value.get("q"), str)}


def _remember_search(text: str) -> str:
    """Keep the search text server-side of the URL (in the signed session) under an id."""
    searches = _searches()
    search_id = secrets.token_urlsafe(9)
    searches[search_id] = {"q": text[:64], "at": _now().timestamp()}
    newest = sorted(searches.items(), key=lambda item: item[1]["at"])[-MAX_SEARCHES:]
    session[SEARCHES] = dict(newest)
    return search_id


def _without_search_text(endpoint: str) -> Any:
    """A URL with ?q= (typed by hand, or an old bookmark): the same list, by search id."""
    if not request.args.get("q"):
        return None
    args = request.args.to_dict()
    args["s"] = _remember_search(args.pop("q").strip())
    return redirect(url_for(endpoint) + "?" + urlencode(args), code=303)


@bp.post("/calls/search")
@requires("calls")
def search() -> Any:
    """The filter form posts here, so the search text stays out of the URL, the access
    log and the browser's history; the answer is the list's URL with a search id."""
    args = {name: (request.form.get(name) or "").strip()[:64] for name in FIELDS
            if name != "q"}
    text = (request.form.get("q") or "").strip()
    if text:
        args["s"] = _remember_search(text)
    if request.form.get("lang") in LANGUAGES:
        args["lang"] = request.form["lang"]
    return redirect(url_for("console.calls") + "?" + urlencode({k: v for k, v in args.items()
                                                                 if v}), code=303)


def _filter_choices() -> dict[str, Any]:
    campaigns = list(context().campaigns)
    categories: dict[str, str] = {}
    subjects: dict[str, str] = {}
    for campaign in campaigns:
        for category in campaign.categories:
            categories.setdefault(category.id, present.label(campaign, "category", category.id,
                                                             g.lang))
        for subject in campaign.subjects:
            subjects.setdefault(subject.id, present.label(campaign, "subject", subject.id,
                                                          g.lang))
    return {"campaign_list": campaigns, "categories": categories, "subjects": subjects,
            "outcomes": [o.value for o in CallOutcome],
            "follow_ups": [s.value for s in followup.FOLLOW_UPS]}


@bp.get("/calls")
@requires("calls")
def calls() -> Any:
    if (moved := _without_search_text("console.calls")) is not None:
        return moved
    wanted = _list_request()
    older = decode_cursor(request.args.get("older"))
    newer = decode_cursor(request.args.get("newer"))
    found = calllist.page(db(), wanted.filter, older_than=older,
                          newer_than=None if older else newer, size=context().page_size)
    counts = calllist.outcome_counts(db(), wanted.filter)
    now = _now()
    return render_template(
        "console/calls.html", page=found, wanted=wanted, counts=counts,
        total=sum(counts.values()), now=now,
        older=encode_cursor(found.older), newer=encode_cursor(found.newer),
        overdue=lambda report: followup.overdue(report, now),
        late_call=lambda call: any(followup.overdue(r, now) for r in call.reports),
        **_filter_choices())


@bp.get("/calls.csv")
@requires("calls")
def export_csv() -> Any:
    if (moved := _without_search_text("console.export_csv")) is not None:
        return moved
    wanted = _list_request()
    where = wanted.filter
    close_db()
    campaigns = context().campaigns
    # The audit line first, in its own short transaction: the export is on record before
    # any row leaves, and the minutes of reading that follow hold no write lock.
    audit_line(at=_now(), actor=current_user.name, action="export", target="calls.csv",
               detail=_describe(wanted.values), address=address())
    sessions = context().sessions

    def chunks() -> Iterator[bytes]:
        # Its own session: the request's is closed before a streamed body is read.
        with sessions() as session:
            records = (call_record(call, campaigns)
                       for call in calllist.iter_filtered(session, where))
            buffered: list[str] = []
            size = 0
            for line in csv_lines(records):
                buffered.append(line)
                size += len(line)
                if size >= 64 * 1024:
                    yield "".join(buffered).encode("utf-8")
                    buffered, size = [], 0
            if buffered:
                yield "".join(buffered).encode("utf-8")

    stamp = _now().astimezone(_display_zone()).strftime("%Y%m%d-%H%M")
    return Response(chunks(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="hotline-calls-{stamp}.csv"'})


def _describe(values: dict[str, str]) -> str:
    """The filter, for the audit log; a searched number keeps only its last four digits."""
    shown = []
    for name, value in values.items():
        if not value or name == "s":
            continue
        if name == "q" and not is_valid_reference(value):
            value = present.mask_number(value)
        shown.append(f"{name}={value}")
    return " ".join(shown) or "all calls"


@bp.get("/find")
@requires("calls")
def find() -> Any:
    reference = "".join(ch for ch in request.args.get("reference", "") if ch.isdigit())[:16]
    call = calllist.call_for_reference(db(), reference) if reference else None
    if call is None:
        flash(_translate("find_none", reference=reference or "—"), "error")
        return redirect(url_for("console.calls"))
    return redirect(url_for("console.call_page", call_sid=call.call_sid,
                            _anchor=f"report-{reference}"))


@bp.get("/calls/<call_sid>")
@requires("calls")
def call_page(call_sid: str) -> Any:
    call = db().scalar(select(Call).where(Call.call_sid == call_sid).options(
        selectinload(Call.events), selectinload(Call.reports)))
    if call is None:
        abort(404)
    campaign = context().campaigns.by_id.get(call.campaign_id or "")
    zone = present.zone_of(context().campaigns, call.campaign_id)
    activity = followup.activity_of(db(), [r.id for r in call.reports])
    people = db().scalars(select(User).where(User.active.is_(True), User.role != "admin")
                          .order_by(User.name)).all()
    names = {u.id: u.name for u in db().scalars(select(User))}
    now = _now()
    from console.followup_reply import mark_seen
    mark_seen(call.reports)
    return render_template(
        "console/call.html", call=call, campaign=campaign, zone=zone, activity=activity,
        people=people, names=names, now=now, moves=followup.allowed_moves,
        needs_reason=followup.NEEDS_REASON,
        overdue=lambda report: followup.overdue(report, now), form=ActionForm(),
        media_ready=context().media.configured)


def _report(reference: str) -> Report:
    report = db().scalar(select(Report).where(Report.reference == reference))
    if report is None:
        abort(404)
    return report


def _back_to(report: Report) -> Any:
    call_sid = db().scalar(select(Call.call_sid).where(Call.id == report.call_id))
    return redirect(url_for("console.call_page", call_sid=call_sid,
                            _anchor=f"report-{report.reference}"))


@bp.get("/reports/<reference>/audio")
@requires("calls")
def audio(reference: str) -> Any:
    from console.recording_pages import local_playback

    report = _report(reference)
    local = local_playback(report)  # the copy here; None: not home yet, Twilio's
    return local if local is not None else twilio_audio(report)


def twilio_audio(report: Report) -> Any:
    """The recording streamed from Twilio (not downloaded yet, or a "twilio" campaign)."""
    reference = report.reference
    recording_sid, recording_status = report.recording_sid, report.recording_status
    # Nothing is held open while Twilio answers (up to its timeout).
    close_db()
    range_header = request.headers.get("Range")
    try:
        if not recording_sid or recording_status not in (None, "completed"):
            raise MediaError("no_recording")
        stream = context().media.open(recording_sid, range_header)
    except MediaError as exc:
        message = _translate(f"media_{exc.code}")
        if request.args.get("check"):
            return Response(message, status=MEDIA_STATUS.get(exc.code, 502),
                            mimetype="text/plain")
        back = url_for("console.find", reference=reference)
        return render_template("console/error.html", title=_translate("media_title"),
                               message=message, back_url=back), MEDIA_STATUS.get(exc.code, 502)
    if request.args.get("check"):
        # The page's script asking why the player failed; it did not fail this time.
        stream.close()
        return Response(status=204)
    # A player asks for several ranges, starting wherever it likes (a resumed or seeking
    # player never asks for byte 0): the first request of this user for this recording
    # within PLAY_WINDOW is the play, whatever its range.
    with writer() as session, session.begin():
        audit.record_once(session, within=PLAY_WINDOW, at=_now(), actor=current_user.name,
                          action="recording_played", target=reference, address=address())
    return Response(stream.chunks(), status=stream.status, headers={
        **stream.headers, "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="report-{reference}.mp3"'})


@bp.post("/reports/<reference>/status")
@requires("calls")
def change_status(reference: str) -> Any:
    report = _report(reference)
    form = StatusForm()
    if not form.validate():
        flash(_translate("fu_invalid"), "error")
        return _back_to(report)
    try:
        before = report.follow_up
        followup.change_status(db(), report, form.to.data or "", expected=form.expected.data or "",
                               actor=me(), at=_now(), reason=form.reason.data)
        audit.record(db(), at=_now(), actor=current_user.name, action="status_changed",
                     target=reference, detail=f"{before} → {report.follow_up}",
                     address=address())
        _commit()
        flash(_translate("fu_changed", status=_translate(f"fu_{report.follow_up}")), "ok")
    except followup.FollowUpError as exc:
        db().rollback()
        flash(_translate(f"fu_err_{exc.code}"), "error")
    return _back_to(report)


@bp.post("/reports/<reference>/notes")
@requires("calls")
def add_note(reference: str) -> Any:
    report = _report(reference)
    form = NoteForm()
    if not form.validate():
        flash(_translate("fu_err_empty_note"), "error")
        return _back_to(report)
    try:
        note = followup.add_note(db(), report, form.body.data or "", actor=me(), at=_now())
        audit.record(db(), at=_now(), actor=current_user.name, action="note_added",
                     target=reference, detail=f"note {note.id}", address=address())
        _commit()
        flash(_translate("note_added"), "ok")
    except followup.FollowUpError as exc:
        db().rollback()
        flash(_translate(f"fu_err_{exc.code}"), "error")
    return _back_to(report)


@bp.post("/reports/<reference>/assignee")
@requires("calls")
def assign(reference: str) -> Any:
    report = _report(reference)
    form = AssignForm()
    if not form.validate():
        # Never read a broken form as "nobody": the assignment stays as it is.
        flash(_translate("fu_err_bad_assignee"), "error")
        return _back_to(report)
    name = normalise_name(form.assignee.data or "")
    assignee = db().scalar(select(User).where(User.name == name)) if name else None
    if name and assignee is None:
        flash(_translate("fu_err_bad_assignee"), "error")
        return _back_to(report)
    try:
        changed = followup.assign(db(), report, assignee, actor=me(), at=_now())
        if changed is not None:
            audit.record(db(), at=_now(), actor=current_user.name, action="assigned",
                         target=reference, detail=assignee.name if assignee else "nobody",
                         address=address())
        _commit()
        flash(_translate("assigned", name=assignee.name if assignee else _translate("nobody")),
              "ok")
    except followup.FollowUpError as exc:
        db().rollback()
        flash(_translate(f"fu_err_{exc.code}"), "error")
    return _back_to(report)


# --- statistics (managers) -------------------------------------------------------------------

@bp.get("/stats")
@requires("stats")
def stats() -> Any:
    if (moved := _without_search_text("console.stats")) is not None:
        return moved
    wanted = _list_request()
    now = _now()
    figures = calllist.report_figures(db(), wanted.filter, now)
    counts = calllist.outcome_counts(db(), wanted.filter)
    return render_template("console/stats.html", wanted=wanted, counts=counts,
                           total=sum(counts.values()), figures=figures, **_filter_choices())


# --- administration --------------------------------------------------------------------------

@bp.route("/admin/users", methods=["GET", "POST"])
@requires("admin")
def admin_users() -> Any:
    form = UserForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = "acc_missing"
        else:
            try:
                create_user(db(), form.name.data or "", form.role.data or "",
                            form.password.data or "", at=_now(), actor=current_user.name,
                            address=address(), hasher=context().hasher)
                _commit()
                flash(_translate("user_added", name=form.name.data), "ok")
                return redirect(url_for("console.admin_users"))
            except AccountError as exc:
                db().rollback()
                error = f"acc_{exc.code}"
    return render_template("console/admin_users.html", users=list_users(db()), form=form,
                           roles=ROLES, action_form=ActionForm(),
                           error=_translate(error) if error else None), (400 if error else 200)


@bp.post("/admin/users/<name>/active")
@requires("admin")
def admin_user_active(name: str) -> Any:
    active = request.form.get("active") == "1"
    if normalise_name(name) == current_user.name and not active:
        flash(_translate("acc_self_disable"), "error")
        return redirect(url_for("console.admin_users"))
    try:
        set_active(db(), name, active, at=_now(), actor=current_user.name, address=address())
        _commit()
    except AccountError as exc:
        db().rollback()
        if exc.code == "no_user":
            abort(404)
        flash(_translate(f"acc_{exc.code}"), "error")
        return redirect(url_for("console.admin_users"))
    flash(_translate("user_enabled" if active else "user_disabled", name=name), "ok")
    return redirect(url_for("console.admin_users"))


@bp.get("/admin/campaigns")
@requires("admin")
def admin_campaigns() -> Any:
    return render_template("console/admin_campaigns.html")


def _display_zone() -> ZoneInfo:
    """The zone for times that belong to no call: the first campaign's."""
    first = next(iter(context().campaigns), None)
    return first.timezone if first else ZoneInfo("UTC")


@bp.get("/admin/audit")
@requires("admin")
def admin_audit() -> Any:
    zone = _display_zone()
    values = {name: (request.args.get(name) or "").strip()[:64]
              for name in ("actor", "action", "since", "until")}
    start = _local_midnight(values["since"], zone)
    end = _local_midnight(values["until"], zone, next_day=True)
    known_actors = audit.actors(db())
    errors = []
    if values["action"] and values["action"] not in audit.ACTIONS:
        values["action"] = ""
        errors.append("err_bad_filter")
    if values["actor"] and values["actor"] not in known_actors:
        values["actor"] = ""
        errors.append("err_bad_filter")
    if (values["since"] and start is None) or (values["until"] and end is None):
        errors.append("err_date")
    where = audit.AuditFilter(actor=values["actor"] or None,
                              action=values["action"] or None, start=start, end=end)
    before = decode_cursor(request.args.get("older"))
    size = 100
    events = audit.read(db(), where, before=before, limit=size + 1)
    older = encode_cursor((events[size - 1].at, events[size - 1].id)) \
        if len(events) > size else None
    return render_template("console/admin_audit.html", events=events[:size], values=values,
                           actions=audit.ACTIONS, actors=known_actors, zone=zone,
                           older=older, errors=errors,
                           query=lambda **c: _query({**values, **c}))


def _query(values: dict[str, str | None]) -> str:
    return urlencode({k: v for k, v in values.items() if v})


def _local_midnight(text: str, zone: ZoneInfo, next_day: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(text)
        if next_day:
            day += timedelta(days=1)
        return local_midnight(day, zone)
    except (ValueError, OverflowError):  # not a date, or 0001-01-01 / 9999-12-31
        return None

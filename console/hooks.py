"""What every console request goes through, in one place: junk refused, the language
chosen, the CSRF token checked, a session that outlived its working day or sat idle
too long ended, the security headers set, and the error pages (a database away is a
plain 503 page; a failed CSRF check and a refused page are audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, g, render_template, request, session
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from console import bp, csrf, present
from console.auth import SESSION_HOURS, address, close_db, context, writer
from console.i18n import LANGUAGES, choose_language, translate_plural
from console.pages import translated
from db import audit

LANG_COOKIE = "hotline_lang"
SEEN_PRECISION = 30  # seconds: the last activity is written back at most this often
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


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
        started, seen = session.get("signed_in_at"), session.get("seen_at")
        now = context().clock().timestamp()
        if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)) or (
                now - started > SESSION_HOURS * 3600
                or now - seen > context().idle_minutes * 60):
            # A session lasts one working day at most, and ends when left idle.
            logout_user()
            session.clear()
        elif now - seen >= SEEN_PRECISION:
            session["seen_at"] = now
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


bp.add_app_template_global(translated, "_")
bp.add_app_template_global(translate_plural, "ngettext")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"lang": g.get("lang", "zh"), "present": present, "user": current_user,
            "campaigns": context().campaigns, "lang_url": _lang_url}


def _lang_url(code: str) -> str:
    """This page again, in the other language."""
    args = request.args.to_dict()
    args["lang"] = code
    return request.path + "?" + urlencode(args)


def _audit_refusal(record: Callable[..., bool]) -> None:
    """The refusal's audit line, in a short transaction of its own; the request's own
    (rolled back: nothing it did stands) is closed first so it holds no lock."""
    close_db()
    actor = current_user.name if current_user.is_authenticated else audit.UNKNOWN
    try:
        with writer() as session_, session_.begin():
            record(session_, at=context().clock(), actor=actor, path=request.path,
                   address=address())
    except SQLAlchemyError:
        pass  # the database is away: the refusal page is still the answer


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    _audit_refusal(audit.csrf_refused)
    return render_template("console/error.html", title=translated("err_csrf_title"),
                           message=translated("err_csrf")), 400


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    if exc.code == 403:
        _audit_refusal(audit.page_refused)
    if exc.code in (403, 404, 405):
        return render_template("console/error.html", title=translated(f"err_{exc.code}_title"),
                               message=translated(f"err_{exc.code}")), exc.code
    return exc


@bp.errorhandler(OperationalError)
@bp.errorhandler(PoolTimeout)
def _database_unavailable(exc: Exception) -> tuple[str, int, dict[str, str]]:
    """The database is away or stalled past its time limits: a plain page, not a trace.
    It does not extend base.html, which would ask the database who is signed in."""
    title, message = translated("err_db_title"), translated("err_db")
    page = (f'<!doctype html><html lang="{g.get("lang", "zh")}"><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1>"
            f'<p role="alert">{escape(message)}</p></html>')
    return page, 503, {"Retry-After": "30", "Content-Type": "text/html; charset=utf-8"}

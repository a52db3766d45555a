"""What every console request goes through, in one place: junk refused, the language
chosen, the CSRF token checked, a session that outlived its working day ended, the
security headers set, and the error pages (a database away is a plain 503 page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, g, render_template, request, session
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from console import bp, csrf, present
from console.auth import SESSION_HOURS, close_db, context
from console.i18n import LANGUAGES, choose_language, translate_plural
from console.pages import translated

LANG_COOKIE = "hotline_lang"
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


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    return render_template("console/error.html", title=translated("err_csrf_title"),
                           message=translated("err_csrf")), 400


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
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

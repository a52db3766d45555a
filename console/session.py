"""Signing in and out, and the user's own account (their password)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from console import PREFIX, bp, present, recovery_codes, second_factor
from console.accounts import AccountError, change_password, sign_in
from console.accounts import sign_out as end_sessions
from console.auth import ConsoleUser, address, context, db, requires
from console.forms import PasswordForm, SignInForm
from console.pages import display_zone, now, translated
from db.user_models import User

PENDING = "second_step"   # the session key of a sign-in waiting for its second factor
PENDING_SECONDS = 5 * 60  # the code must follow the password within this


def safe_next(target: str | None) -> str | None:
    # Only the console's own pages: never an open redirect to another site.
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return None


def _login_page(form: SignInForm, error: str | None = None, status: int = 200) -> Any:
    return render_template("console/login.html", form=form, error=error), status


@bp.route("/login", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page() -> Any:
    form = SignInForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        return _login_page(form)
    if not form.validate():
        return _login_page(form, translated("login_missing"), 400)
    result = sign_in(context().write_sessions, form.name.data or "",
                     form.password.data or "", address=address(), at=now(),
                     hasher=context().hasher,
                     second_factor_required=context().second_factor_required)
    if result.throttled_until is not None:
        until = present.local(result.throttled_until, display_zone(), "%H:%M:%S")
        return _login_page(form, translated("login_throttled", until=until), 429)
    if result.user is None:
        return _login_page(form, translated("login_failed"), 401)
    if result.second_step is not None:
        return start_second_step(result.user, result.second_step, form.next.data)
    complete_sign_in(result.user)
    return redirect(safe_next(form.next.data) or url_for("console.index"))


def start_second_step(user: User, step: str, next_url: str | None) -> Any:
    """The password was right: ask for the code (or enrolment) before signing in. The
    browser is not signed in meanwhile; it holds only this pending step."""
    session.clear()
    session[PENDING] = {"id": user.id, "token": user.session_token, "step": step,
                        "at": now().timestamp(), "next": safe_next(next_url) or ""}
    return redirect(url_for("console.sign_in_code" if step == "code" else "console.enrol"))


def complete_sign_in(user: User) -> None:
    """Sign the browser in: a new session (no fixation), its start and last activity."""
    session.clear()
    login_user(ConsoleUser.of(user))
    session["signed_in_at"] = session["seen_at"] = now().timestamp()


@bp.post("/logout")
@requires()
def sign_out() -> Any:
    # A new session token: the cookie just dropped stays useless even if it was copied.
    end_sessions(db(), current_user.id, at=now(), address=address())
    db().commit()
    logout_user()
    session.clear()
    return redirect(url_for("console.sign_in"))


def _account_page(form: PasswordForm, error: str | None = None, status: int = 200) -> Any:
    user = db().get(User, current_user.id)
    state = {"enrolled": user is not None and second_factor.enrolled(user),
             "since": user.totp_enrolled_at if user else None,
             "codes_left": recovery_codes.left(db(), current_user.id)}
    return render_template("console/account.html", form=form, error=error,
                           second_factor=state, zone=display_zone()), status


@bp.route("/account", methods=["GET", "POST"])
@requires()
def account() -> Any:
    form = PasswordForm()
    if request.method == "GET":
        return _account_page(form)
    error = None
    if not form.validate():
        error = "pw_missing"
    elif form.new.data != form.confirm.data:
        error = "pw_mismatch"
    else:
        try:
            user = change_password(context().write_sessions,
                                   current_user.id, form.current.data or "",
                                   form.new.data or "", at=now(), address=address(),
                                   hasher=context().hasher)
        except AccountError as exc:
            error = f"acc_{exc.code}"
        else:
            # The new token signed every other browser out; keep this one signed in.
            login_user(ConsoleUser.of(user))
            flash(translated("pw_changed"), "ok")
            return redirect(url_for("console.account"))
    return _account_page(form, translated(error), 400)


@bp.get("/")
@requires()
def index() -> Any:
    if current_user.can("calls"):
        return redirect(url_for("console.inbox_page"))
    return redirect(url_for("console.admin_users"))

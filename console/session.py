"""Signing in and out, and the user's own account (their password)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from console import PREFIX, bp, present
from console.accounts import AccountError, change_password, sign_in
from console.accounts import sign_out as end_sessions
from console.auth import ConsoleUser, address, context, db, requires
from console.forms import PasswordForm, SignInForm
from console.pages import display_zone, now, translated


def _safe_next(target: str | None) -> str | None:
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
        form.next.data = _safe_next(request.args.get("next")) or ""
        return _login_page(form)
    if not form.validate():
        return _login_page(form, translated("login_missing"), 400)
    result = sign_in(context().write_sessions, form.name.data or "",
                     form.password.data or "", address=address(), at=now(),
                     hasher=context().hasher)
    if result.throttled_until is not None:
        until = present.local(result.throttled_until, display_zone(), "%H:%M")
        return _login_page(form, translated("login_throttled", until=until), 429)
    if result.user is None:
        return _login_page(form, translated("login_failed"), 401)
    session.clear()
    login_user(ConsoleUser.of(result.user))
    session["signed_in_at"] = now().timestamp()
    return redirect(_safe_next(form.next.data) or url_for("console.index"))


@bp.post("/logout")
@requires()
def sign_out() -> Any:
    # A new session token: the cookie just dropped stays useless even if it was copied.
    end_sessions(db(), current_user.id, at=now(), address=address())
    db().commit()
    logout_user()
    session.clear()
    return redirect(url_for("console.sign_in"))


@bp.route("/account", methods=["GET", "POST"])
@requires()
def account() -> Any:
    form = PasswordForm()
    if request.method == "GET":
        return render_template("console/account.html", form=form)
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
    return render_template("console/account.html", form=form, error=translated(error)), 400


@bp.get("/")
@requires()
def index() -> Any:
    if current_user.can("calls"):
        return redirect(url_for("console.inbox_page"))
    return redirect(url_for("console.admin_users"))

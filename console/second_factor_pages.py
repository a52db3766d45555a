"""The second factor's pages: the code asked after the password, enrolment (on first
sign-in where it is required, or from the account page), and new recovery codes.

Between the password and the code the browser holds only a pending step in its
session (the user's id and session token, for five minutes); it is not signed in.
The rules are in console/second_factor.py; these views parse, call it and render.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from console import bp, present, recovery_codes
from console import second_factor as factor
from console.accounts import AccountError, normalise_name
from console.auth import address, context, db, requires, writer
from console.forms import CodeForm
from console.pages import commit_change, display_zone, now, translated
from console.second_factor_admin import reset
from console.session import PENDING, PENDING_SECONDS, complete_sign_in
from db.user_models import User


def _pending(step: str) -> dict[str, Any] | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("step") != step:
        return None
    if now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = _user(pending.get("id"))
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    return pending


def _user(user_id: Any) -> User | None:
    # A short read of its own: these views call functions that write in transactions of
    # their own, which the request's session (a writer, on a POST) must not hold up.
    if not isinstance(user_id, int):
        return None
    with context().sessions() as reading:
        return reading.get(User, user_id)


def _refused(template: str, check: factor.CodeCheck, **page: Any) -> Any:
    if check.throttled_until is not None:
        until = present.local(check.throttled_until, display_zone(), "%H:%M:%S")
        return render_template(template, error=translated("login_throttled", until=until),
                               **page), 429
    return render_template(template, error=translated("tf_wrong_code"), **page), 401


@bp.route("/login/code", methods=["GET", "POST"], endpoint="sign_in_code")
def code_page() -> Any:
    pending = _pending("code")
    if pending is None:
        return redirect(url_for("console.sign_in"))
    form = CodeForm()
    if request.method == "GET":
        return render_template("console/login_code.html", form=form)
    if not form.validate():
        return render_template("console/login_code.html", form=form,
                               error=translated("tf_missing")), 400
    check = factor.check_code(context().write_sessions, pending["id"], form.code.data or "",
                              at=now(), address=address(), keyring=context().sealing,
                              hasher=context().hasher)
    if check.user is None:
        return _refused("console/login_code.html", check, form=form)
    complete_sign_in(check.user)
    return redirect(pending["next"] or url_for("console.index"))


@bp.route("/login/enrol", methods=["GET", "POST"], endpoint="enrol")
def enrol_page() -> Any:
    """Enrolment: the QR code of a new secret, then a code from it to confirm."""
    pending = None if current_user.is_authenticated else _pending("enrol")
    if pending is None and not current_user.is_authenticated:
        return redirect(url_for("console.sign_in"))
    user_id = current_user.id if pending is None else pending["id"]
    user = _user(user_id)
    if user is None or factor.enrolled(user):
        return redirect(url_for("console.account"))
    form = CodeForm()
    if request.method == "POST" and form.validate():
        check, codes = factor.confirm_enrolment(
            context().write_sessions, user_id, form.code.data or "", at=now(),
            address=address(), keyring=context().sealing, hasher=context().hasher,
            signs_in=pending is not None)
        if check.user is not None:
            if pending is not None:
                complete_sign_in(check.user)
            return render_template("console/recovery_codes.html", codes=codes,
                                   next=(pending or {}).get("next") or url_for("console.index"))
    else:
        check = None
    with writer() as writing, writing.begin():
        secret = factor.begin_enrolment(writing, writing.merge(user), context().sealing)
    uri = factor.provisioning_uri(secret, user.name)
    page = {"form": form, "secret": secret, "qr": factor.qr_svg(uri)}
    if check is not None:
        return _refused("console/enrol.html", check, **page)
    if request.method == "POST":
        return render_template("console/enrol.html", error=translated("tf_missing"), **page), 400
    return render_template("console/enrol.html", **page)


@bp.post("/account/recovery-codes")
@requires()
def renew_recovery_codes() -> Any:
    codes = recovery_codes.new(context().hasher)  # hashed before the transaction
    shown: list[str] = []

    def renew() -> None:
        shown.extend(recovery_codes.renew(db(), current_user.id, at=now(), codes=codes,
                                          address=address()))

    if commit_change(renew, AccountError) is not None:
        return redirect(url_for("console.account"))
    return render_template("console/recovery_codes.html", codes=shown,
                           next=url_for("console.account"))


@bp.post("/admin/users/<name>/second-factor")
@requires("admin")
def admin_reset_second_factor(name: str) -> Any:
    """An admin takes a user's second factor away (a lost phone), like
    `hotline users reset-2fa`: audited, and the user is signed out everywhere."""
    failed = commit_change(lambda: reset(db(), name, at=now(), actor=current_user.name,
                                         address=address()), AccountError)
    if failed is not None:
        abort(404)
    flash(translated("tf_reset_done", name=normalise_name(name)), "ok")
    return redirect(url_for("console.admin_users"))

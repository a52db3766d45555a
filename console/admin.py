"""Administration: the users (added, enabled, disabled), the campaigns, the audit log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from campaign.calendar import local_midnight
from console import bp
from console.accounts import AccountError, find_user, list_users, normalise_name, set_active
from console.accounts import add_user as create_user
from console.auth import address, context, db, requires
from console.filters import decode_cursor, encode_cursor
from console.forms import ActionForm, UserForm
from console.pages import commit_change, display_zone, now, translated
from db import audit, scope
from db.user_models import ROLES

AUDIT_PAGE = 100  # lines of the audit log a page


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("admin")
def admin_users() -> Any:
    form = UserForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = "acc_missing"
        elif (failed := commit_change(lambda: create_user(
                db(), form.name.data or "", form.role.data or "", form.password.data or "",
                at=now(), actor=current_user.name, address=address(),
                hasher=context().hasher), AccountError)) is not None:
            error = f"acc_{failed.code}"
        else:
            flash(translated("user_added", name=form.name.data), "ok")
            return redirect(url_for("console.admin_users"))
    return render_template("console/admin_users.html", users=list_users(db()), form=form,
                           roles=ROLES, action_form=ActionForm(),
                           limited=scope.campaigns_by_user(db()),
                           error=translated(error) if error else None), (400 if error else 200)


@bp.post("/admin/users/<name>/active")
@requires("admin")
def admin_user_active(name: str) -> Any:
    active = request.form.get("active") == "1"
    if normalise_name(name) == current_user.name and not active:
        flash(translated("acc_self_disable"), "error")
        return redirect(url_for("console.admin_users"))
    failed = commit_change(lambda: set_active(db(), name, active, at=now(),
                                              actor=current_user.name, address=address()),
                           AccountError)
    if failed is not None and failed.code == "no_user":
        abort(404)
    if failed is not None:
        flash(translated(f"acc_{failed.code}"), "error")
    else:
        flash(translated("user_enabled", name=name) if active
              else translated("user_disabled", name=name), "ok")
    return redirect(url_for("console.admin_users"))


@bp.post("/admin/users/<name>/campaigns")
@requires("admin")
def admin_user_campaigns(name: str) -> Any:
    """Limit a user to the campaigns ticked (none ticked: every campaign)."""
    user = find_user(db(), name)
    if user is None:
        abort(404)
    wanted = request.form.getlist("campaign")
    failed = commit_change(lambda: scope.set_campaigns(
        db(), user, wanted, known=context().campaigns.by_id, at=now(),
        actor=current_user.name, address=address()), scope.ScopeError)
    if failed is not None:
        flash(translated("acc_bad_campaign"), "error")
    else:
        flash(translated("user_campaigns_saved", name=user.name), "ok")
    return redirect(url_for("console.admin_users"))


@bp.get("/admin/campaigns")
@requires("admin")
def admin_campaigns() -> Any:
    return render_template("console/admin_campaigns.html")


@bp.get("/admin/audit")
@requires("admin")
def admin_audit() -> Any:
    zone = display_zone()
    values, where, errors = _audit_filter(zone)
    before = decode_cursor(request.args.get("older"))
    events = audit.read(db(), where, before=before, limit=AUDIT_PAGE + 1)
    last = events[AUDIT_PAGE - 1] if len(events) > AUDIT_PAGE else None
    older = encode_cursor((last.at, last.id)) if last is not None else None
    return render_template("console/admin_audit.html", events=events[:AUDIT_PAGE],
                           values=values, actions=audit.ACTIONS, actors=audit.actors(db()),
                           zone=zone, older=older, errors=errors,
                           query=lambda **c: _query({**values, **c}))


def _audit_filter(zone: ZoneInfo) -> tuple[dict[str, str], audit.AuditFilter, list[str]]:
    """The audit page's filter from the URL; an unknown actor or action is dropped."""
    values = {name: (request.args.get(name) or "").strip()[:64]
              for name in ("actor", "action", "since", "until")}
    start = _local_midnight(values["since"], zone)
    end = _local_midnight(values["until"], zone, next_day=True)
    errors = []
    if values["action"] and values["action"] not in audit.ACTIONS:
        values["action"] = ""
        errors.append("err_bad_filter")
    if values["actor"] and values["actor"] not in audit.actors(db()):
        values["actor"] = ""
        errors.append("err_bad_filter")
    if (values["since"] and start is None) or (values["until"] and end is None):
        errors.append("err_date")
    where = audit.AuditFilter(actor=values["actor"] or None,
                              action=values["action"] or None, start=start, end=end)
    return values, where, errors


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

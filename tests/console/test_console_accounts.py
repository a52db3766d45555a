"""Accounts: sign-out ends the session server-side, junk sign-ins stay
bounded in the database, admins cannot lock everyone out, a broken assignment form
changes nothing, and guessing the current password on the password form is throttled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from console_helpers import FAST_HASHER, PASSWORD, post, sign_in
from sqlalchemy import func, select

from console.accounts import AccountError, add_user, set_active
from db.engine import make_session_factory
from db.models import Report
from db.user_models import AuditEvent, LoginAttempt, User
from hotline.cli import main


def _audit(engine, action: str) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return list(connection.execute(select(AuditEvent.actor).where(
            AuditEvent.action == action).order_by(AuditEvent.id)).scalars())


def test_signing_out_ends_the_session_on_the_server(app, users) -> None:
    client = app.test_client()
    assert sign_in(client, "operator").status_code == 302
    copied = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    copied.set_cookie("session", cookie.value)
    assert copied.get("/console/calls").status_code == 200
    post(client, "/console/logout")
    # A copy of the cookie taken before signing out is no good afterwards.
    assert copied.get("/console/calls").status_code == 302


def test_unknown_names_are_audited_as_a_question_mark(app, users, engine) -> None:
    assert sign_in(app.test_client(), "'; drop table users; --").status_code in (400, 401)
    assert sign_in(app.test_client(), "nobody-here").status_code == 401
    assert _audit(engine, "sign_in_failed") == ["?", "?"]


def test_refused_attempts_are_written_once_per_window(app, users, engine, clock) -> None:
    for _ in range(3):
        sign_in(app.test_client(), "operator", "wrong password!", "10.3.0.1")
    for _ in range(20):
        assert sign_in(app.test_client(), "operator", "wrong password!", "10.3.0.1") \
            .status_code == 429
    with engine.connect() as connection:
        results = list(connection.execute(select(LoginAttempt.result)).scalars())
    assert results.count("throttled") == 1 and len(results) == 4
    assert len(_audit(engine, "sign_in_throttled")) == 1


def test_attempts_older_than_a_day_are_pruned(app, users, engine, clock) -> None:
    for index in range(3):
        sign_in(app.test_client(), f"junk-{index}", "whatever", f"10.4.0.{index}")
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    sign_in(app.test_client(), "operator")
    with engine.connect() as connection:
        names = list(connection.execute(select(LoginAttempt.username)).scalars())
    assert names == ["operator"]


def test_the_audit_actor_filter_offers_only_users(signed_in, app, engine) -> None:
    for index in range(3):
        sign_in(app.test_client(), f"junk-{index}", "whatever", f"10.5.0.{index}")
    page = signed_in("admin").get("/console/admin/audit").get_data(as_text=True)
    assert "junk-" not in page
    for actor in ("operator", "manager", "admin", "(command line)", "?"):
        assert f'<option value="{actor}"' in page
    # A typed actor that is not one of those is ignored, with a message.
    junk = signed_in("admin").get("/console/admin/audit?actor=junk-1&lang=en")
    assert junk.status_code == 200 and "was not valid" in junk.get_data(as_text=True)


def test_an_admin_cannot_disable_themselves_by_changing_case(signed_in, engine) -> None:
    client = signed_in("admin")
    post(client, "/console/admin/users/ADMIN/active", {"active": "0"},
         page="/console/admin/users")
    with engine.connect() as connection:
        assert connection.execute(select(User.active).where(User.name == "admin")) \
            .scalar_one() is True
    assert client.get("/console/admin/users").status_code == 200


def test_the_last_active_admin_cannot_be_disabled(settings, users, engine) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, list(args), env={
            "HOTLINE_DATABASE_URL": settings.database_url,
            "HOTLINE_CAMPAIGNS": str(settings.campaigns_path)})

    refused = run("users", "disable", "Admin")
    assert refused.exit_code == 2 and "last active admin" in refused.output
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(User).where(
            User.role == "admin", User.active.is_(True))).scalar_one() == 1
    assert run("users", "disable", "operator").exit_code == 0


def test_the_last_active_admin_stays_whoever_asks(users, engine, clock) -> None:
    # Another admin whose own account was disabled a moment ago, or a script: refused.
    with make_session_factory(engine).begin() as session, \
            pytest.raises(AccountError) as refused:
        set_active(session, "ADMIN", False, at=clock(), actor="boss")
    assert refused.value.code == "last_admin"
    with make_session_factory(engine).begin() as session:
        add_user(session, "boss", "admin", PASSWORD, at=clock(), hasher=FAST_HASHER)
    with make_session_factory(engine).begin() as session:
        assert set_active(session, "admin", False, at=clock(), actor="boss").active is False


def test_a_broken_assignment_form_changes_nothing(signed_in, reported_call, engine) -> None:
    client = signed_in("operator")
    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    post(client, f"/console/reports/{reference}/assignee", {"assignee": "operator"})
    broken = post(client, f"/console/reports/{reference}/assignee", {"assignee": "x" * 65})
    assert broken.status_code == 302
    page = client.get(broken.headers["Location"]).get_data(as_text=True)
    assert "只能指派给启用的接线员或主管" in page
    with engine.connect() as connection:
        assert connection.execute(select(Report.assignee_id)).scalar_one() is not None
    assert _audit(engine, "assigned") == ["operator"]


def test_guessing_the_current_password_is_throttled(signed_in, engine) -> None:
    client = signed_in("operator")
    for _ in range(3):
        wrong = post(client, "/console/account", {"current": "not my password",
                                                   "new": "a new long password",
                                                   "confirm": "a new long password"})
        assert wrong.status_code == 400
    right = post(client, "/console/account?lang=en", {
        "current": PASSWORD, "new": "a new long password", "confirm": "a new long password"})
    assert right.status_code == 400 and "Too many wrong passwords" in right.get_data(
        as_text=True)
    with engine.connect() as connection:
        assert connection.execute(select(User.password_changed_at).where(
            User.name == "operator")).scalar_one() is not None
    assert _audit(engine, "password_changed") == []

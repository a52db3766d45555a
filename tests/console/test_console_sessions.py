"""How long a sign-in lasts (idle timeout, the working day), and refusals in the audit log."""

from __future__ import annotations

from console_helpers import PASSWORD, csrf_token, sign_in
from sqlalchemy import select

from db.user_models import AuditEvent


def _audit(engine, action: str) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(  # type: ignore[misc]
            select(AuditEvent.actor, AuditEvent.target, AuditEvent.address)
            .where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_a_session_left_idle_for_thirty_minutes_ends(signed_in, console, clock) -> None:
    assert console.idle_minutes == 30  # the default (HOTLINE_IDLE_MINUTES)
    client = signed_in("operator")
    # Working keeps the session alive well past thirty minutes …
    for _ in range(4):
        clock.advance(25 * 60)
        assert client.get("/console/calls").status_code == 200
    # … thirty idle minutes end it, and the visitor is asked to sign in again.
    clock.advance(30 * 60 + 1)
    response = client.get("/console/calls")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert client.get("/console/calls").status_code == 302


def test_the_idle_timeout_is_a_setting(signed_in, console, clock) -> None:
    console.idle_minutes = 5
    client = signed_in("manager")
    clock.advance(4 * 60)
    assert client.get("/console/stats").status_code == 200
    clock.advance(5 * 60 + 1)
    assert client.get("/console/stats").status_code == 302


def test_a_working_day_ends_the_session_however_busy(signed_in, clock) -> None:
    client = signed_in("operator")
    for _ in range(12 * 3):
        clock.advance(20 * 60)
        assert client.get("/console/calls").status_code == 200
    clock.advance(60)
    assert client.get("/console/calls").status_code == 302


def test_a_failed_csrf_check_is_audited_once_a_minute(app, users, engine, clock) -> None:
    client = app.test_client()
    assert sign_in(client, "operator").status_code == 302
    for _ in range(3):
        assert client.post("/console/logout", data={"csrf_token": "forged"},
                           environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 400
    assert _audit(engine, "csrf_refused") == [("operator", "/console/logout", "10.0.0.9")]
    clock.advance(61)
    client.post("/console/logout", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    # A stranger's forged sign-in is audited as "?", never with the name typed.
    app.test_client().post("/console/login", data={"name": "operator", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert _audit(engine, "csrf_refused") == [
        ("operator", "/console/logout", "10.0.0.9"), ("operator", "/console/logout", "10.0.0.9"),
        ("?", "/console/login", "203.0.113.5")]
    assert client.get("/console/calls").status_code == 200  # still signed in


def test_a_refused_page_is_audited(signed_in, engine) -> None:
    operator = signed_in("operator")
    assert operator.get("/console/admin/audit", environ_base={"REMOTE_ADDR": "10.0.0.4"}) \
        .status_code == 403
    assert operator.get("/console/stats").status_code == 403
    admin = signed_in("admin")
    assert admin.get("/console/calls").status_code == 403  # admins do not read reports
    assert admin.post("/console/calls/search", data={
        "csrf_token": csrf_token(admin, "/console/account"), "q": "+8613800138000"}) \
        .status_code == 403
    assert _audit(engine, "page_refused") == [
        ("operator", "/console/admin/audit", "10.0.0.4"),
        ("operator", "/console/stats", "127.0.0.1"),
        ("admin", "/console/calls", "127.0.0.1"), ("admin", "/console/calls/search", "127.0.0.1")]
    # An admin reads the refusals in the console's audit log.
    page = admin.get("/console/admin/audit?action=page_refused&lang=en").get_data(as_text=True)
    assert "/console/admin/audit" in page and "refused: page not allowed" in page

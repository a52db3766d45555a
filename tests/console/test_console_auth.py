"""Signing in and out, throttling, CSRF refusals, cookies, passwords, disabled accounts."""

from __future__ import annotations

from dataclasses import replace

from console_helpers import CSRF, FAST_HASHER, PASSWORD, csrf_token, post, sign_in
from sqlalchemy import select

from db.user_models import AuditEvent, LoginAttempt
from hotline.app import create_app


def audit_actions(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [(row.actor, row.action) for row in connection.execute(
            select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.id))]


def test_sign_in_and_out(app, users, engine) -> None:
    client = app.test_client()
    assert sign_in(client, "operator").headers["Location"] == "/console/"
    assert client.get("/console/calls").status_code == 200
    out = post(client, "/console/logout")
    assert out.headers["Location"] == "/console/login"
    assert client.get("/console/calls").status_code == 302
    assert audit_actions(engine) == [("(command line)", "user_added")] * 3 + [
        ("operator", "sign_in"), ("operator", "sign_out")]


def test_a_wrong_password_is_refused_and_audited(app, users, engine) -> None:
    client = app.test_client()
    response = sign_in(client, "operator", "not the password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/console/calls").status_code == 302
    assert audit_actions(engine)[-1] == ("operator", "sign_in_failed")


def test_names_are_not_case_sensitive_and_unknown_names_fail_alike(app, users) -> None:
    assert sign_in(app.test_client(), " Operator ").status_code == 302
    unknown = sign_in(app.test_client(), "nobody-here")
    wrong = sign_in(app.test_client(), "operator", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_data(as_text=True) .count("用户名或密码错误") == 1


def test_failures_delay_the_account_progressively_but_never_lock_it(app, users,
                                                                    clock) -> None:
    # Three wrong passwords cost nothing, from anywhere.
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert sign_in(app.test_client(), "operator", "wrong password!", address).status_code \
            == 401
    # Then each attempt waits: 15 s after the third failure, even with the right password
    # and from a fresh address.
    delayed = sign_in(app.test_client(), "operator", PASSWORD, "10.9.9.9")
    assert delayed.status_code == 429
    text = delayed.get_data(as_text=True)
    assert "登录失败次数过多" in text and "10:00:15" in text  # local time it may try again
    # Other accounts are not affected.
    assert sign_in(app.test_client(), "manager", PASSWORD, "10.9.9.9").status_code == 302
    clock.advance(15)
    assert sign_in(app.test_client(), "operator", "wrong password!").status_code == 401
    # Each further failure doubles the wait: 30 s now, then 60 s …
    clock.advance(29)
    assert sign_in(app.test_client(), "operator", PASSWORD).status_code == 429
    clock.advance(1)
    assert sign_in(app.test_client(), "operator", "wrong password!").status_code == 401
    clock.advance(59)
    assert sign_in(app.test_client(), "operator", PASSWORD).status_code == 429
    clock.advance(1)
    assert sign_in(app.test_client(), "operator", PASSWORD).status_code == 302


def test_the_delay_of_someone_guessing_without_end_stays_at_five_minutes(app, users,
                                                                          clock) -> None:
    """Whoever keeps guessing a known name slows its owner down, never shuts them out."""
    for _ in range(12):
        assert sign_in(app.test_client(), "operator", "wrong password!").status_code == 401
        clock.advance(5 * 60)  # the longest wait there is
    assert sign_in(app.test_client(), "operator", PASSWORD, "10.8.8.8").status_code == 302


def test_an_address_is_limited_after_twenty_failures(app, users, clock) -> None:
    # Twenty names tried from one address, each once: no account is delayed …
    for index in range(20):
        assert sign_in(app.test_client(), f"guess-{index}", "whatever", "192.0.2.7") \
            .status_code == 401
    # … but the address is refused, for every account, until the oldest failure is
    # fifteen minutes old; other addresses are not.
    assert sign_in(app.test_client(), "operator", PASSWORD, "192.0.2.7").status_code == 429
    assert sign_in(app.test_client(), "operator", PASSWORD, "192.0.2.8").status_code == 302
    clock.advance(15 * 60 + 1)
    assert sign_in(app.test_client(), "operator", PASSWORD, "192.0.2.7").status_code == 302


def test_throttling_holds_across_processes(app, users, settings, engine, clock, campaigns,
                                           console) -> None:
    # A second app on the same database stands for another web worker.
    other = create_app(settings, clock=clock, campaigns=campaigns, engine=engine,
                     drain_inline=True)
    other.extensions["hotline.console"].hasher = FAST_HASHER
    for _ in range(3):
        sign_in(app.test_client(), "operator", "wrong password!")
    assert sign_in(other.test_client(), "operator", PASSWORD, "10.7.7.7").status_code == 429
    with engine.connect() as connection:
        results = list(connection.execute(select(LoginAttempt.result)).scalars())
    assert results == ["failed"] * 3 + ["throttled"]


def test_refused_attempts_do_not_extend_the_delay(app, users, clock) -> None:
    for _ in range(3):
        sign_in(app.test_client(), "operator", "wrong password!")
    for _ in range(5):
        clock.advance(2)
        assert sign_in(app.test_client(), "operator", PASSWORD).status_code == 429
    clock.advance(5 + 1)
    assert sign_in(app.test_client(), "operator", PASSWORD).status_code == 302


def test_a_post_without_a_csrf_token_is_refused(app, users, reported_call, engine) -> None:
    client = app.test_client()
    assert client.post("/console/login", data={"name": "operator", "password": PASSWORD}) \
        .status_code == 400
    assert sign_in(client, "operator").status_code == 302
    from db.models import Report

    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    for path, data in ((f"/console/reports/{reference}/status",
                        {"to": "acknowledged", "expected": "new"}),
                       (f"/console/reports/{reference}/notes", {"body": "forged"}),
                       ("/console/logout", {})):
        for token in (None, "forged-token"):
            response = client.post(path, data={**data, **({"csrf_token": token} if token
                                                            else {})})
            assert response.status_code == 400, path
            assert "security token" in response.get_data(as_text=True) or \
                "安全令牌" in response.get_data(as_text=True)
    with engine.connect() as connection:
        assert connection.execute(select(Report.follow_up)).scalar_one() == "new"
    assert client.get("/console/calls").status_code == 200  # still signed in
    assert "note_added" not in {action for _, action in audit_actions(engine)}


def test_a_token_from_another_session_is_refused(app, users) -> None:
    other = app.test_client()
    stolen = csrf_token(other)
    client = app.test_client()
    assert sign_in(client, "operator").status_code == 302
    assert client.post("/console/logout", data={"csrf_token": stolen}).status_code == 400


def test_session_cookie_is_httponly_and_samesite(app, users) -> None:
    response = sign_in(app.test_client(), "operator")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(settings, clock, campaigns, engine, console,
                                             users) -> None:
    secure = create_app(replace(settings, public_url="https://hotline.example.org"),
                        clock=clock, campaigns=campaigns, engine=engine)
    secure.extensions["hotline.console"].hasher = FAST_HASHER
    client = secure.test_client()
    site = "https://hotline.example.org"
    page = client.get("/console/login", base_url=site).get_data(as_text=True)
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    response = client.post("/console/login", base_url=site,
                           headers={"Referer": "https://hotline.example.org/console/login"},
                           data={"csrf_token": token, "name": "operator",
                                 "password": PASSWORD})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_pages_are_not_cached_or_framed(signed_in) -> None:
    response = signed_in("operator").get("/console/calls")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_change_password_signs_out_other_browsers(app, signed_in, engine) -> None:
    laptop = signed_in("operator")
    phone = signed_in("operator")
    wrong = post(laptop, "/console/account", {"current": "not it at all", "new": "a new long "
                                              "password", "confirm": "a new long password"})
    assert wrong.status_code == 400 and "当前密码错误" in wrong.get_data(as_text=True)
    short = post(laptop, "/console/account", {"current": PASSWORD, "new": "short",
                                              "confirm": "short"})
    assert short.status_code == 400 and "至少需要10个字符" in short.get_data(as_text=True)
    done = post(laptop, "/console/account", {"current": PASSWORD, "new": "a new long password",
                                             "confirm": "a new long password"})
    assert done.status_code == 302
    assert laptop.get("/console/calls").status_code == 200  # this browser stays in
    assert phone.get("/console/calls").status_code == 302   # the other is signed out
    assert sign_in(app.test_client(), "operator").status_code == 401
    assert sign_in(app.test_client(), "operator", "a new long password").status_code == 302
    assert ("operator", "password_changed") in audit_actions(engine)


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app, signed_in, engine) -> None:
    operator = signed_in("operator")
    admin = signed_in("admin")
    assert post(admin, "/console/admin/users/operator/active", {"active": "0"}) \
        .status_code == 302
    assert operator.get("/console/calls").status_code == 302
    assert sign_in(app.test_client(), "operator").status_code == 401
    assert ("admin", "user_disabled") in audit_actions(engine)
    page = admin.get("/console/admin/users").get_data(as_text=True)
    assert "已停用" in page


def test_interface_speaks_english_on_request(app, users) -> None:
    client = app.test_client()
    page = client.get("/console/login?lang=en")
    assert "Sign in" in page.get_data(as_text=True)
    # The choice is remembered.
    assert "Sign in" in client.get("/console/login").get_data(as_text=True)
    assert "登录" in app.test_client().get(
        "/console/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in app.test_client().get(
        "/console/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)

"""The second factor: enrolment on first sign-in, the code after the password, drift and
replay, recovery codes, the throttle, the command line, and the secret sealed at rest.
Every code is a real one, computed from the secret the page (or the command) gave."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from console_helpers import CSRF, SECRET, csrf_token, enrol, post, send_code, sign_in, totp
from sqlalchemy import select, update

from db.user_models import AuditEvent, RecoveryCode, User
from hotline.cli import main
from hotline.settings import Settings, SettingsError


@pytest.fixture
def required(console):  # type: ignore[no-untyped-def]
    """The app as in production: every console user needs a second factor."""
    console.second_factor_required = True
    return console


def _audit(engine, *actions: str) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(  # type: ignore[misc]
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id))]


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/console/calls").status_code == 200


def test_enrolment_on_first_sign_in_where_it_is_required(app, users, required, engine,
                                                         clock) -> None:
    client = app.test_client()
    assert sign_in(client, "operator").headers["Location"] == "/console/login/enrol"
    assert not _signed_in(client)  # the password alone signs nobody in
    page = client.get("/console/login/enrol").get_data(as_text=True)
    assert "<svg" in page and "qrline" in page  # the QR code is drawn in the page itself
    secret = SECRET.search(page).group(1)  # type: ignore[union-attr]
    # A reload shows the same secret, not a new one.
    assert SECRET.search(client.get("/console/login/enrol").get_data(as_text=True)) \
        .group(1) == secret  # type: ignore[union-attr]
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    wrong = client.post("/console/login/enrol", data={"csrf_token": token,
                                                      "code": totp(secret, clock(), 5)})
    assert wrong.status_code == 401 and not _signed_in(client)
    done = client.post("/console/login/enrol", data={"csrf_token": token,
                                                     "code": totp(secret, clock())})
    assert done.status_code == 200 and done.get_data(as_text=True).count("<li><code>") == 10
    assert _signed_in(client)
    assert _audit(engine, "second_factor_failed", "sign_in", "second_factor_enrolled") == [
        ("operator", "second_factor_failed", "wrong code"),
        ("operator", "sign_in", "with a code"),
        ("operator", "second_factor_enrolled", None)]


def test_the_secret_is_sealed_at_rest_and_bound_to_its_user(app, users, required, engine,
                                                            clock) -> None:
    secret, codes = enrol(app.test_client(), clock, "operator")
    with engine.connect() as connection:
        sealed, pending = connection.execute(select(User.totp_secret, User.totp_pending)
                                             .where(User.name == "operator")).one()
        hashes = list(connection.execute(select(RecoveryCode.code_hash)).scalars())
    assert pending is None and secret not in sealed and secret.lower() not in sealed.lower()
    assert sealed.startswith(required.sealing.current.id + ":")
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    # Copied onto another user's row, the sealed secret does not open: that user's
    # sign-in cannot pass with the operator's codes.
    with engine.begin() as connection:
        connection.execute(update(User).where(User.name == "manager").values(
            totp_secret=sealed))
    client = app.test_client()
    assert sign_in(client, "manager").headers["Location"] == "/console/login/code"
    assert send_code(client, totp(secret, clock())).status_code == 401
    assert not _signed_in(client)


def test_the_code_is_asked_on_its_own_page_after_the_password(app, users, required,
                                                              engine, clock) -> None:
    secret, _ = enrol(app.test_client(), clock, "operator")
    clock.advance(60)
    client = app.test_client()
    # A wrong password never reaches the code page.
    assert sign_in(client, "operator", "not the password").status_code == 401
    response = sign_in(client, "operator")
    assert response.headers["Location"] == "/console/login/code"
    assert not _signed_in(client)
    page = client.get("/console/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    assert send_code(client, totp(secret, clock(), -2)).status_code == 401  # too old
    # One step of drift either way is accepted: a phone half a minute slow.
    assert send_code(client, totp(secret, clock(), -1)).headers["Location"] == "/console/"
    assert _signed_in(client)


def test_a_code_is_never_taken_twice(app, users, required, clock) -> None:
    secret, _ = enrol(app.test_client(), clock, "operator")
    clock.advance(30)
    first = app.test_client()
    sign_in(first, "operator")
    code = totp(secret, clock())
    assert send_code(first, code).status_code == 302
    # Someone who saw that code typed, within its 30 seconds, cannot use it.
    second = app.test_client()
    sign_in(second, "operator", address="10.0.0.2")
    assert send_code(second, code, "10.0.0.2").status_code == 401
    # Nor the step before it (the drift window looks back too).
    assert send_code(second, totp(secret, clock(), -1), "10.0.0.2").status_code == 401
    clock.advance(30)
    assert send_code(second, totp(secret, clock()), "10.0.0.2").status_code == 302


def test_a_recovery_code_signs_in_once(app, users, required, engine, clock) -> None:
    _, codes = enrol(app.test_client(), clock, "operator")
    client = app.test_client()
    sign_in(client, "operator")
    assert send_code(client, codes[3].upper().replace("-", " ")).status_code == 302
    assert _signed_in(client)
    again = app.test_client()
    sign_in(again, "operator")
    assert send_code(again, codes[3]).status_code == 401
    assert send_code(again, codes[4]).status_code == 302
    assert _audit(engine, "sign_in")[-2:] == [("operator", "sign_in", "with a recovery code")] * 2
    page = again.get("/console/account?lang=en").get_data(as_text=True)
    assert "Unused recovery codes: 8." in page
    # New codes replace the old ones, which stop working.
    renewed = post(again, "/console/account/recovery-codes")
    new_codes = renewed.get_data(as_text=True).count("<li><code>")
    assert renewed.status_code == 200 and new_codes == 10
    third = app.test_client()
    sign_in(third, "operator")
    assert send_code(third, codes[5]).status_code == 401
    assert _audit(engine, "recovery_codes_renewed") == [
        ("operator", "recovery_codes_renewed", None)]


def test_wrong_codes_count_toward_the_sign_in_throttle(app, users, required, engine,
                                                       clock) -> None:
    secret, _ = enrol(app.test_client(), clock, "operator")
    clock.advance(30)
    client = app.test_client()
    sign_in(client, "operator")
    for _ in range(3):
        assert send_code(client, "123456" if totp(secret, clock()) != "123456" else "654321",
                         ).status_code == 401
    # The right code now waits like a right password would.
    delayed = send_code(client, totp(secret, clock()))
    assert delayed.status_code == 429 and not _signed_in(client)
    # So does the password of a fresh sign-in elsewhere.
    assert sign_in(app.test_client(), "operator", address="10.5.5.5").status_code == 429
    assert [a for _, a, _ in _audit(engine, "second_factor_failed", "sign_in_throttled")] == [
        "second_factor_failed"] * 3 + ["sign_in_throttled"]


def test_the_code_must_follow_the_password_within_five_minutes(app, users, required,
                                                                clock) -> None:
    secret, _ = enrol(app.test_client(), clock, "operator")
    client = app.test_client()
    sign_in(client, "operator")
    clock.advance(5 * 60 + 1)
    assert client.get("/console/login/code").headers["Location"] == "/console/login"
    late = client.post("/console/login/code", data={"csrf_token": csrf_token(client),
                                                      "code": totp(secret, clock())})
    assert late.headers["Location"] == "/console/login"
    assert not _signed_in(client)


def test_optional_in_development_until_the_user_enrols(app, users, console, clock) -> None:
    assert console.second_factor_required is False  # the test and development default
    client = app.test_client()
    assert sign_in(client, "manager").headers["Location"] == "/console/"
    page = client.get("/console/account?lang=en").get_data(as_text=True)
    assert "No second factor yet" in page
    enrolment = client.get("/console/login/enrol").get_data(as_text=True)
    secret = SECRET.search(enrolment).group(1)  # type: ignore[union-attr]
    done = post(client, "/console/login/enrol", {"code": totp(secret, clock())},
                page="/console/login/enrol")
    assert done.status_code == 200 and "<li><code>" in done.get_data(as_text=True)
    # Enrolled, the user is asked for a code from now on, required or not.
    clock.advance(30)
    again = app.test_client()
    assert sign_in(again, "manager").headers["Location"] == "/console/login/code"
    assert send_code(again, totp(secret, clock())).status_code == 302


def _cli(settings, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env={
        "HOTLINE_DATABASE_URL": settings.database_url,
        "HOTLINE_CAMPAIGNS": str(settings.campaigns_path),
        "HOTLINE_INSTANCE_PATH": str(settings.instance_path)})


def test_the_command_line_enrols_and_resets(app, users, required, settings, engine,
                                            clock) -> None:
    import pyotp

    made = _cli(settings, "users", "totp", "admin")
    assert made.exit_code == 0, made.output
    uri = made.stdout.strip()
    assert uri.startswith("otpauth://totp/Hotline:admin?secret=") and "issuer=Hotline" in uri
    assert len([line for line in made.stderr.splitlines() if line.startswith("  ")]) == 10
    secret = pyotp.parse_uri(uri).secret
    client = app.test_client()
    assert sign_in(client, "admin").headers["Location"] == "/console/login/code"
    assert send_code(client, totp(secret, clock())).status_code == 302
    again = _cli(settings, "users", "totp", "admin")
    assert again.exit_code == 2 and "already has a second factor" in again.output
    reset = _cli(settings, "users", "reset-2fa", "admin")
    assert reset.exit_code == 0, reset.output
    assert client.get("/console/admin/users").status_code == 302  # signed out everywhere
    assert sign_in(app.test_client(), "admin").headers["Location"] == "/console/login/enrol"
    assert [(a, act) for a, act, _ in _audit(
        engine, "second_factor_enrolled", "second_factor_reset")] == [
        ("(command line)", "second_factor_enrolled"), ("(command line)", "second_factor_reset")]
    with engine.connect() as connection:
        assert connection.execute(select(RecoveryCode.id)).first() is None


def test_production_always_requires_the_second_factor(tmp_path: Path) -> None:
    assert Settings.from_env({"HOTLINE_ENV": "production"},
                             instance_path=tmp_path).second_factor_required
    assert not Settings.from_env({}, instance_path=tmp_path).second_factor_required
    assert Settings.from_env({"HOTLINE_SECOND_FACTOR": "required"},
                             instance_path=tmp_path).second_factor_required
    with pytest.raises(SettingsError, match="production always requires"):
        Settings.from_env({"HOTLINE_ENV": "production", "HOTLINE_SECOND_FACTOR": "optional"},
                          instance_path=tmp_path)


def test_a_key_rotation_moves_the_secrets_and_codes_still_work(app, users, required,
                                                               settings, engine, clock,
                                                               monkeypatch) -> None:
    from dataclasses import replace

    from hotline.app import create_app
    from recordings.keys import new_key_text

    secret, _ = enrol(app.test_client(), clock, "operator")
    old_key = settings.local_recordings_key_path.read_text().strip()
    new_key = new_key_text()
    for name, value in (("HOTLINE_DATABASE_URL", settings.database_url),
                        ("HOTLINE_CAMPAIGNS", str(settings.campaigns_path)),
                        ("HOTLINE_INSTANCE_PATH", str(settings.instance_path)),
                        ("HOTLINE_RECORDINGS_KEY", new_key),
                        ("HOTLINE_RECORDINGS_OLD_KEYS", old_key)):
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["recordings", "rekey"])
    assert result.exit_code == 0, result.output
    assert "1 second-factor secret(s) sealed again" in result.output
    # With only the new key configured, the operator still signs in with their phone.
    rotated = create_app(replace(settings, recordings_key=new_key), clock=clock,
                         campaigns=required.campaigns, engine=engine, drain_inline=True)
    rotated.extensions["hotline.console"].second_factor_required = True
    rotated.extensions["hotline.console"].hasher = required.hasher
    clock.advance(30)
    client = rotated.test_client()
    assert sign_in(client, "operator").headers["Location"] == "/console/login/code"
    assert send_code(client, totp(secret, clock())).status_code == 302


def test_an_admin_resets_a_lost_phone_in_the_console(app, users, required, engine,
                                                      clock) -> None:
    enrol(app.test_client(), clock, "operator")
    operator = app.test_client()
    secret, _ = enrol(app.test_client(), clock, "admin", address="10.0.0.3")
    clock.advance(30)
    admin = app.test_client()
    sign_in(admin, "admin", address="10.0.0.3")
    assert send_code(admin, totp(secret, clock()), "10.0.0.3").status_code == 302
    page = admin.get("/console/admin/users?lang=en").get_data(as_text=True)
    assert page.count("Reset second factor") == 1  # the operator's; never one's own
    sign_in(operator, "operator")
    reset = post(admin, "/console/admin/users/operator/second-factor", page="/console/account")
    assert reset.status_code == 302
    assert "none" in admin.get("/console/admin/users?lang=en").get_data(as_text=True)
    # The operator's half-finished sign-in is void; the next one enrols again.
    assert operator.get("/console/login/code").headers["Location"] == "/console/login"
    assert sign_in(app.test_client(), "operator").headers["Location"] == "/console/login/enrol"
    assert _audit(engine, "second_factor_reset") == [("admin", "second_factor_reset", None)]
    assert post(admin, "/console/admin/users/nobody/second-factor").status_code == 404

"""`hotline users add|list|disable`: the administrator's way to give people access."""

from __future__ import annotations

from console_helpers import run_cli, sign_in
from sqlalchemy import select

from db.user_models import AuditEvent, User

run = run_cli


def test_add_list_disable(settings, app, engine, console) -> None:
    added = run(settings, "users", "add", "Wang.Li", "--role", "manager", "--password-stdin",
                stdin="a long enough secret\n")
    assert added.exit_code == 0 and added.output == "added wang.li (manager)\n"
    assert run(settings, "users", "list").output == "wang.li\tmanager\tactive\tall campaigns\n"
    with engine.connect() as connection:
        stored = connection.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "a long enough secret" not in stored
    assert sign_in(app.test_client(), "wang.li", "a long enough secret").status_code == 302
    assert run(settings, "users", "disable", "wang.li").exit_code == 0
    assert run(settings, "users", "list").output == "wang.li\tmanager\tdisabled\tall campaigns\n"
    assert sign_in(app.test_client(), "wang.li", "a long enough secret").status_code == 401
    with engine.connect() as connection:
        actions = list(connection.execute(select(AuditEvent.action).where(
            AuditEvent.actor == "(command line)").order_by(AuditEvent.id)).scalars())
    assert actions == ["user_added", "user_disabled"]


def test_the_password_prompt_asks_twice(settings, engine) -> None:
    result = run(settings, "users", "add", "chen", "--role", "operator",
                 stdin="a long enough secret\na long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output


def test_mistakes_are_one_clear_line(settings, engine) -> None:
    short = run(settings, "users", "add", "chen", "--role", "operator", "--password-stdin",
                stdin="short\n")
    assert short.exit_code == 2
    assert "at least 10 characters" in short.output
    assert run(settings, "users", "add", "chen", "--role", "boss").exit_code == 2
    run(settings, "users", "add", "chen", "--role", "operator", "--password-stdin",
        stdin="a long enough secret\n")
    again = run(settings, "users", "add", "chen", "--role", "admin", "--password-stdin",
                stdin="a long enough secret\n")
    assert again.exit_code == 2 and "already a user 'chen'" in again.output
    missing = run(settings, "users", "disable", "nobody")
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.output


def test_the_command_line_export_is_audited(settings, engine, place_call) -> None:
    place_call("1", "3", "1", "r30", "2")
    result = run(settings, "export", "calls", "--format", "csv", "--since", "2023-06-01",
                 "--campaign", "gz-2023")
    assert result.exit_code == 0 and len(result.output.splitlines()) == 2
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.actor, AuditEvent.action,
                                         AuditEvent.target, AuditEvent.detail)).all()
    assert [tuple(row) for row in rows] == [
        ("(command line)", "export", "calls.csv", "since=2023-06-01 campaign=gz-2023")]


def test_a_short_password_is_refused_before_the_confirmation(settings, engine) -> None:
    result = run(settings, "users", "add", "chen", "--role", "operator",
                 stdin="short\na long enough secret\na long enough secret\n")
    assert result.exit_code == 0, result.output
    refused, _, rest = result.output.partition("at least 10 characters")
    assert refused and "Repeat for confirmation" not in refused  # said before the repeat
    assert "Repeat for confirmation" in rest and "added chen (operator)" in rest
    named = run(settings, "users", "add", "wu.xiaoming", "--role", "operator",
                stdin="Wu.Xiaoming\n" * 3)
    assert named.exit_code == 2 and "must not be the user name" in named.output
    assert "Repeat for confirmation" not in named.output


def test_an_empty_password_is_a_generated_strong_one(settings, app, engine, console) -> None:
    result = run(settings, "users", "add", "lin", "--role", "manager", stdin="\n")
    assert result.exit_code == 0, result.output
    generated = result.output.split("pass it on safely): ")[1].split()[0]
    assert len(generated) >= 24 and "added lin (manager)" in result.output
    assert sign_in(app.test_client(), "lin", generated).status_code == 302
    other = run(settings, "users", "add", "wu", "--role", "manager", stdin="\n")
    assert other.output.split("pass it on safely): ")[1].split()[0] != generated

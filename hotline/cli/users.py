"""`hotline users`: the console's users."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import make_session_factory
from db.user_models import ROLES, User
from hotline.cli.shared import Failure, open_engine, prepare_database, read_settings


@click.group()
def users() -> None:
    """Console users (operator, manager, admin)."""


PROMPT_TRIES = 3
GENERATED_BYTES = 18  # 24 URL-safe characters, 144 random bits


def _read_password(name: str, from_stdin: bool) -> str:
    """The new password: from standard input, or typed (checked against the rules before
    it is asked again for confirmation), or, when left empty, a strong one generated."""
    from console.accounts import AccountError, check_password_rules, normalise_name

    name = normalise_name(name)
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Failure("--password-stdin: standard input held no password")
        return password
    for _ in range(PROMPT_TRIES):
        password = click.prompt("Password (leave empty to generate a strong one)",
                                hide_input=True, default="", show_default=False)
        if not password:
            password = secrets.token_urlsafe(GENERATED_BYTES)
            click.echo(f"Generated password for {name} (shown once, pass it on safely): "
                       f"{password}")
            return password
        try:
            check_password_rules(password, name)
        except AccountError as exc:
            click.echo(f"That password will not do: {exc}.")
            continue
        if click.prompt("Repeat for confirmation", hide_input=True, default="",
                        show_default=False) == password:
            return password
        click.echo("The two entries differ.")
    raise Failure(f"no password set after {PROMPT_TRIES} tries")


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a console user NAME with a role."""
    from console.accounts import add_user

    engine = _accounts_database()
    password = _read_password(name, password_stdin)
    user = _change(engine, lambda session: add_user(session, name, role, password,
                                                    at=datetime.now(UTC)))
    click.echo(f"added {user.name} ({user.role})")


@users.command("list")
def users_list() -> None:
    """List console users: name, role, active or disabled."""
    from console.accounts import list_users

    engine = _accounts_database()
    with make_session_factory(engine)() as session:
        for user in list_users(session):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.name}\t{user.role}\t{state}")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable NAME: they are signed out at once and can no longer sign in."""
    _set_user_active(name, False)


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable NAME again."""
    _set_user_active(name, True)


def _set_user_active(name: str, active: bool) -> None:
    from console.accounts import set_active

    user = _change(_accounts_database(),
                   lambda session: set_active(session, name, active, at=datetime.now(UTC)))
    click.echo(f"{user.name} is {'active' if active else 'disabled'}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input")
def users_password(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (signs them out everywhere)."""
    from console.accounts import reset_password

    engine = _accounts_database()
    password = _read_password(name, password_stdin)
    user = _change(engine, lambda session: reset_password(session, name, password,
                                                          at=datetime.now(UTC)))
    click.echo(f"new password set for {user.name}")


def _accounts_database() -> Engine:
    engine = open_engine(read_settings())
    prepare_database(engine)
    return engine


def _change(engine: Engine, change: Callable[[Session], User]) -> User:
    """One change to the accounts, in its own transaction; a refusal is one clear line."""
    from console.accounts import AccountError

    try:
        with make_session_factory(engine).begin() as session:
            return change(session)
    except AccountError as exc:
        raise Failure(str(exc)) from None

"""`hotline users`: the console's users."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db import scope
from db.engine import make_session_factory
from db.user_models import ROLES, User
from hotline.cli.shared import (
    Failure,
    open_engine,
    prepare_database,
    read_campaigns,
    read_settings,
)


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
@click.option("--campaign", "campaign_ids", multiple=True, metavar="ID",
              help="limit the user to this campaign (repeat for more; none: every campaign)")
def users_add(name: str, role: str, password_stdin: bool, campaign_ids: tuple[str, ...]
              ) -> None:
    """Add a console user NAME with a role."""
    from console.accounts import add_user

    engine = _accounts_database()
    known = _campaign_ids(campaign_ids)
    password = _read_password(name, password_stdin)

    def add(session: Session) -> User:
        user = add_user(session, name, role, password, at=datetime.now(UTC))
        if campaign_ids:
            scope.set_campaigns(session, user, campaign_ids, known=known, at=datetime.now(UTC))
        return user

    user = _change(engine, add)
    limited = f", campaigns {' '.join(sorted(set(campaign_ids)))}" if campaign_ids else ""
    click.echo(f"added {user.name} ({user.role}{limited})")


@users.command("campaigns")
@click.argument("name")
@click.option("--campaign", "campaign_ids", multiple=True, metavar="ID",
              help="a campaign NAME may see (repeat for more)")
@click.option("--all", "every", is_flag=True, help="lift the limit: every campaign")
def users_campaigns(name: str, campaign_ids: tuple[str, ...], every: bool) -> None:
    """Limit NAME to some campaigns (--campaign, repeated), or to none (--all)."""
    from console.accounts import find_user

    if every == bool(campaign_ids):
        raise Failure("give either --campaign ID (one or more) or --all")
    engine = _accounts_database()
    known = _campaign_ids(campaign_ids)

    def limit(session: Session) -> User:
        user = find_user(session, name)
        if user is None:
            raise Failure(f"there is no user {name!r}")
        scope.set_campaigns(session, user, campaign_ids, known=known, at=datetime.now(UTC))
        return user

    user = _change(engine, limit)
    shown = " ".join(sorted(set(campaign_ids))) if campaign_ids else "every campaign"
    click.echo(f"{user.name} sees {shown}")


def _campaign_ids(wanted: tuple[str, ...]) -> list[str]:
    """The configured campaigns' ids (read only when a scope is given)."""
    return list(read_campaigns(read_settings()).by_id) if wanted else []


@users.command("list")
def users_list() -> None:
    """List console users: name, role, active or disabled."""
    from console.accounts import list_users

    engine = _accounts_database()
    with make_session_factory(engine)() as session:
        limited = scope.campaigns_by_user(session)
        for user in list_users(session):
            state = "active" if user.active else "disabled"
            seen = " ".join(limited.get(user.id, [])) or "all campaigns"
            click.echo(f"{user.name}\t{user.role}\t{state}\t{seen}")


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


@users.command("totp")
@click.argument("name")
@click.option("--qr", is_flag=True, help="also draw the QR code in the terminal")
def users_totp(name: str, qr: bool) -> None:
    """Enrol NAME in the second factor from here: prints the otpauth:// URI for their
    authenticator app and their ten recovery codes (shown only this once)."""
    from console.second_factor_admin import enrol_from_command_line

    settings = read_settings()
    engine = _accounts_database()
    keyring = settings.recordings_keyring()
    made: list[tuple[str, list[str]]] = []  # the URI and the codes, out of the transaction

    def enrol(session: Session) -> User:
        user, uri, codes = enrol_from_command_line(session, name, at=datetime.now(UTC),
                                                   keyring=keyring)
        made.append((uri, codes))
        return user

    user = _change(engine, enrol)
    uri, codes = made[0]
    click.echo(uri)
    if qr:
        import segno

        segno.make(uri, error="m").terminal(compact=True)
    click.echo(f"recovery codes for {user.name} (each works once):", err=True)
    for code in codes:
        click.echo(f"  {code}", err=True)


@users.command("reset-2fa")
@click.argument("name")
def users_reset_2fa(name: str) -> None:
    """Take NAME's second factor away (a lost phone): signs them out everywhere; they
    enrol again at their next sign-in."""
    from console.second_factor_admin import reset

    user = _change(_accounts_database(),
                   lambda session: reset(session, name, at=datetime.now(UTC)))
    click.echo(f"second factor of {user.name} reset; they enrol again at their next sign-in")


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
    except (AccountError, scope.ScopeError) as exc:
        raise Failure(str(exc)) from None

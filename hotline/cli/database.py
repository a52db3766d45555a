"""`hotline db`: the database's migrations (Alembic)."""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from db import migrate
from hotline.cli.shared import Failure, open_engine, read_settings, unreachable


@click.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    _migrate(migrate.upgrade, revision)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION ('base' empties it)."""
    _migrate(migrate.downgrade, revision)


def _migrate(move: Callable[[Engine, str], None], revision: str) -> None:
    engine = open_engine(read_settings())
    try:
        move(engine, revision)
    except OperationalError as exc:
        raise unreachable(exc) from None
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@db.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one."""
    engine = open_engine(read_settings())
    try:
        current = migrate.current_revision(engine)
    except OperationalError as exc:
        raise unreachable(exc) from None
    head = migrate.head_revision(engine)
    state = "up to date" if migrate.is_up_to_date(engine) else f"newest is {head}"
    click.echo(f"{current or '(empty)'} ({state})")


@db.command("grants")
@click.argument("role")
@click.option("--apply", "apply_now", is_flag=True,
              help="apply them now (connected as the tables' owner)")
def db_grants(role: str, apply_now: bool) -> None:
    """Print (or apply) PostgreSQL grants for ROLE, the web process's runtime role: the
    tables it needs, and only INSERT and SELECT on the audit log."""
    from db import grants

    engine = open_engine(read_settings())
    try:
        with engine.begin() as connection:
            shown = (grants.apply(connection, role) if apply_now
                     else grants.statements(connection, role))
    except grants.GrantsError as exc:
        raise Failure(str(exc)) from None
    except OperationalError as exc:
        raise unreachable(exc) from None
    for statement in shown:
        click.echo(statement + ";")
    if apply_now:
        click.echo(f"-- applied for {role}", err=True)

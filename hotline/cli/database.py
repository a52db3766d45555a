"""`hotline db`: the database's migrations (Alembic)."""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from db import migrate
from hotline.cli.shared import open_engine, read_settings, unreachable


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

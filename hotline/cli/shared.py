"""What every `hotline` command shares: one clear failure line, and reading the settings,
the campaign files and the database the same way."""

from __future__ import annotations

from typing import IO, Any

import click
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from campaign.loader import load_campaigns
from campaign.model import CampaignError, Campaigns
from db import migrate
from db.engine import make_engine
from hotline.settings import Settings, SettingsError


class Failure(click.ClickException):
    """One clear line on standard error and exit status 2, never a traceback."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"hotline: {self.format_message()}", err=True)


def unreachable(exc: OperationalError) -> Failure:
    """The database cannot be reached: the driver's first line says why."""
    reason = str(exc.orig or exc).strip().splitlines()[0]
    return Failure(f"cannot reach the database: {reason}")


def read_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise Failure(str(exc)) from None


def read_campaigns(settings: Settings) -> Campaigns:
    try:
        return load_campaigns(settings.campaigns_path)
    except CampaignError as exc:
        raise Failure("bad campaign file:\n" + str(exc)) from None


def open_engine(settings: Settings, *, bounded: bool = False) -> Engine:
    try:
        return make_engine(settings.database_url, bounded=bounded)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise Failure(f"HOTLINE_DATABASE_URL: not a database URL this app can use ({exc}); "
                      "use sqlite:///path or postgresql+psycopg://user@host/db") from None


def prepare_database(engine: Engine) -> None:
    """SQLite upgrades itself; any other database must be upgraded by `hotline db upgrade`."""
    try:
        if engine.dialect.name == "sqlite":
            migrate.upgrade(engine)
        elif not migrate.is_up_to_date(engine):
            raise Failure(f"the database is at revision {migrate.current_revision(engine)}, "
                          f"not {migrate.head_revision(engine)}; run `hotline db upgrade`")
    except OperationalError as exc:
        raise unreachable(exc) from None

"""`hotline retention` and `hotline recordings …`: recordings at rest from the command line.

Registered on the `hotline` group by hotline/cli/__init__.py; the scheduler builds its
recording jobs with `recording_jobs()` here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from sqlalchemy import Engine

from campaign.model import Campaigns
from db import audit
from db.engine import make_session_factory
from hotline.app import system_clock
from hotline.cli.shared import Failure, open_engine, prepare_database, read_campaigns, read_settings
from hotline.settings import Settings, SettingsError
from recordings.keys import new_key_text
from recordings.store import RecordingStore
from recordings.twilio_api import RecordingsApi
from schedules.jobs import RecordingJobs

if TYPE_CHECKING:
    from recordings.fetch import FetchSummary


def _store(settings: Settings) -> RecordingStore:
    try:
        return RecordingStore(settings.recordings_path, settings.recordings_keyring())
    except SettingsError as exc:
        raise Failure(str(exc)) from None


def _twilio(settings: Settings) -> RecordingsApi | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    return RecordingsApi(settings.twilio_account_sid, settings.twilio_auth_token,
                         api_base=settings.twilio_api)


def recording_jobs(settings: Settings, engine: Engine, campaigns: Campaigns) -> RecordingJobs:
    """The scheduler's recording work: downloads (with Twilio credentials) and retention."""
    from recordings.fetch import FetchContext, fetch_due
    from recordings.retention import purge

    store = _store(settings)
    twilio = _twilio(settings)
    writer = make_session_factory(engine, writer=True)
    fetch = None
    if twilio is not None:
        context = FetchContext(sessions=writer, store=store, twilio=twilio,
                               campaigns=campaigns, clock=system_clock)

        def fetch(sweep: bool) -> FetchSummary:
            return fetch_due(context, sweep=sweep)

    return RecordingJobs(fetch=fetch, purge=lambda: purge(
        writer, campaigns, store, twilio, system_clock(), actor="(scheduler)"))


@click.command()
@click.option("--dry-run", is_flag=True, help="list what would go, as counts per campaign")
def retention(dry_run: bool) -> None:
    """Purge campaigns past their retention period: recordings, callers' numbers, notes."""
    from recordings.retention import plan, purge

    settings = read_settings()
    campaigns = read_campaigns(settings)
    engine = open_engine(settings)
    prepare_database(engine)
    now = system_clock()
    writer = make_session_factory(engine, writer=True)
    if dry_run:
        results = plan(make_session_factory(engine), campaigns, now)
    else:
        results = purge(writer, campaigns, _store(settings), _twilio(settings), now)
    for campaign in campaigns:
        if all(r.campaign_id != campaign.id for r in results):
            click.echo(f"{campaign.id}: kept until {campaign.purge_on} "
                       f"({campaign.retention_days} days after {campaign.closes})")
    for result in results:
        verb = "would purge" if dry_run else "purged"
        click.echo(f"{result.campaign_id}: {verb} {result.recordings} recording(s), "
                   f"{result.numbers} caller number(s), {result.notes} note(s); "
                   f"{result.held} report(s) on legal hold kept"
                   + (f"; {result.twilio_pending} still at Twilio (retried next run)"
                      if result.twilio_pending else ""))
    engine.dispose()


@click.group()
def recordings() -> None:
    """Recordings at rest: downloads from Twilio, encryption keys."""


@recordings.command("fetch")
def recordings_fetch() -> None:
    """Bring every confirmed recording home now (the scheduler does it every 30 s)."""
    from recordings.fetch import FetchContext, fetch_due

    settings = read_settings()
    twilio = _twilio(settings)
    if twilio is None:
        raise Failure("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to download")
    campaigns = read_campaigns(settings)
    engine = open_engine(settings)
    prepare_database(engine)
    context = FetchContext(sessions=make_session_factory(engine, writer=True),
                           store=_store(settings), twilio=twilio, campaigns=campaigns,
                           clock=system_clock)
    summary = fetch_due(context, sweep=True, limit=100_000)
    click.echo(str(summary))
    engine.dispose()
    if summary.failed:
        raise Failure(f"{summary.failed} recording(s) failed; the console shows why")


@recordings.command("rekey")
def recordings_rekey() -> None:
    """Seal every recording again under HOTLINE_RECORDINGS_KEY (after a key rotation)."""
    from console.second_factor_admin import reseal_secrets
    from recordings.rekey import rekey_all

    settings = read_settings()
    store = _store(settings)
    engine = open_engine(settings)
    prepare_database(engine)
    writer = make_session_factory(engine, writer=True)
    summary = rekey_all(writer, store)
    # The second factor's secrets are sealed under the same keys: they move too.
    secrets_moved = reseal_secrets(writer, store.keyring)
    with writer.begin() as session:
        audit.record(session, at=datetime.now(UTC), actor=audit.COMMAND_LINE,
                     action="recordings_rekeyed", target=store.keyring.current.id,
                     detail=f"{summary}; {secrets_moved} second-factor secret(s)")
    click.echo(str(summary))
    click.echo(f"{secrets_moved} second-factor secret(s) sealed again")
    engine.dispose()
    if summary.failed:
        raise Failure(f"{summary.failed} recording(s) could not be read: is their key in "
                      "HOTLINE_RECORDINGS_OLD_KEYS?")


@recordings.command("new-key")
def recordings_new_key() -> None:
    """Print a new random key for HOTLINE_RECORDINGS_KEY (keep a copy offline)."""
    click.echo(new_key_text())

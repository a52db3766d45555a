"""`hotline journal`: look at this host's journal, and drain it by hand."""

from __future__ import annotations

import click

from journal import DatabaseAway, Journal, JournalUnavailable, JournalWriter


@click.group("journal")
def journal_group() -> None:
    """This host's journal between the webhooks and the database."""


def _journal() -> Journal:
    from hotline.cli.shared import read_settings

    return Journal(read_settings().journal_file)


@journal_group.command("status")
def journal_status() -> None:
    """How many facts wait for the database, how old the oldest is, how many are parked."""
    stats = _journal().stats()
    click.echo(f"{stats.depth} entr{'y' if stats.depth == 1 else 'ies'} waiting "
               f"(oldest {stats.oldest_age:.0f} s), {stats.parked} parked")


@journal_group.command("drain")
@click.option("--parked", is_flag=True, help="also try again the entries set aside")
def journal_drain(parked: bool) -> None:
    """Apply what waits in the journal now (the web processes do it on their own)."""
    from db.engine import make_session_factory
    from hotline.cli.shared import Failure, open_engine, prepare_database, read_settings
    from ivr.references import new_reference

    settings = read_settings()
    journal = Journal(settings.journal_file)
    engine = open_engine(settings)
    prepare_database(engine)
    if parked:
        click.echo(f"{journal.unpark()} parked entr(ies) put back in line")
    writer = JournalWriter(journal, make_session_factory(engine, writer=True), engine,
                           new_reference=new_reference)
    try:
        applied = writer.drain()
    except (DatabaseAway, JournalUnavailable) as exc:
        raise Failure(f"the journal could not be drained: {exc}") from None
    stats = journal.stats()
    click.echo(f"{applied} entr(ies) applied; {stats.depth} waiting, {stats.parked} parked")

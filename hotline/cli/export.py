"""`hotline export calls`: the call log as JSON or CSV."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from db.engine import make_session_factory
from hotline.cli.shared import Failure, open_engine, prepare_database, read_campaigns, read_settings


@click.group()
def export() -> None:
    """Export the call log."""


@export.command("calls")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="first local day (YYYY-MM-DD)")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="last local day, inclusive")
@click.option("--campaign", "campaign_id", help="only this campaign's calls")
def export_calls(fmt: str, since: datetime | None, until: datetime | None,
                 campaign_id: str | None) -> None:
    """Print the calls (oldest first) as one JSON array or as CSV."""
    from reports.export import export_records, write_csv, write_json

    settings = read_settings()
    all_campaigns = read_campaigns(settings)
    if campaign_id and campaign_id not in all_campaigns.by_id:
        raise Failure(f"--campaign: no campaign {campaign_id!r}; known: "
                      f"{', '.join(all_campaigns.by_id)}")
    engine = open_engine(settings)
    prepare_database(engine)
    from db import audit

    # On record before any row leaves, in its own short transaction (the reading that
    # follows may take minutes and holds no write lock).
    with make_session_factory(engine, writer=True).begin() as session:
        audit.export(session, at=datetime.now(UTC), actor=audit.COMMAND_LINE,
                     target=f"calls.{fmt}", filters={
                         "since": since.date().isoformat() if since else None,
                         "until": until.date().isoformat() if until else None,
                         "campaign": campaign_id})
    with make_session_factory(engine)() as session:
        records = export_records(session, all_campaigns, since.date() if since else None,
                                 until.date() if until else None, campaign_id)
        (write_json if fmt == "json" else write_csv)(records, sys.stdout)

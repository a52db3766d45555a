"""The `hotline` command line (also `python -m hotline`): one module per command group,
all registered here; what they share is in hotline/cli/shared.py."""

from __future__ import annotations

import click

from hotline.cli.audit import audit_group
from hotline.cli.call import call
from hotline.cli.campaign_files import campaigns
from hotline.cli.database import db
from hotline.cli.export import export
from hotline.cli.journal import journal_group
from hotline.cli.recordings import recordings, retention
from hotline.cli.reports import reconcile_calls, report, scheduler
from hotline.cli.serve import serve
from hotline.cli.users import users


@click.group()
def main() -> None:
    """Hotline: a telephone reporting line on Twilio."""


for command in (serve, db, campaigns, users, export, call, journal_group, report, scheduler):
    main.add_command(command)
main.add_command(reconcile_calls, "reconcile")
main.add_command(retention)
main.add_command(recordings)
main.add_command(audit_group)

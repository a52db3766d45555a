"""`hotline campaigns check`: campaign files checked before they are deployed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from campaign.loader import load_campaign, load_campaigns
from campaign.model import CampaignError, Campaigns


@click.group()
def campaigns() -> None:
    """Campaign files."""


@campaigns.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def campaigns_check(files: tuple[Path, ...]) -> None:
    """Check campaign FILES; print every problem with file, field and reason."""
    problems = []
    for file in files:
        try:
            campaign = (load_campaigns(file) if file.is_dir() else
                        Campaigns.of([load_campaign(file)]))
        except CampaignError as exc:
            problems.extend(exc.problems)
            continue
        for each in campaign:
            click.echo(f"{each.source}: ok: {each.id} ({', '.join(each.numbers)}), "
                       f"{len(each.categories)} categories, closes {each.closes}")
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        sys.exit(1)

"""`hotline serve`: the webhooks and the console under gunicorn."""

from __future__ import annotations

import click

from hotline.app import create_app
from hotline.cli.shared import Failure, open_engine, prepare_database, read_campaigns, read_settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="threads per worker (webhooks are short)")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the webhooks (and the console) with gunicorn."""
    settings = read_settings()
    if settings.production and settings.production_problems():
        raise Failure("not ready for production (HOTLINE_ENV=production): "
                      + "; ".join(settings.production_problems()))
    campaigns = read_campaigns(settings)
    prepare_database(open_engine(settings))  # migrations keep the database's own time limits
    engine = open_engine(settings, bounded=True)
    _token, is_local = settings.auth_token(create=True)
    if is_local:
        click.echo(f"hotline: TWILIO_AUTH_TOKEN is not set; webhooks must be signed with the "
                   f"local token in {settings.local_token_path} (`hotline call` uses it)",
                   err=True)
    app = create_app(settings, campaigns=campaigns, engine=engine)
    for campaign in campaigns:
        click.echo(f"hotline: campaign {campaign.id} answers {', '.join(campaign.numbers)}",
                   err=True)
    from hotline.server import run_gunicorn

    run_gunicorn(app, engine, bind=f"{host}:{port}", workers=workers, threads=threads)

"""`hotline report` and `hotline scheduler`: the daily report from the command line.

Registered on the `hotline` group by hotline/cli/__init__.py. matplotlib (through the
renderers) and APScheduler are imported inside the commands, so the rest of the
command line starts fast.
"""

from __future__ import annotations

import logging
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING

import click
from sqlalchemy import Engine

from campaign.model import Campaign, Campaigns
from db.engine import make_session_factory
from hotline.app import system_clock
from hotline.cli.shared import Failure, open_engine, prepare_database, read_campaigns, read_settings
from hotline.settings import Settings
from schedules.reconcile import TwilioCalls

if TYPE_CHECKING:
    from reports.mail import SmtpSettings


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Failure(f"--date: {text!r} is not a date like 2023-06-01 (YYYY-MM-DD)") from None


def _campaign(campaigns: Campaigns, campaign_id: str | None) -> Campaign:
    if campaign_id is None:
        if len(campaigns) == 1:
            return next(iter(campaigns))
        raise Failure(f"--campaign: there are several campaigns ({', '.join(campaigns.by_id)});"
                      " choose one")
    if campaign_id not in campaigns.by_id:
        raise Failure(f"--campaign: no campaign {campaign_id!r}; known: "
                      f"{', '.join(campaigns.by_id)}")
    return campaigns.by_id[campaign_id]


def _smtp(settings: Settings) -> SmtpSettings:
    from reports.mail import MailConfigError, mail_settings

    try:
        return mail_settings(settings.smtp_url, settings.mail_from)[0]
    except MailConfigError as exc:
        raise Failure(str(exc)) from None


@click.command()
@click.option("--date", "day_text", required=True, metavar="DATE",
              help="the campaign's local day, YYYY-MM-DD")
@click.option("--campaign", "campaign_id", help="the campaign (needed when there are several)")
@click.option("--format", "fmt", type=click.Choice(["json", "html", "text", "csv"]),
              default="json", show_default=True)
@click.option("--send", is_flag=True, help="e-mail it to the campaign's report_to now")
def report(day_text: str, campaign_id: str | None, fmt: str, send: bool) -> None:
    """Print one campaign's daily report, or e-mail it with --send."""
    day = _day(day_text)
    settings = read_settings()
    campaign = _campaign(read_campaigns(settings), campaign_id)
    smtp = _smtp(settings) if send else None
    engine = open_engine(settings)
    try:
        _report(engine, campaign, day, fmt, smtp, settings)
    finally:
        engine.dispose()


def _report(engine: Engine, campaign: Campaign, day: date, fmt: str,
            smtp: SmtpSettings | None, settings: Settings) -> None:
    from db.engine import make_session_factory
    from reports.chart import chart_data_uri
    from reports.figures import campaign_figures
    from reports.render import render_csv, render_html, render_json, render_text

    prepare_database(engine)
    sessions = make_session_factory(engine)
    if smtp is not None:
        from reports.delivery import DeliveryContext, DeliveryError, resend

        if not campaign.report_to:
            raise Failure(f"campaign {campaign.id} has no report_to recipients")
        context = DeliveryContext(sessions=sessions, campaigns=Campaigns.of([campaign]),
                                  smtp=smtp, mail_from=settings.mail_from, clock=system_clock,
                                  console_url=settings.public_url)
        try:
            attempt = resend(context, campaign.id, day)
        except DeliveryError as exc:
            raise Failure(str(exc)) from None
        if attempt.state != "sent":
            raise Failure(f"the report was not sent ({attempt.error})" + (
                "" if attempt.early else "; the scheduler will retry it"))
        click.echo(f"sent the report of {campaign.id} for {day} to "
                   f"{len(campaign.report_to)} recipient(s)", err=True)
        if attempt.early:
            click.echo("it was sent before the day's report time, so it covers the day so "
                       "far; the scheduled report still goes out", err=True)
        return
    with sessions() as session:
        figures = campaign_figures(session, campaign, day, system_clock())
    if fmt == "html":  # the e-mail's chart, inline: the page stands on its own
        sys.stdout.write(render_html(figures, chart_data_uri(figures), settings.public_url))
        return
    render = {"json": render_json, "text": render_text, "csv": render_csv}[fmt]
    sys.stdout.write(render(figures))


@click.command()
@click.option("--dry-run", is_flag=True, help="list the jobs and their next runs, then exit")
@click.option("--catch-up-days", default=3, show_default=True, type=click.IntRange(0, 30),
              help="on start, also send missed reports of up to this many earlier days")
def scheduler(dry_run: bool, catch_up_days: int) -> None:
    """Run the daily reports' scheduler (one process per deployment)."""
    from schedules.scheduler import RECONCILE_EVERY, RETRY_EVERY, plan

    settings = read_settings()
    campaigns = read_campaigns(settings)
    now = system_clock()
    for job in plan(campaigns, now):
        when = job.next_run.strftime("%Y-%m-%d %H:%M %Z%z") if job.next_run else "—"
        click.echo(f"{job.campaign_id:20} next {when:28} {job.what}")
    click.echo(f"{'(all)':20} every {int(RETRY_EVERY.total_seconds() // 60)} minutes"
               f"{'':17} retry failed reports")
    if _twilio_calls(settings):
        click.echo(f"{'(all)':20} every {int(RECONCILE_EVERY.total_seconds() // 60)} minutes"
                   f"{'':16} reconcile calls stuck in progress with Twilio")
        click.echo(f"{'(all)':20} every 30 seconds{'':16} bring confirmed recordings home "
                   "(and every hour, a sweep)")
    click.echo(f"{'(all)':20} every 6 hours{'':19} purge campaigns past their retention "
               "period")
    mail = bool(settings.smtp_url and settings.mail_from)
    if not mail:
        click.echo("note: HOTLINE_SMTP_URL and HOTLINE_MAIL_FROM are not both set: no daily "
                   "report is sent (they wait, and are caught up once mail is set); the "
                   "other jobs run", err=True)
    if dry_run:
        return

    from db.engine import make_session_factory
    from reports.delivery import DeliveryContext
    from schedules.reconcile import reconcile
    from schedules.scheduler import blocking_scheduler, configure

    smtp = _smtp(settings) if mail else None
    engine = open_engine(settings)
    prepare_database(engine)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    context = DeliveryContext(sessions=make_session_factory(engine), campaigns=campaigns,
                              smtp=smtp, mail_from=settings.mail_from, clock=system_clock,
                              catch_up_days=catch_up_days, console_url=settings.public_url)
    running = blocking_scheduler(engine)
    twilio = _twilio_calls(settings)
    writer = make_session_factory(engine, writer=True)
    from hotline.cli.recordings import recording_jobs

    startup = configure(running, context, reconciler=(
        (lambda: reconcile(writer, twilio.fetch, system_clock(), recordings=twilio.recordings))
        if twilio else None),
        recordings=recording_jobs(settings, engine, campaigns))
    click.echo("hotline: scheduler starting; " + (
        f"mail through {smtp.describe()}" if smtp else "no mail: daily reports not sent"),
        err=True)
    try:
        running.start()
    except (KeyboardInterrupt, SystemExit):
        running.shutdown(wait=False)
    finally:
        engine.dispose()
    if startup.error:
        raise Failure(f"the scheduler stopped at start: {startup.error}")


def _twilio_calls(settings: Settings) -> TwilioCalls | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    return TwilioCalls(settings.twilio_account_sid, settings.twilio_auth_token,
                       api_base=settings.twilio_api)


@click.command()
@click.option("--older-than", default=4.0, show_default=True, type=click.FloatRange(0),
              help="hours: calls in progress for longer than this are checked")
def reconcile_calls(older_than: float) -> None:
    """Ask Twilio for the true status of calls the log still shows as in progress."""
    from schedules.reconcile import reconcile

    settings = read_settings()
    twilio = _twilio_calls(settings)
    if twilio is None:
        raise Failure("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to ask Twilio")
    engine = open_engine(settings)
    prepare_database(engine)
    summary = reconcile(make_session_factory(engine, writer=True), twilio.fetch,
                        system_clock(), stale_after=timedelta(hours=older_than),
                        recordings=twilio.recordings)
    click.echo(str(summary))


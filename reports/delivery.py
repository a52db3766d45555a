"""Delivering each campaign's daily report once, catching up, and retrying failures.

The `daily_reports` row for (campaign, day) is claimed before anything is sent,
by inserting it: the database's unique constraint lets exactly one claimant
win, whether the others are a restarted scheduler, a second scheduler or a
misfired job. The SMTP conversation happens outside any transaction; its
result is written back to the row (sent, or retrying with the next attempt's
time, or failed after the last attempt).

Each attempt stamps `smtp_started_at` just before it opens the SMTP
conversation. A row left in `sending` without that stamp (the process died, or
the database failed, while the figures were being made) never reached the mail
server: after STALE_CLAIM the retry job claims it again. A row left in
`sending` with the stamp may have been delivered, so it is never sent again by
itself; the console flags it and a manager re-sends it when it did not arrive.
Any error after the claim (SMTP, the database, a bug) puts the row in
`retrying` with backoff, logged with its traceback.

Manual sends (the console's button, `hotline report --send`): a day whose
report is due (its report_time has passed) is sent on its row, as a re-send
when it was sent already; the scheduler then has nothing left to do for it. A
day whose report is not due yet (today before report_time) is sent as an
early, partial report ("until HH:MM") and leaves the row alone: the scheduled
report still goes at report_time, which is what a manager who asked for a
morning snapshot expects. Days not begun yet are refused.

Which days are due: the report of local day D is due from D's `report_time`
on. The scheduler catches up at most `catch_up_days` days before the latest
due day, never days before its own first run for the campaign (a scheduler
started mid-campaign does not send old days), never days before `opens` (or,
when `opens` is unset, before the campaign's first call), and sends nothing
once the campaign is more than REPORT_DAYS_AFTER_CLOSE days past `closes`.
The retry job (every few minutes) runs the same check, so a claim that failed
at report_time (the database briefly down) is made minutes later, not a day.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from campaign.model import Campaign, Campaigns
from db import deliveries
from db.report_models import DailyReport, DeliveryState
from reports.figures import campaign_figures
from reports.mail import SmtpSettings, build_message, send_message

log = logging.getLogger("hotline.reports")

REPORT_DAYS_AFTER_CLOSE = 7
DEFAULT_CATCH_UP_DAYS = 3
# Waits after the 1st, 2nd, … failed attempt; after the last one the report is `failed`.
RETRY_BACKOFF = (timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=45),
                 timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_BACKOFF) + 1
# A claim this old that never reached the mail server is taken over by the retry job;
# one that did reach it is flagged in the console as needing a person.
STALE_CLAIM = timedelta(minutes=5)

Clock = Callable[[], datetime]
Sender = Callable[[EmailMessage, SmtpSettings], None]


class DeliveryError(RuntimeError):
    """A report cannot be sent at all (no mail server set, no recipients)."""


@dataclass(frozen=True)
class DeliveryContext:
    """Everything a delivery needs, built once by the process that sends."""

    sessions: sessionmaker[Session]
    campaigns: Campaigns
    smtp: SmtpSettings | None
    mail_from: str | None
    clock: Clock
    catch_up_days: int = DEFAULT_CATCH_UP_DAYS
    # Who claims rows: by default this host and the pid of the process that sends,
    # read when a row is claimed (a context built before a fork names the child).
    worker: str | None = None
    sender: Sender = send_message
    console_url: str | None = None  # HOTLINE_PUBLIC_URL: the report's links to the console

    @property
    def claimant(self) -> str:
        return self.worker or f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Attempt:
    """What one delivery call did: for the CLI's line and the scheduler's log."""

    campaign_id: str
    day: date
    state: str  # a DeliveryState, or "taken" when another claimant holds the row
    error: str | None = None
    early: bool = False  # a manual send before report_time: partial, the row untouched


def last_report_day(campaign: Campaign) -> date:
    """The last local day whose report still goes: REPORT_DAYS_AFTER_CLOSE past `closes`."""
    return campaign.closes + timedelta(days=REPORT_DAYS_AFTER_CLOSE)


def reports_wanted(campaign: Campaign, today: date) -> bool:
    """False once the campaign is more than REPORT_DAYS_AFTER_CLOSE days past `closes`."""
    return today <= last_report_day(campaign)


def is_scheduled(campaign: Campaign) -> bool:
    return campaign.report_time is not None and bool(campaign.report_to)


def due_at(campaign: Campaign, day: date) -> datetime | None:
    """The moment the scheduled report of `day` is due (None: the campaign has none)."""
    if not is_scheduled(campaign):
        return None
    assert campaign.report_time is not None
    return datetime.combine(day, campaign.report_time, tzinfo=campaign.timezone)


def needs_attention(row: DailyReport, now: datetime) -> bool:
    """A row stuck in `sending` for longer than a send takes: the console flags it."""
    return (row.state == DeliveryState.SENDING.value and row.last_attempt_at is not None
            and row.last_attempt_at <= now - STALE_CLAIM)


def due_days(campaign: Campaign, now: datetime, catch_up_days: int, *,
             since: date | None = None, first_call: date | None = None) -> list[date]:
    """The local days whose report is due at `now`, oldest first, within the limits.

    `since`: the local day the scheduler first ran for the campaign (no earlier day is
    caught up); `first_call`: the local day of its first call, the start when `opens`
    is unset.
    """
    if not is_scheduled(campaign):
        return []
    assert campaign.report_time is not None
    local = now.astimezone(campaign.timezone)
    if not reports_wanted(campaign, local.date()):
        return []
    latest = local.date() if local.time() >= campaign.report_time else \
        local.date() - timedelta(days=1)
    first = latest - timedelta(days=catch_up_days)
    if campaign.opens is not None:
        first = max(first, campaign.opens)
    elif first_call is not None:
        first = max(first, first_call)
    if since is not None:
        first = max(first, since)
    last = min(latest, last_report_day(campaign))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def deliver_due(context: DeliveryContext, campaign_id: str) -> list[Attempt]:
    """Send every due report of the campaign that nobody has claimed yet (idempotent).

    This is the scheduled job, the catch-up on start and a misfired run alike.
    """
    campaign = context.campaigns.by_id.get(campaign_id)
    if campaign is None:
        log.warning("daily report: campaign %s is no longer configured; nothing sent",
                    campaign_id)
        return []
    now = context.clock()
    if not due_days(campaign, now, context.catch_up_days):
        return []  # the cheap case: the retry job asks every few minutes
    zone = campaign.timezone
    since = _first_run(context, campaign.id, now).astimezone(zone).date()
    first_call = None
    if campaign.opens is None:
        first = deliveries.first_call_at(context.sessions, campaign.id)
        if first is None:
            return []  # no call yet: nothing to report
        first_call = first.astimezone(zone).date()
    days = due_days(campaign, now, context.catch_up_days, since=since, first_call=first_call)
    with context.sessions() as session:
        claimed = set(deliveries.rows_of_days(session, campaign.id, days))
    attempts = []
    local_today = now.astimezone(zone).date()
    for day in days:
        if day in claimed:
            continue
        trigger = "schedule" if day >= local_today - timedelta(days=1) else "catch_up"
        attempts.append(_claim_and_send(context, campaign, day, trigger))
    return attempts


def _first_run(context: DeliveryContext, campaign_id: str, now: datetime) -> datetime:
    """When the scheduler first ran for the campaign; recorded now if it never did."""
    first, recorded = deliveries.first_run(context.sessions, campaign_id, now)
    if recorded:
        log.info("daily report %s: first run of the scheduler; no day before %s is caught up",
                 campaign_id, now.isoformat())
    return first


def _claim_and_send(context: DeliveryContext, campaign: Campaign, day: date, trigger: str
                    ) -> Attempt:
    row_id = deliveries.claim(context.sessions, campaign.id, day, trigger=trigger,
                              claimant=context.claimant, recipients=len(campaign.report_to),
                              now=context.clock())
    if row_id is None:
        return Attempt(campaign.id, day, "taken")
    return _send_claimed(context, campaign, day, row_id, attempts=1)


def retry_failed(context: DeliveryContext) -> list[Attempt]:
    """Try again every report whose retry time has come; each claimed by a guarded UPDATE."""
    now = context.clock()
    attempts = []
    for row_id, campaign_id, day, seen_attempts, seen_state in deliveries.waiting(
            context.sessions, now, STALE_CLAIM):
        campaign = context.campaigns.by_id.get(campaign_id)
        if campaign is None or not reports_wanted(campaign, now.astimezone(
                campaign.timezone).date()):
            _finish(context, row_id, DeliveryState.FAILED, error="reports no longer wanted "
                    "(campaign removed or past its last report day)")
            attempts.append(Attempt(campaign_id, day, DeliveryState.FAILED.value))
            continue
        if not deliveries.take_over(context.sessions, row_id, seen_state=seen_state,
                                    seen_attempts=seen_attempts, claimant=context.claimant,
                                    now=now):
            attempts.append(Attempt(campaign_id, day, "taken"))
            continue
        attempts.append(_send_claimed(context, campaign, day, row_id,
                                      attempts=seen_attempts + 1))
    return attempts


def resend(context: DeliveryContext, campaign_id: str, day: date) -> Attempt:
    """Send the report now, on purpose (CLI --send, the console).

    A due day is sent on its row whatever the row says, and a failed manual send
    starts a fresh series of retries. A day not due yet is sent early, as a partial
    report, and leaves the row to the scheduler (see the module's docstring).
    """
    campaign = context.campaigns.by_id.get(campaign_id)
    if campaign is None:
        raise DeliveryError(f"no campaign {campaign_id!r}")
    now = context.clock()
    if day > now.astimezone(campaign.timezone).date():
        raise DeliveryError(f"the report of {day} cannot be sent before that day begins")
    scheduled_at = due_at(campaign, day)
    if scheduled_at is not None and now < scheduled_at:
        return _send_early(context, campaign, day)
    try:
        row_id = deliveries.claim_manual(context.sessions, campaign.id, day,
                                         claimant=context.claimant,
                                         recipients=len(campaign.report_to), now=now)
    except deliveries.RowBusy:
        raise DeliveryError("another process is creating this report's row; "
                            "try again in a moment") from None
    return _send_claimed(context, campaign, day, row_id, attempts=1)


def _prepare(context: DeliveryContext, campaign: Campaign, day: date
             ) -> tuple[EmailMessage, str]:
    """The message and the figures' JSON; raises DeliveryError when it cannot be sent."""
    if context.smtp is None or not context.mail_from:
        raise DeliveryError("HOTLINE_SMTP_URL and HOTLINE_MAIL_FROM must both be set")
    if not campaign.report_to:
        raise DeliveryError(f"campaign {campaign.id} has no report_to recipients")
    with context.sessions() as session:
        figures = campaign_figures(session, campaign, day, context.clock())
    message = build_message(figures, mail_from=context.mail_from,
                            recipients=campaign.report_to, console_url=context.console_url)
    return message, json.dumps(figures.to_json())


def _send_early(context: DeliveryContext, campaign: Campaign, day: date) -> Attempt:
    """A manual send before report_time: sent now, nothing recorded on the day's row."""
    try:
        message, _figures = _prepare(context, campaign, day)
        assert context.smtp is not None
        context.sender(message, context.smtp)
    except Exception as exc:
        error = _describe(exc)
        _log_failure(exc, "daily report %s %s: early send failed (%s)", campaign.id, day,
                     error)
        return Attempt(campaign.id, day, DeliveryState.FAILED.value, error, early=True)
    log.info("daily report %s %s: sent early (before report_time) to %d recipient(s)",
             campaign.id, day, len(campaign.report_to))
    return Attempt(campaign.id, day, DeliveryState.SENT.value, early=True)


def _send_claimed(context: DeliveryContext, campaign: Campaign, day: date, row_id: int, *,
                  attempts: int) -> Attempt:
    """Compute, render and send the claimed report; record how it went.

    Whatever goes wrong after the claim (the mail server, the database, a bug) ends in
    `retrying` or `failed`, never in a row left `sending` or an exception for the caller.
    """
    try:
        message, figures = _prepare(context, campaign, day)
        assert context.smtp is not None
        if not _smtp_starting(context, row_id, attempts):
            log.warning("daily report %s %s: another process took the claim over; not sent",
                        campaign.id, day)
            return Attempt(campaign.id, day, "taken")
        context.sender(message, context.smtp)
    except Exception as exc:
        error = _describe(exc)
        try:
            if attempts < MAX_ATTEMPTS:
                retry_at = context.clock() + RETRY_BACKOFF[attempts - 1]
                _finish(context, row_id, DeliveryState.RETRYING, error=error, next_at=retry_at)
                _log_failure(exc, "daily report %s %s: attempt %d failed (%s); next try at %s",
                             campaign.id, day, attempts, error, retry_at.isoformat())
                return Attempt(campaign.id, day, DeliveryState.RETRYING.value, error)
            _finish(context, row_id, DeliveryState.FAILED, error=error)
        except Exception:
            # Not even the failure could be written (the database is down): the row stays
            # `sending`, without an SMTP stamp unless the server was reached, and the retry
            # job takes it over when the database is back.
            log.exception("daily report %s %s: attempt %d failed (%s) and could not be "
                          "recorded", campaign.id, day, attempts, error)
            return Attempt(campaign.id, day, DeliveryState.SENDING.value, error)
        _log_failure(exc, "daily report %s %s: attempt %d failed (%s); giving up", campaign.id,
                     day, attempts, error)
        return Attempt(campaign.id, day, DeliveryState.FAILED.value, error)
    _finish(context, row_id, DeliveryState.SENT, figures=figures)
    log.info("daily report %s %s: sent to %d recipient(s)", campaign.id, day,
             len(campaign.report_to))
    return Attempt(campaign.id, day, DeliveryState.SENT.value)


_EXPECTED = (smtplib.SMTPException, OSError, DeliveryError)


def _log_failure(exc: BaseException, message: str, *args: object) -> None:
    """A mail server's refusal in one line; anything unexpected with its traceback.

    Neither carries caller data: the report holds aggregates only, and the message body
    is never logged.
    """
    if isinstance(exc, _EXPECTED):
        log.warning(message, *args)
    else:
        log.error(message, *args, exc_info=exc)


def _smtp_starting(context: DeliveryContext, row_id: int, attempts: int) -> bool:
    return deliveries.smtp_starting(context.sessions, row_id, attempts=attempts,
                                    claimant=context.claimant, now=context.clock())


def _finish(context: DeliveryContext, row_id: int, state: DeliveryState, *,
            error: str | None = None, next_at: datetime | None = None,
            figures: str | None = None) -> None:
    deliveries.finish(context.sessions, row_id, state, now=context.clock(), error=error,
                      next_at=next_at, figures=figures)


def _describe(exc: BaseException) -> str:
    """The error for the console: its kind and the server's words, never the message body."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        detail = f"{exc.smtp_code} {text}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = f"{len(exc.recipients)} recipient(s) refused"
    else:
        detail = str(exc)
    return f"{type(exc).__name__}: {detail}"[:500]

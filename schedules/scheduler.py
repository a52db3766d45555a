"""Building the scheduler: one cron job per campaign at its local report_time.

`configure()` works on any APScheduler 3 scheduler, so tests can drive a
BackgroundScheduler against the same job store the BlockingScheduler of
`hotline scheduler` uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from campaign.model import Campaign, Campaigns
from reports.delivery import (
    REPORT_DAYS_AFTER_CLOSE,
    DeliveryContext,
    deliver_due,
    is_scheduled,
)
from schedules import jobs
from schedules.reconcile import Summary

log = logging.getLogger("hotline.schedules")

JOBS_TABLE = "apscheduler_jobs"
REPORT_JOB_PREFIX = "daily-report:"
RETRY_JOB_ID = "daily-report-retries"
RETRY_EVERY = timedelta(minutes=5)
RECONCILE_JOB_ID = "reconcile-calls"
RECONCILE_EVERY = timedelta(minutes=15)
FETCH_JOB_ID, FETCH_EVERY = "recordings-fetch", timedelta(seconds=30)
SWEEP_JOB_ID, SWEEP_EVERY = "recordings-sweep", timedelta(hours=1)
RETENTION_JOB_ID, RETENTION_EVERY = "retention", timedelta(hours=6)
# A run missed by up to this much (the process was down or busy) still runs once on start.
MISFIRE_GRACE = timedelta(hours=6)


def report_trigger(campaign: Campaign) -> CronTrigger:
    """Every day at the campaign's report_time in its zone, until reports are no longer wanted."""
    assert campaign.report_time is not None
    last_day = campaign.closes + timedelta(days=REPORT_DAYS_AFTER_CLOSE)
    return CronTrigger(hour=campaign.report_time.hour, minute=campaign.report_time.minute,
                       timezone=campaign.timezone,
                       end_date=datetime.combine(last_day, datetime.max.time(),
                                                 tzinfo=campaign.timezone))


@dataclass(frozen=True)
class PlannedJob:
    campaign_id: str
    what: str
    next_run: datetime | None  # None: no (more) runs


def plan(campaigns: Campaigns, now: datetime) -> list[PlannedJob]:
    """Each campaign's report job and its next run after `now` (for --dry-run)."""
    planned = []
    for campaign in campaigns:
        if campaign.report_time is None:
            planned.append(PlannedJob(campaign.id, "no report_time: no daily report", None))
            continue
        if not campaign.report_to:
            planned.append(PlannedJob(campaign.id, "no report_to: no daily report", None))
            continue
        next_run = report_trigger(campaign).get_next_fire_time(None, now)
        what = (f"daily report at {campaign.report_time.strftime('%H:%M')} "
                f"{campaign.timezone.key} to {len(campaign.report_to)} recipient(s)")
        if next_run is None:
            what += (f"; reports ended {REPORT_DAYS_AFTER_CLOSE} days after closing "
                     f"({campaign.closes})")
        planned.append(PlannedJob(campaign.id, what,
                                  next_run.astimezone(campaign.timezone) if next_run else None))
    return planned


def make_job_store(engine: Engine) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)


@dataclass
class Startup:
    """How the start went; `error` is set when it failed and the scheduler stopped."""

    error: str | None = None


def configure(scheduler: BaseScheduler, context: DeliveryContext, *,
              catch_up: bool = True, reconciler: Callable[[], Summary] | None = None,
              recordings: jobs.RecordingJobs | None = None) -> Startup:
    """Install the context; on start, sync the stored jobs with the campaigns and catch up.

    The work runs as the scheduler starts (its job store is open by then). APScheduler
    only logs a listener's exception, so a failure here stops the scheduler and is
    handed back in the returned Startup rather than leaving it running without jobs.
    """
    jobs.install(context)
    jobs.install_reconciler(reconciler)
    jobs.install_recordings(recordings)
    startup = Startup()

    def on_start(_event: SchedulerEvent) -> None:
        try:
            # APScheduler fires on the wall clock, so its jobs are planned against it too.
            sync_jobs(scheduler, context.campaigns, datetime.now(scheduler.timezone),
                      mail=sends_mail(context))
            sync_reconcile_job(scheduler, enabled=reconciler is not None)
            sync_recording_jobs(scheduler, recordings)
        except Exception as exc:
            log.exception("the scheduler could not start")
            startup.error = f"{type(exc).__name__}: {exc}"
            scheduler.shutdown(wait=False)
            return
        if catch_up and sends_mail(context):
            for campaign in context.campaigns:
                if not is_scheduled(campaign):
                    continue
                # A failed catch-up (the database, say) does not stop the scheduler: the
                # retry job checks the due reports again every few minutes.
                try:
                    deliver_due(context, campaign.id)
                except Exception:
                    log.exception("daily report %s: catch-up at start failed; the retry job "
                                  "will try again", campaign.id)

    scheduler.add_listener(on_start, EVENT_SCHEDULER_STARTED)
    return startup


def sends_mail(context: DeliveryContext) -> bool:
    """Whether this process can send the daily reports (both mail settings are set).

    Without them the scheduler still runs its other work (recordings, reconciliation,
    retention); the daily reports wait in the database until mail is configured, and
    the first start with mail catches up on the missed days.
    """
    return context.smtp is not None and bool(context.mail_from)


def sync_jobs(scheduler: BaseScheduler, campaigns: Campaigns, now: datetime, *,
              mail: bool = True) -> None:
    """One job per scheduled campaign (replacing a stored one); stale ones removed.

    Without mail no report job is kept, not even the retry job: they could only fail.
    """
    wanted = ({REPORT_JOB_PREFIX + c.id: c for c in campaigns if is_scheduled(c)}
              if mail else {})
    for job in scheduler.get_jobs():
        if job.id.startswith(REPORT_JOB_PREFIX) and job.id not in wanted:
            log.info("removing the job of campaign %s (no longer configured or scheduled)",
                     job.id.removeprefix(REPORT_JOB_PREFIX))
            job.remove()
    for job_id, campaign in wanted.items():
        trigger = report_trigger(campaign)
        if trigger.get_next_fire_time(None, now) is None:
            # Past its last report day: adding it would fail ("would never be executed").
            if scheduler.get_job(job_id):
                scheduler.remove_job(job_id)
            continue
        scheduler.add_job(
            "schedules.jobs:daily_report", trigger=trigger, args=[campaign.id], id=job_id,
            name=f"daily report of {campaign.id}", replace_existing=True, coalesce=True,
            max_instances=1, misfire_grace_time=int(MISFIRE_GRACE.total_seconds()))
    if not mail:
        if scheduler.get_job(RETRY_JOB_ID):
            scheduler.remove_job(RETRY_JOB_ID)
        return
    scheduler.add_job(
        "schedules.jobs:retry_reports", trigger=IntervalTrigger(
            seconds=int(RETRY_EVERY.total_seconds())),
        id=RETRY_JOB_ID, name="retry failed daily reports", replace_existing=True,
        coalesce=True, max_instances=1)


def sync_reconcile_job(scheduler: BaseScheduler, *, enabled: bool) -> None:
    """The reconciliation job runs only where Twilio's REST API can be asked."""
    if enabled:
        scheduler.add_job(
            "schedules.jobs:reconcile_calls", trigger=IntervalTrigger(
                seconds=int(RECONCILE_EVERY.total_seconds())),
            id=RECONCILE_JOB_ID, name="reconcile calls stuck in progress",
            replace_existing=True, coalesce=True, max_instances=1)
    else:
        log.warning("TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN not set: calls whose final status "
                    "callback was lost stay in progress (no reconciliation)")
        if scheduler.get_job(RECONCILE_JOB_ID):
            scheduler.remove_job(RECONCILE_JOB_ID)


def sync_recording_jobs(scheduler: BaseScheduler, recordings: jobs.RecordingJobs | None
                        ) -> None:
    """Downloads need Twilio's REST API; the retention purge runs in any case."""
    wanted: dict[str, tuple[str, timedelta, list[object], str]] = {}
    if recordings is not None:
        wanted[RETENTION_JOB_ID] = ("schedules.jobs:purge_expired", RETENTION_EVERY, [],
                                    "purge campaigns past their retention period")
        if recordings.fetch is not None:
            wanted[FETCH_JOB_ID] = ("schedules.jobs:fetch_recordings", FETCH_EVERY, [False],
                                    "bring confirmed recordings home")
            wanted[SWEEP_JOB_ID] = ("schedules.jobs:fetch_recordings", SWEEP_EVERY, [True],
                                    "look for every recording still at Twilio")
        else:
            log.warning("TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN not set: recordings stay at "
                        "Twilio (no downloads)")
    for job_id in (FETCH_JOB_ID, SWEEP_JOB_ID, RETENTION_JOB_ID):
        if job_id not in wanted and scheduler.get_job(job_id):
            scheduler.remove_job(job_id)
    for job_id, (function, every, args, name) in wanted.items():
        scheduler.add_job(function, trigger=IntervalTrigger(seconds=int(every.total_seconds())),
                          args=args, id=job_id, name=name, replace_existing=True,
                          coalesce=True, max_instances=1)


def blocking_scheduler(engine: Engine) -> BlockingScheduler:
    """The scheduler of `hotline scheduler`: jobs in the database, two worker threads."""
    return BlockingScheduler(
        jobstores={"default": make_job_store(engine)},
        executors={"default": ThreadPoolExecutor(2)},
        timezone=UTC,
    )

"""The scheduler brings recordings home every half minute (never the webhook), sweeps
hourly, and purges expired campaigns; without Twilio credentials it only purges."""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler

from campaign.model import Campaigns
from db.engine import make_session_factory
from recordings.fetch import fetch_due
from recordings.retention import purge
from reports.delivery import DeliveryContext
from schedules import jobs
from schedules.scheduler import configure
from tests.helpers import row_of


def _jobs_of(recordings: jobs.RecordingJobs | None, engine, clock) -> dict:  # type: ignore[no-untyped-def,type-arg]
    context = DeliveryContext(sessions=make_session_factory(engine), campaigns=Campaigns.of([]),
                              smtp=None, mail_from=None, clock=clock)
    scheduler = BackgroundScheduler(timezone=UTC)
    configure(scheduler, context, catch_up=False, recordings=recordings)
    scheduler.start(paused=True)
    found = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    return found


def test_the_scheduler_runs_the_recording_jobs(reported, fetcher, engine, clock, campaigns,
                                               store) -> None:
    report = reported(3)
    writer = make_session_factory(engine, writer=True)
    work = jobs.RecordingJobs(fetch=lambda sweep: fetch_due(fetcher, sweep=sweep),
                              purge=lambda: purge(writer, campaigns, store, None, clock()))
    found = _jobs_of(work, engine, clock)
    assert found["recordings-fetch"].trigger.interval.total_seconds() == 30
    assert found["recordings-sweep"].args == (True,)
    assert found["retention"].trigger.interval.total_seconds() == 6 * 3600
    # The stored job (module:function) runs the installed work.
    summary = jobs.fetch_recordings()
    assert summary is not None and summary.deleted == 1
    assert row_of(engine, report.recording_sid).state == "deleted"
    assert jobs.purge_expired() == []  # 1 June 2023: the campaign is still running


def test_without_twilio_credentials_only_the_purge_is_scheduled(engine, clock) -> None:
    found = _jobs_of(jobs.RecordingJobs(fetch=None, purge=lambda: []), engine, clock)
    assert "retention" in found
    assert "recordings-fetch" not in found and "recordings-sweep" not in found
    assert jobs.fetch_recordings() is None

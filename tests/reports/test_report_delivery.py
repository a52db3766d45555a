"""Scheduled delivery: once per campaign and day, catch-up, retries, the job store."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from sqlalchemy import inspect, select, text, update

from campaign.model import Campaigns
from db.engine import make_session_factory
from db.report_models import DailyReport
from hotline.cli import main
from reports.delivery import (
    MAX_ATTEMPTS,
    RETRY_BACKOFF,
    DeliveryContext,
    deliver_due,
    due_days,
    resend,
    retry_failed,
)
from schedules import jobs
from schedules.scheduler import JOBS_TABLE, configure, make_job_store

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _rows(engine) -> dict[date, DailyReport]:  # type: ignore[no-untyped-def]
    with make_session_factory(engine)() as session:
        return {row.day: row for row in session.scalars(
            select(DailyReport).where(DailyReport.campaign_id == "gz-2023"))}


def _days(box) -> list[str]:  # type: ignore[no-untyped-def]
    """The days of the seed campaign's reports received (its managers are lead@…)."""
    return sorted(re.search(r"\d{4}-\d{2}-\d{2}", m["Subject"]).group()  # type: ignore[union-attr]
                  for m in box.messages() if "lead@example.org" in m["To"])


def test_the_days_report_goes_out_once_however_often_the_job_runs(delivery, mailbox, engine,
                                                                  clock, place_call):
    box, _port = mailbox
    clock.set_local("2023-06-01 10:00")
    place_call("1", "3", "1", "r30", "2")
    clock.set_local("2023-06-01 17:44")
    catch_up_free = dataclasses.replace(delivery, catch_up_days=0)
    # A minute before the report time, the latest due report is yesterday's.
    assert [a.day for a in deliver_due(catch_up_free, "gz-2023")] == [date(2023, 5, 31)]
    box.received.clear()

    clock.set_local("2023-06-01 17:45")
    first = deliver_due(catch_up_free, "gz-2023")
    assert [(a.day, a.state) for a in first] == [(date(2023, 6, 1), "sent")]
    # A misfired run, a restart and a second scheduler process all find the row.
    clock.advance(600)
    assert deliver_due(catch_up_free, "gz-2023") == []
    second_scheduler = dataclasses.replace(catch_up_free, worker="test-scheduler-2")
    assert deliver_due(second_scheduler, "gz-2023") == []
    assert _days(box) == ["2023-06-01"]
    (message,) = box.messages()
    assert "1 calls, 1 reports" in message["Subject"]
    row = _rows(engine)[date(2023, 6, 1)]
    assert row.state == "sent" and row.sends == 1 and row.attempts == 1
    assert row.trigger == "schedule" and row.claimed_by == "test-scheduler-1"


def test_two_schedulers_at_the_same_moment_send_one_report(delivery, mailbox, clock):
    box, _port = mailbox
    clock.set_local("2023-06-01 17:45")
    contexts = [dataclasses.replace(delivery, worker=f"scheduler-{n}") for n in range(4)]
    start = threading.Barrier(len(contexts))
    results: list[list] = []

    def run(context) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        results.append(deliver_due(context, "gz-2023"))

    threads = [threading.Thread(target=run, args=(c,)) for c in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    sent = [a for attempts in results for a in attempts if a.state == "sent"]
    # Catch-up of 3 days plus today: each day sent by exactly one of the four.
    assert sorted(a.day.isoformat() for a in sent) == [
        "2023-05-29", "2023-05-30", "2023-05-31", "2023-06-01"]
    assert _days(box) == ["2023-05-29", "2023-05-30", "2023-05-31", "2023-06-01"]


def test_catch_up_after_downtime_is_limited(delivery, mailbox, engine, clock):
    box, _port = mailbox
    # The scheduler was down from 20 May; it starts again on 1 June at 09:00, before
    # that day's report time: the three days before 31 May and 31 May itself are sent.
    clock.set_local("2023-06-01 09:00")
    attempts = deliver_due(delivery, "gz-2023")
    assert [a.day.isoformat() for a in attempts] == [
        "2023-05-28", "2023-05-29", "2023-05-30", "2023-05-31"]
    assert {a.state for a in attempts} == {"sent"}
    assert _days(box) == ["2023-05-28", "2023-05-29", "2023-05-30", "2023-05-31"]
    rows = _rows(engine)
    assert rows[date(2023, 5, 31)].trigger == "schedule"
    assert rows[date(2023, 5, 28)].trigger == "catch_up"


def test_days_before_opening_and_after_the_last_report_day_are_not_sent(delivery, campaigns):
    ny = campaigns.by_id["ny-test"]  # opens 2023-03-01, closes 2023-11-30, 18:00 New York
    at = datetime(2023, 3, 2, 18, 0, tzinfo=ZoneInfo("America/New_York"))
    assert due_days(ny, at, 3) == [date(2023, 3, 1), date(2023, 3, 2)]
    last = datetime(2023, 12, 7, 18, 0, tzinfo=ZoneInfo("America/New_York"))
    assert due_days(ny, last, 3)[-1] == date(2023, 12, 7)
    assert due_days(ny, last + timedelta(days=1), 3) == []
    gz = campaigns.by_id["gz-2023"]  # closes 2023-07-26
    assert due_days(gz, datetime(2023, 8, 3, 18, 0, tzinfo=SHANGHAI), 3) == []
    no_recipients = dataclasses.replace(gz, report_to=())
    assert due_days(no_recipients, datetime(2023, 6, 1, 18, 0, tzinfo=SHANGHAI), 3) == []


def test_nothing_is_sent_seven_days_after_closing(delivery, mailbox, clock):
    box, _port = mailbox
    clock.set_local("2023-08-03 08:00")  # closes 2023-07-26: the last report day was 2 Aug
    assert deliver_due(delivery, "gz-2023") == []
    assert box.received == []


def test_a_failed_send_is_retried_with_backoff(delivery, mailbox, engine, clock):
    box, _port = mailbox
    no_catch_up = dataclasses.replace(delivery, catch_up_days=0)
    box.refuse = True
    clock.set_local("2023-06-01 17:45")
    (attempt,) = deliver_due(no_catch_up, "gz-2023")
    assert attempt.state == "retrying" and attempt.error is not None
    assert "451" in attempt.error
    row = _rows(engine)[date(2023, 6, 1)]
    assert row.state == "retrying" and row.attempts == 1
    assert row.next_attempt_at == clock.now + RETRY_BACKOFF[0]
    assert row.last_error == attempt.error

    box.refuse = False
    clock.advance(60)  # not yet time: nothing happens, nor does the daily job resend it
    assert retry_failed(no_catch_up) == []
    assert deliver_due(no_catch_up, "gz-2023") == []
    clock.advance(RETRY_BACKOFF[0].total_seconds())
    (retried,) = retry_failed(no_catch_up)
    assert retried.state == "sent"
    row = _rows(engine)[date(2023, 6, 1)]
    assert row.state == "sent" and row.attempts == 2 and row.last_error is None
    assert row.trigger == "retry"
    assert len(box.received) == 1
    assert retry_failed(no_catch_up) == []


def test_retries_stop_after_the_last_attempt(delivery, mailbox, engine, clock):
    box, _port = mailbox
    no_catch_up = dataclasses.replace(delivery, catch_up_days=0)
    box.refuse = True
    clock.set_local("2023-06-01 17:45")
    deliver_due(no_catch_up, "gz-2023")
    for wait in RETRY_BACKOFF:
        clock.advance(wait.total_seconds())
        retry_failed(no_catch_up)
    row = _rows(engine)[date(2023, 6, 1)]
    assert row.state == "failed" and row.attempts == MAX_ATTEMPTS
    assert row.next_attempt_at is None
    clock.advance(86400)
    assert retry_failed(no_catch_up) == []
    # A manager's re-send starts afresh and goes through once the server takes mail.
    box.refuse = False
    assert resend(no_catch_up, "gz-2023", date(2023, 6, 1)).state == "sent"
    assert len(box.received) == 1


def test_an_interrupted_send_is_left_for_a_person_to_resend(delivery, mailbox, engine, clock):
    box, _port = mailbox
    clock.set_local("2023-06-01 17:45")
    no_catch_up = dataclasses.replace(delivery, catch_up_days=0)
    deliver_due(no_catch_up, "gz-2023")
    # As if the process died between claiming and hearing back from the server.
    with engine.begin() as connection:
        connection.execute(update(DailyReport).values(state="sending", sends=0))
    box.received.clear()
    clock.advance(3600)
    assert deliver_due(no_catch_up, "gz-2023") == [] and retry_failed(no_catch_up) == []
    assert box.received == []
    assert resend(no_catch_up, "gz-2023", date(2023, 6, 1)).state == "sent"
    assert len(box.received) == 1
    assert _rows(engine)[date(2023, 6, 1)].trigger == "manual"


def test_the_scheduler_keeps_one_job_per_campaign_in_the_database(delivery, mailbox, engine,
                                                                  campaigns, clock):
    box, _port = mailbox
    # Campaigns still running by the wall clock APScheduler plans with.
    running = Campaigns.of([dataclasses.replace(c, closes=date(2099, 12, 31))
                            for c in delivery.campaigns])
    context = dataclasses.replace(delivery, campaigns=running, catch_up_days=1)
    clock.set_local("2023-06-01 18:00")
    try:
        for _restart in range(2):
            scheduler = BackgroundScheduler(jobstores={"default": make_job_store(engine)},
                                            timezone=UTC)
            configure(scheduler, context)
            scheduler.start(paused=True)
            jobs_now = {job.id: job for job in scheduler.get_jobs()}
            scheduler.shutdown(wait=False)
        assert set(jobs_now) == {"daily-report:gz-2023", "daily-report:ny-test",
                                 "daily-report-retries"}
        gz_next = jobs_now["daily-report:gz-2023"].next_run_time.astimezone(SHANGHAI)
        assert (gz_next.hour, gz_next.minute) == (17, 45)
        ny_next = jobs_now["daily-report:ny-test"].next_run_time.astimezone(
            ZoneInfo("America/New_York"))
        assert (ny_next.hour, ny_next.minute) == (18, 0)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        assert sorted(stored) == sorted(jobs_now)
        # Both starts caught up (31 May and 1 June of gz-2023); the second sent nothing again.
        assert _days(box) == ["2023-05-31", "2023-06-01"]
        # The stored job runs the same idempotent delivery.
        assert jobs.daily_report("gz-2023") == []

        # A campaign dropped from the configuration loses its job on the next start.
        only_gz = dataclasses.replace(context, campaigns=Campaigns.of(
            [running.by_id["gz-2023"]]))
        scheduler = BackgroundScheduler(jobstores={"default": make_job_store(engine)},
                                        timezone=UTC)
        configure(scheduler, only_gz, catch_up=False)
        scheduler.start(paused=True)
        assert {job.id for job in scheduler.get_jobs()} == {"daily-report:gz-2023",
                                                            "daily-report-retries"}
        scheduler.shutdown(wait=False)
    finally:
        with engine.begin() as connection:
            if inspect(connection).has_table(JOBS_TABLE):
                connection.execute(text("DELETE FROM apscheduler_jobs"))


def test_without_mail_the_scheduler_sends_nothing_and_catches_up_once_mail_is_set(
        delivery, mailbox, engine, clock):
    box, _port = mailbox
    running = Campaigns.of([dataclasses.replace(c, closes=date(2099, 12, 31))
                            for c in delivery.campaigns])
    with_mail = dataclasses.replace(delivery, campaigns=running, catch_up_days=1)
    without_mail = dataclasses.replace(with_mail, smtp=None, mail_from=None)
    clock.set_local("2023-06-01 18:00")

    def start(context: DeliveryContext) -> set[str]:
        scheduler = BackgroundScheduler(jobstores={"default": make_job_store(engine)},
                                        timezone=UTC)
        startup = configure(scheduler, context)
        scheduler.start(paused=True)
        found = {job.id for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
        assert startup.error is None
        return found

    try:
        assert start(with_mail) >= {"daily-report:gz-2023", "daily-report-retries"}
        sent = _days(box)
        # Mail unset: the stored report jobs go (they could only fail), nothing is sent,
        # and no failed delivery is recorded for the days that pass meanwhile.
        clock.set_local("2023-06-02 18:00")
        assert not {j for j in start(without_mail) if j.startswith("daily-report")}
        assert _days(box) == sent
        assert date(2023, 6, 2) not in _rows(engine)
        # Mail set again: the jobs are back and the missed day goes out.
        assert "daily-report:gz-2023" in start(with_mail)
        assert _days(box) == [*sent, "2023-06-02"]
    finally:
        with engine.begin() as connection:
            if inspect(connection).has_table(JOBS_TABLE):
                connection.execute(text("DELETE FROM apscheduler_jobs"))


def test_scheduler_dry_run_lists_each_campaigns_next_report(campaigns_dir, tmp_path):
    for file in campaigns_dir.iterdir():
        file.write_text(file.read_text().replace("closes = 2023-", "closes = 2099-"))
    result = CliRunner().invoke(main, ["scheduler", "--dry-run"], env={
        "HOTLINE_CAMPAIGNS": str(campaigns_dir),
        "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "HOTLINE_SMTP_URL": "", "HOTLINE_MAIL_FROM": ""})
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "17:45 CST+0800" in lines["gz-2023"]
    assert "daily report at 17:45 Asia/Shanghai to 2 recipient(s)" in lines["gz-2023"]
    assert "18:00 E" in lines["ny-test"] and "America/New_York" in lines["ny-test"]
    assert "retry failed reports" in result.stdout
    assert "no daily report is sent" in result.output
    assert not (tmp_path / "unused.sqlite3").exists()  # a dry run touches no database


def test_the_scheduler_starts_without_mail_and_says_reports_are_not_sent(campaigns_dir,
                                                                        tmp_path):
    env = {**os.environ, "HOTLINE_CAMPAIGNS": str(campaigns_dir),
           "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "HOTLINE_SMTP_URL": "", "HOTLINE_MAIL_FROM": ""}
    server = subprocess.Popen([sys.executable, "-m", "hotline", "scheduler"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        said = [server.stderr.readline() for _ in range(2)]
        assert any("no daily report is sent" in line for line in said), said
        assert any("scheduler starting; no mail" in line for line in said), said
        assert server.poll() is None  # still running: the other jobs go on
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_scheduler_refuses_a_mail_setting_it_cannot_use(campaigns_dir, tmp_path):
    result = CliRunner().invoke(main, ["scheduler"], env={
        "HOTLINE_CAMPAIGNS": str(campaigns_dir),
        "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HOTLINE_SMTP_URL": "ftp://mail.example.org", "HOTLINE_MAIL_FROM": "x@example.org"})
    assert result.exit_code == 2
    assert "HOTLINE_SMTP_URL" in result.output


@pytest.mark.parametrize("moment", ["2023-06-01 17:44:59", "2023-06-01 17:45:00"])
def test_the_report_of_today_is_due_from_report_time(campaigns, moment, clock):
    clock.set_local(moment)
    days = due_days(campaigns.by_id["gz-2023"], clock.now, 0)
    assert days == ([date(2023, 5, 31)] if moment.endswith("44:59") else [date(2023, 6, 1)])

"""Delivery that recovers: manual sends, errors after the claim, stale claims,
the retry job's due check, and where catch-up starts."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from db.engine import make_session_factory
from db.report_models import DailyReport, DailyReportSchedule
from reports.delivery import (
    RETRY_BACKOFF,
    STALE_CLAIM,
    DeliveryError,
    deliver_due,
    needs_attention,
    resend,
    retry_failed,
)
from reports.mail import send_message
from schedules import jobs


def _rows(engine) -> dict[date, DailyReport]:  # type: ignore[no-untyped-def]
    with make_session_factory(engine)() as session:
        return {row.day: row for row in session.scalars(
            select(DailyReport).where(DailyReport.campaign_id == "gz-2023"))}


def _subjects(box) -> list[str]:  # type: ignore[no-untyped-def]
    return [m["Subject"] for m in box.messages() if "lead@example.org" in m["To"]]


# --- a manual send does not take the scheduled report's place -----------------------------

def test_a_morning_send_does_not_suppress_the_evening_report(delivery, mailbox, engine, clock,
                                                             place_call):
    box, _port = mailbox
    no_catch_up = dataclasses.replace(delivery, catch_up_days=0)
    clock.set_local("2023-06-01 09:30")
    place_call("1", "3", "1", "r30", "2")
    clock.set_local("2023-06-01 10:00")
    early = resend(no_catch_up, "gz-2023", date(2023, 6, 1))
    assert early.state == "sent" and early.early
    assert _rows(engine) == {}  # the day's row is the scheduler's
    clock.set_local("2023-06-01 14:00")
    place_call("2", "3", "2", "r50", "2")

    clock.set_local("2023-06-01 17:45")
    (scheduled,) = deliver_due(no_catch_up, "gz-2023")
    assert (scheduled.day, scheduled.state) == (date(2023, 6, 1), "sent")
    assert [s.split(" — ")[1] for s in _subjects(box)] == [
        "1 calls, 1 reports, until 10:00", "2 calls, 2 reports, until 17:45"]
    assert _rows(engine)[date(2023, 6, 1)].trigger == "schedule"
    # After the report time, a manual send is a re-send on the day's row.
    clock.set_local("2023-06-01 19:00")
    again = resend(no_catch_up, "gz-2023", date(2023, 6, 1))
    assert again.state == "sent" and not again.early
    row = _rows(engine)[date(2023, 6, 1)]
    assert row.sends == 2 and row.trigger == "manual"


def test_a_day_not_begun_cannot_be_sent(delivery, clock):
    clock.set_local("2023-06-01 20:00")
    with pytest.raises(DeliveryError, match="before that day begins"):
        resend(delivery, "gz-2023", date(2023, 6, 2))


# --- any error after the claim is retried, and the loop goes on ---------------------------

def test_an_unexpected_error_after_the_claim_is_retried_and_the_other_days_still_go(
        delivery, mailbox, engine, clock, caplog):
    box, _port = mailbox
    calls = []

    def flaky(message, smtp):  # type: ignore[no-untyped-def]
        calls.append(message["Subject"])
        if len(calls) == 1:
            raise TypeError("a bug in the first send")
        send_message(message, smtp)

    context = dataclasses.replace(delivery, catch_up_days=1, sender=flaky)
    clock.set_local("2023-06-01 17:45")
    with caplog.at_level(logging.ERROR, logger="hotline.reports"):
        attempts = deliver_due(context, "gz-2023")
    assert [(a.day, a.state) for a in attempts] == [
        (date(2023, 5, 31), "retrying"), (date(2023, 6, 1), "sent")]
    assert "TypeError: a bug in the first send" in (attempts[0].error or "")
    assert any(r.exc_info and r.exc_info[0] is TypeError for r in caplog.records)
    row = _rows(engine)[date(2023, 5, 31)]
    assert row.state == "retrying" and row.next_attempt_at == clock.now + RETRY_BACKOFF[0]
    clock.advance(RETRY_BACKOFF[0].total_seconds())
    assert [a.state for a in retry_failed(context)] == ["sent"]
    assert len(box.received) == 2


def test_a_database_error_while_making_the_figures_is_retried(delivery, engine, clock,
                                                              monkeypatch):
    from sqlalchemy.exc import OperationalError

    def down(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT …", {}, Exception("server closed the connection"))

    monkeypatch.setattr("reports.delivery.campaign_figures", down)
    clock.set_local("2023-06-01 17:45")
    (attempt,) = deliver_due(dataclasses.replace(delivery, catch_up_days=0), "gz-2023")
    assert attempt.state == "retrying"
    row = _rows(engine)[date(2023, 6, 1)]
    assert row.state == "retrying" and row.smtp_started_at is None


def test_a_claim_that_never_reached_the_mail_server_is_sent_by_the_retry_job(
        delivery, mailbox, engine, clock):
    box, _port = mailbox
    context = dataclasses.replace(delivery, catch_up_days=0)
    clock.set_local("2023-06-01 17:45")
    deliver_due(context, "gz-2023")
    # As if the claimant died while making the figures: claimed, no SMTP conversation.
    with engine.begin() as connection:
        connection.execute(update(DailyReport).values(state="sending", sends=0,
                                                      smtp_started_at=None))
    box.received.clear()
    clock.advance(60)
    assert retry_failed(context) == []  # it may still be working on it
    clock.advance(STALE_CLAIM.total_seconds())
    assert [a.state for a in retry_failed(context)] == ["sent"]
    assert len(box.received) == 1
    row = _rows(engine)[date(2023, 6, 1)]
    assert row.state == "sent" and row.trigger == "retry" and row.smtp_started_at is not None


def test_a_claim_that_reached_the_mail_server_waits_for_a_person(delivery, mailbox, engine,
                                                                 clock):
    box, _port = mailbox
    context = dataclasses.replace(delivery, catch_up_days=0)
    clock.set_local("2023-06-01 17:45")
    deliver_due(context, "gz-2023")
    with engine.begin() as connection:  # died after the server may have taken it
        connection.execute(update(DailyReport).values(state="sending", sends=0))
    box.received.clear()
    clock.advance(3600)
    assert retry_failed(context) == [] and box.received == []
    row = _rows(engine)[date(2023, 6, 1)]
    assert needs_attention(row, clock.now)
    assert not needs_attention(row, row.last_attempt_at + timedelta(minutes=1))


# --- the retry job also makes claims that failed at report_time ----------------------------

def test_the_retry_job_sends_a_due_report_whose_claim_failed(delivery, mailbox, engine, clock):
    box, _port = mailbox
    jobs.install(dataclasses.replace(delivery, catch_up_days=0))
    # 17:45: the database was down, the cron job's claim failed; nothing is recorded.
    clock.set_local("2023-06-01 17:50")
    attempts = [a for a in jobs.retry_reports() if a.campaign_id == "gz-2023"]
    assert [(a.day, a.state) for a in attempts] == [(date(2023, 6, 1), "sent")]
    assert _rows(engine)[date(2023, 6, 1)].state == "sent"
    assert jobs.retry_reports() == []  # and nothing twice
    assert len(_subjects(box)) == 1


# --- where catch-up starts ----------------------------------------------------------------

def test_a_first_start_mid_campaign_does_not_send_old_days(fresh_delivery, mailbox, engine,
                                                           clock, place_call):
    clock.set_local("2023-05-20 10:00")
    place_call("1", "3", "1", "r30", "2")
    clock.set_local("2023-06-01 17:50")  # the scheduler's very first run
    attempts = deliver_due(fresh_delivery, "gz-2023")
    assert [(a.day, a.state) for a in attempts] == [(date(2023, 6, 1), "sent")]
    # Down the next two days: on its return it catches up from its first start on.
    clock.set_local("2023-06-04 09:00")
    assert [a.day for a in deliver_due(fresh_delivery, "gz-2023")] == [
        date(2023, 6, 2), date(2023, 6, 3)]


def test_no_report_before_the_first_call_when_the_campaign_has_no_opening_day(
        fresh_delivery, mailbox, engine, clock, place_call):
    with make_session_factory(engine).begin() as session:  # running since long before
        session.add(DailyReportSchedule(campaign_id="gz-2023",
                                        first_run_at=datetime(2023, 1, 1, tzinfo=UTC)))
    clock.set_local("2023-06-01 17:50")
    assert deliver_due(fresh_delivery, "gz-2023") == []  # no call yet: nothing to report
    clock.set_local("2023-05-31 23:00")
    place_call()
    clock.set_local("2023-06-01 17:50")
    assert [a.day for a in deliver_due(fresh_delivery, "gz-2023")] == [
        date(2023, 5, 31), date(2023, 6, 1)]

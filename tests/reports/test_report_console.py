"""The managers' report pages in the console: figures, delivery state, re-send."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from console.accounts import add_user
from db.engine import make_session_factory
from db.report_models import DailyReport
from db.user_models import AuditEvent
from tests.reports.report_helpers import MAIL_FROM

PASSWORD = "correct horse battery staple"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE = "/console/daily-reports/gz-2023/2023-06-01"


@pytest.fixture
def console_app(app, engine, clock, settings, mailbox):  # type: ignore[no-untyped-def]
    _box, port = mailbox
    app.extensions["hotline.console"].hasher = FAST_HASHER
    app.extensions["hotline.settings"] = dataclasses.replace(
        settings, smtp_url=f"smtp://127.0.0.1:{port}?timeout=5", mail_from=MAIL_FROM)
    with make_session_factory(engine).begin() as session:
        for role in ("operator", "manager"):
            add_user(session, role, role, PASSWORD, at=clock(), hasher=FAST_HASHER)
    return app


def _csrf(client, path: str) -> str:  # type: ignore[no-untyped-def]
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def _signed_in(app, name: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/console/login", data={
        "csrf_token": _csrf(client, "/console/login"), "name": name, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_manager_reads_the_days_report_and_sends_it_again(console_app, place_call, clock,
                                                            mailbox, engine):
    box, _port = mailbox
    clock.set_local("2023-06-01 10:00")
    place_call("1", "3", "1", "r30", "2")
    clock.set_local("2023-06-01 11:00")
    place_call("1", "9", "-", "2")
    clock.set_local("2023-06-01 18:00")
    manager = _signed_in(console_app, "manager")

    listing = manager.get("/console/daily-reports?lang=en").get_data(as_text=True)
    assert 'data-day="2023-06-01"' in listing and "not sent" in listing
    assert PAGE in listing

    page = manager.get(PAGE + "?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r"<tr class=\"calls\"><th>calls</th><td>2</td><td>2</td></tr>", html)
    assert "integrity discipline" in html and 'src="data:image/png;base64,' in html
    assert "+8613800138000" not in html

    refused = manager.post(PAGE + "/send")  # no CSRF token
    assert refused.status_code == 400 and box.received == []

    sent = manager.post(PAGE + "/send", data={"csrf_token": _csrf(manager, PAGE)})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(PAGE)
    assert len(box.received) == 1
    after = manager.get(PAGE + "?lang=en").get_data(as_text=True)
    assert "The report was sent." in after
    assert re.search(r'id="delivery-state" class="">sent<', after)
    with make_session_factory(engine)() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "report_sent"))
    assert event is not None and event.actor == "manager"
    assert event.target == "gz-2023 2023-06-01"


def test_a_failed_send_shows_its_error_and_retry_time(console_app, clock, mailbox):
    box, _port = mailbox
    box.refuse = True
    clock.set_local("2023-06-01 18:00")
    manager = _signed_in(console_app, "manager")
    manager.post(PAGE + "/send", data={"csrf_token": _csrf(manager, PAGE)})
    page = manager.get(PAGE + "?lang=en").get_data(as_text=True)
    assert "failed, will retry" in page and "451" in page
    assert "2023-06-01 18:05" in page  # the next attempt, in the campaign's time
    listing = manager.get("/console/daily-reports?lang=en").get_data(as_text=True)
    assert "failed, will retry" in listing


def test_operators_do_not_see_the_reports(console_app, clock):
    operator = _signed_in(console_app, "operator")
    assert operator.get("/console/daily-reports").status_code == 403
    assert operator.get(PAGE).status_code == 403
    assert console_app.test_client().get(PAGE).status_code == 302  # signed out: sign in first


def test_a_sent_report_shows_what_was_e_mailed_and_the_current_figures_beside(
        console_app, place_call, clock, mailbox):
    clock.set_local("2023-06-01 10:00")
    place_call("1", "3", "1", "r30", "2")
    clock.set_local("2023-06-01 18:00")
    manager = _signed_in(console_app, "manager")
    manager.post(PAGE + "/send", data={"csrf_token": _csrf(manager, PAGE)})
    clock.set_local("2023-06-01 19:00")
    place_call()  # a call after the report went out (closed hours)
    clock.set_local("2023-06-01 19:05")
    manager = _signed_in(console_app, "manager")  # an hour idle signed the first one out
    calls_row = r"<tr class=\"calls\"><th>calls</th><td>(\d+)</td>"

    shown = manager.get(PAGE + "?lang=en").get_data(as_text=True)
    assert re.search(calls_row, shown).group(1) == "1"  # type: ignore[union-attr]
    assert "These are the figures as e-mailed at 2023-06-01 18:00" in shown
    current = manager.get(PAGE + "?lang=en&current=1").get_data(as_text=True)
    assert re.search(calls_row, current).group(1) == "2"  # type: ignore[union-attr]
    assert "These are the current figures" in current


def test_an_early_send_says_the_scheduled_report_still_goes(console_app, place_call, clock,
                                                            mailbox, engine):
    clock.set_local("2023-06-01 10:00")
    manager = _signed_in(console_app, "manager")
    sent = manager.post(PAGE + "/send?lang=en", data={"csrf_token": _csrf(manager, PAGE)},
                        follow_redirects=True).get_data(as_text=True)
    assert "Sent early (until 10:00); the scheduled report still goes at 17:45." in sent
    with make_session_factory(engine)() as session:
        assert session.scalar(select(DailyReport)) is None


def test_a_report_stuck_in_sending_is_flagged(console_app, clock, engine):
    clock.set_local("2023-06-01 18:00")
    with make_session_factory(engine).begin() as session:
        session.add(DailyReport(campaign_id="gz-2023", day=date(2023, 6, 1), state="sending",
                                attempts=1, sends=0, recipients=2, trigger="schedule",
                                created_at=clock.now - timedelta(minutes=15),
                                last_attempt_at=clock.now - timedelta(minutes=15),
                                smtp_started_at=clock.now - timedelta(minutes=15)))
    manager = _signed_in(console_app, "manager")
    page = manager.get(PAGE + "?lang=en").get_data(as_text=True)
    assert 'id="needs-attention"' in page and "check whether it arrived" in page
    listing = manager.get("/console/daily-reports?lang=en").get_data(as_text=True)
    assert "needs attention" in listing

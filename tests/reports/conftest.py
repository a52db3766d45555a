"""Fixtures of the daily-report tests: campaigns with recipients, a real SMTP server,
a delivery context on the test database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from campaign.loader import load_campaign, load_campaigns
from campaign.model import Campaigns
from db.engine import make_session_factory
from db.report_models import DailyReportSchedule
from reports.delivery import DeliveryContext
from reports.mail import SmtpSettings
from tests.reports.report_helpers import GZ_RECIPIENTS, MAIL_FROM, Mailbox, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LONG_AGO = datetime(2023, 1, 1, tzinfo=UTC)


@pytest.fixture
def campaigns() -> Campaigns:
    """The seed campaign (with recipients added, its report in English) and a New York
    test line."""
    seed = next(iter(load_campaigns(ROOT / "campaigns")))
    return Campaigns.of([dataclasses.replace(seed, report_to=GZ_RECIPIENTS,
                                             report_language="en"),
                         load_campaign(HERE / "campaigns" / "ny-test.toml")])


@pytest.fixture
def campaigns_dir(tmp_path: Path) -> Path:
    """The same two campaigns as files, for the command line."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    seed = (ROOT / "campaigns" / "guangzhou-2023.toml").read_text()
    seed = seed.replace('report_time = "17:45"',
                        'report_time = "17:45"\nreport_to = ["lead@example.org", '
                        '"deputy@example.org"]\nreport_language = "en"')
    (folder / "guangzhou-2023.toml").write_text(seed)
    (folder / "ny-test.toml").write_text((HERE / "campaigns" / "ny-test.toml").read_text())
    return folder


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def delivery(engine: Engine, campaigns: Campaigns, clock, mailbox) -> DeliveryContext:  # type: ignore[no-untyped-def]
    """Sends to the local SMTP server. The scheduler has looked after both campaigns
    since before they opened, and the seed line opened on 10 May (the announcement's
    day), so catch-up is limited by catch_up_days alone; `fresh_delivery` has neither."""
    with make_session_factory(engine).begin() as session:
        for campaign in campaigns:
            session.add(DailyReportSchedule(campaign_id=campaign.id, first_run_at=LONG_AGO))
    opened = Campaigns.of([dataclasses.replace(c, opens=c.opens or date(2023, 5, 10))
                           for c in campaigns])
    return _context(engine, opened, clock, mailbox)


@pytest.fixture
def fresh_delivery(engine: Engine, campaigns: Campaigns, clock, mailbox) -> DeliveryContext:  # type: ignore[no-untyped-def]
    """As `delivery`, for a scheduler that has never run before."""
    return _context(engine, campaigns, clock, mailbox)


def _context(engine: Engine, campaigns: Campaigns, clock, mailbox) -> DeliveryContext:  # type: ignore[no-untyped-def]
    _box, port = mailbox
    return DeliveryContext(
        sessions=make_session_factory(engine), campaigns=campaigns,
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="plain", timeout=5),
        mail_from=MAIL_FROM, clock=clock, worker="test-scheduler-1")

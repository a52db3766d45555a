"""Fixtures of the daily-report tests: campaigns with recipients, a real SMTP server,
a delivery context on the test database."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from db.engine import make_session_factory
from ivr.campaign import Campaigns, load_campaign, load_campaigns
from reports.delivery import DeliveryContext
from reports.mail import SmtpSettings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NY_NUMBER = "+12125550100"
GZ_RECIPIENTS = ("lead@example.org", "deputy@example.org")
MAIL_FROM = "hotline@example.org"


@pytest.fixture
def campaigns() -> Campaigns:
    """The seed campaign (with recipients added) and a New York test line."""
    seed = next(iter(load_campaigns(ROOT / "campaigns")))
    return Campaigns.of([dataclasses.replace(seed, report_to=GZ_RECIPIENTS),
                         load_campaign(HERE / "campaigns" / "ny-test.toml")])


@pytest.fixture
def campaigns_dir(tmp_path: Path) -> Path:
    """The same two campaigns as files, for the command line."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    seed = (ROOT / "campaigns" / "guangzhou-2023.toml").read_text()
    seed = seed.replace('report_time = "17:45"',
                        'report_time = "17:45"\nreport_to = ["lead@example.org", '
                        '"deputy@example.org"]')
    (folder / "guangzhou-2023.toml").write_text(seed)
    (folder / "ny-test.toml").write_text((HERE / "campaigns" / "ny-test.toml").read_text())
    return folder


class Mailbox:
    """What a real SMTP server (aiosmtpd) received; `refuse` makes it answer 451."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        if self.refuse:
            return "451 4.3.0 mailbox temporarily unavailable"
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  bytes(envelope.original_content or envelope.content)))
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
                    for _from, _to, raw in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    _box, port = mailbox
    return DeliveryContext(
        sessions=make_session_factory(engine), campaigns=campaigns,
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="plain", timeout=5),
        mail_from=MAIL_FROM, clock=clock, worker="test-scheduler-1")

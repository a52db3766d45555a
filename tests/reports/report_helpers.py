"""Helpers of the daily-report tests: a day of calls, a mailbox for aiosmtpd."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

NY_NUMBER = "+12125550100"
GZ_RECIPIENTS = ("lead@example.org", "deputy@example.org")
MAIL_FROM = "hotline@example.org"


def play_a_day(place_call, clock) -> None:  # type: ignore[no-untyped-def]
    """1 June 2023 on the seed line: every outcome the line can give, plus neighbours."""
    def at(moment: str, *script: object, **options: object) -> None:
        clock.set_local(moment)
        place_call(*script, **options)

    at("2023-06-01 09:05", "1", "3", "1", "r30", "2")             # integrity, city leaders
    at("2023-06-01 09:40", "2", "3", "2", "r50", "1", "1", "3", "r20", "2")  # two reports
    at("2023-06-01 10:15", "1", "9", "-", "2")                     # not listed: referred
    at("2023-06-01 10:50", "3", "5", "4", "-", "2")                # out-of-scope subject
    at("2023-06-01 11:20", "1", None, None, None)                  # silence: gave up
    at("2023-06-01 14:00", "1", "6", "hangup")                     # hung up after a category
    at("2023-06-01 16:30", "1", "4", "1", "hangup")                # hung up while recording
    at("2023-06-01 18:00")                                         # closed hours
    at("2023-06-01 23:59:30")                                      # closed, still 1 June
    # Neighbours that must not count for the day:
    at("2023-06-02 00:00:30")                                      # 2 June (same UTC date)
    at("2023-05-31 23:59")                                         # 31 May, closed
    at("2023-05-31 10:00", "1", "1", "1", "r40", "2")              # 31 May, political
    at("2023-06-01 10:00", to_number="+12025550000")               # an unknown number
    at("2023-06-01 10:00", "1", "r25", "2", to_number=NY_NUMBER)  # another campaign


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

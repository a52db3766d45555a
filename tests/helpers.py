"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import re
import socket
import textwrap
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.test import Client

from campaign.model import Campaigns
from db.engine import make_session_factory
from db.models import Call
from db.recording_models import RecordingFile
from hotline.app import create_app
from hotline.settings import Settings
from hotline.simulator import CallResult, CallSimulator, FlaskTransport, ScriptedCaller
from ivr.references import damm_digit
from reports.export import call_record

ROOT = Path(__file__).resolve().parent.parent
SEED_CAMPAIGNS = ROOT / "campaigns"
SEED_NUMBER = "+862087756920"
SHANGHAI = ZoneInfo("Asia/Shanghai")
AUTH_TOKEN = "12345678901234567890123456789012"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# A database that is never there: nothing listens on port 1.
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
REQUIRE_ALL = os.environ.get("HOTLINE_REQUIRE_ALL") == "1"
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- time ------------------------------------------------------------------------------------

class FakeClock:
    """The one injected clock, set to any moment by a test."""

    def __init__(self, moment: datetime | None = None) -> None:
        self.now = moment or datetime(2023, 6, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, text_: str, zone: tzinfo = SHANGHAI) -> None:
        """'2023-06-01 10:00[:SS]' in `zone` (the seed campaign's by default)."""
        pattern = "%Y-%m-%d %H:%M:%S" if text_.count(":") == 2 else "%Y-%m-%d %H:%M"
        self.now = datetime.strptime(text_, pattern).replace(tzinfo=zone).astimezone(UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


SEED_TOML = SEED_CAMPAIGNS / "guangzhou-2023.toml"


def campaign_toml(**overrides: str) -> str:
    """A small valid campaign file; each override replaces or adds one top-level line."""
    fields = {
        "id": '"test-line"',
        "name": '"Test line"',
        "numbers": '["+14155550100"]',
        "timezone": '"Asia/Shanghai"',
        "closes": "2023-07-26",
        "hours": '["08:30", "17:30"]',
        "languages": '["cmn", "en"]',
    }
    fields.update(overrides)
    lines = [f"{key} = {value}" for key, value in fields.items() if value is not None]
    categories = textwrap.dedent("""
        [[categories]]
        key = "1"
        id = "political"
        label = { cmn = "政治纪律", en = "political discipline" }

        [[categories]]
        key = "2"
        id = "integrity"
        label = { cmn = "廉洁纪律", en = "integrity discipline" }
    """)
    return "\n".join(lines) + "\n" + categories


def write_campaign(folder: Path, name: str = "line.toml", **overrides: str) -> Path:
    path = folder / name
    path.write_text(campaign_toml(**overrides), encoding="utf-8")
    return path


# --- the console and stored recordings -------------------------------------------------------

def csrf_token(client: Client, path: str = "/console/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def row_of(engine: Engine, recording_sid: str) -> RecordingFile | None:
    with make_session_factory(engine)() as session:
        return session.scalar(select(RecordingFile).where(
            RecordingFile.recording_sid == recording_sid))


# --- webhooks and whole calls --------------------------------------------------------------

CALL = {"CallSid": "CA" + "b" * 32, "From": "+8613800138000", "To": SEED_NUMBER,
        "CallStatus": "in-progress"}


def signed_post(client: Any, path: str, params: dict[str, str], *,
                base: str = "http://localhost", token: str = AUTH_TOKEN,
                headers: dict[str, str] | None = None) -> Any:
    signature = RequestValidator(token).compute_signature(base + path, params)
    return client.post(path, data=params, base_url=base,
                       headers={"X-Twilio-Signature": signature, **(headers or {})})


def logged(engine: Engine, campaigns: Campaigns, call_sid: str) -> dict[str, Any]:
    with Session(engine) as session:
        call = session.scalar(select(Call).where(Call.call_sid == call_sid))
        assert call is not None, "the call is not in the log"
        return call_record(call, campaigns)


def heard_references(heard: list[str]) -> list[str]:
    """The reference numbers the caller heard, turned back into digits."""
    words = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
             "six": "6", "seven": "7", "eight": "8", "nine": "9", "零": "0", "幺": "1",
             "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
             "八": "8", "九": "9"}
    found = []
    for text in heard:
        match = re.search(r"(?:reference number is|受理编号是|受理編號係)[:：]\s*([^.。]+)", text)
        if match:
            found.append("".join(words[w.strip()]
                                 for w in re.split(r"[,，;；]", match.group(1))))
    return found


def deployment_app(engine, clock, campaigns: Campaigns, folder: Path):  # type: ignore[no-untyped-def]
    settings = Settings(database_url="sqlite://", campaigns_path=folder,
                        instance_path=folder / "instance", twilio_auth_token=AUTH_TOKEN)
    return create_app(settings, clock=clock, campaigns=campaigns, engine=engine,
                      drain_inline=True)


def call_line(app, *script: object, to: str, from_number: str = "+8613800138000",  # type: ignore[no-untyped-def]
         **options: Any) -> CallResult:
    caller = ScriptedCaller(script)
    result = CallSimulator(FlaskTransport(app, AUTH_TOKEN), "http://localhost", caller,
                           from_number=from_number, to_number=to, **options).run()
    assert next(caller._items, "END") == "END", "the call ended before the script did"
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unknown_reference() -> str:
    """A well-formed reference (its check digit right) that no report has."""
    body = "12345678"
    return body + str(damm_digit(body))


# Headless Chromium (Debian's package) for the browser tests; the flags keep it off a
# network this machine does not have.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")

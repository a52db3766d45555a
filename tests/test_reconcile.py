"""Reconciliation: calls whose final status callback was lost get their status from Twilio.

Twilio's REST API is the one edge we cannot reach: a local HTTP double answers
GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json as Twilio documents it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_session_factory
from db.models import Call
from hotline.cli import main
from schedules.reconcile import TwilioCalls, reconcile

ACCOUNT = "AC" + "7" * 32


class TwilioCallsDouble(BaseHTTPRequestHandler):
    calls: ClassVar[dict[str, tuple[int, dict[str, object]]]] = {}
    requests: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.requests.append((self.path, self.headers.get("Authorization", "")))
        call_sid = self.path.rsplit("/", 1)[-1].removesuffix(".json")
        status, body = self.calls.get(call_sid, (404, {
            "code": 20404, "message": f"The requested resource {self.path} was not found",
            "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        pass


def twilio_call(call_sid: str, status: str, duration: str | None,
                end_time: str | None) -> dict[str, object]:
    return {"sid": call_sid, "account_sid": ACCOUNT, "status": status, "duration": duration,
            "end_time": end_time, "start_time": "Thu, 01 Jun 2023 02:00:00 +0000",
            "direction": "inbound", "to": "+862087756920", "from": "+8613800138000",
            "api_version": "2010-04-01", "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Calls/"
                                                f"{call_sid}.json"}


@pytest.fixture
def twilio_api() -> Iterator[str]:
    TwilioCallsDouble.calls = {}
    TwilioCallsDouble.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), TwilioCallsDouble)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def outcome_of(engine, call_sid: str) -> tuple[str, str, int | None]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        call = session.scalar(select(Call).where(Call.call_sid == call_sid))
        return call.outcome, call.status, call.duration_seconds


def test_a_lost_status_callback_is_made_good(place_call, engine, clock, twilio_api) -> None:
    reported = place_call("1", "3", "1", "r30", "2", status_callback=False)
    gave_up = place_call("1", "hangup", status_callback=False)
    live = place_call("1", "9", "-", "2", status_callback=False)
    vanished = place_call("1", "9", "-", "2", status_callback=False)
    assert outcome_of(engine, reported.call_sid)[0] == "in_progress"
    TwilioCallsDouble.calls = {
        reported.call_sid: (200, twilio_call(reported.call_sid, "completed", "95",
                                             "Thu, 01 Jun 2023 02:01:35 +0000")),
        gave_up.call_sid: (200, twilio_call(gave_up.call_sid, "completed", "12",
                                            "Thu, 01 Jun 2023 02:00:12 +0000")),
        live.call_sid: (200, twilio_call(live.call_sid, "in-progress", None, None)),
    }
    clock.advance(5 * 3600)
    summary = reconcile(make_session_factory(engine, writer=True),
                        TwilioCalls(ACCOUNT, "secret-token", api_base=twilio_api).fetch,
                        clock())
    assert (summary.checked, summary.ended, summary.still_live, summary.unknown_to_twilio) == \
        (4, 2, 1, 1)
    assert outcome_of(engine, reported.call_sid) == ("reported", "completed", 95)
    assert outcome_of(engine, gave_up.call_sid) == ("abandoned", "completed", 12)
    assert outcome_of(engine, live.call_sid)[0] == "in_progress"
    assert outcome_of(engine, vanished.call_sid)[0] == "in_progress"
    # Asked with the account's credentials, on the documented resource path.
    path, authorization = TwilioCallsDouble.requests[0]
    assert path.startswith(f"/2010-04-01/Accounts/{ACCOUNT}/Calls/CA")
    assert authorization.startswith("Basic ")


def test_recent_calls_are_left_alone(place_call, engine, clock, twilio_api) -> None:
    place_call("1", "9", "-", "2", status_callback=False)
    clock.advance(600)
    summary = reconcile(make_session_factory(engine, writer=True),
                        TwilioCalls(ACCOUNT, "t", api_base=twilio_api).fetch, clock())
    assert summary.checked == 0 and TwilioCallsDouble.requests == []


def test_twilio_errors_are_counted_not_raised(place_call, engine, clock, twilio_api) -> None:
    call = place_call("1", "9", "-", "2", status_callback=False)
    TwilioCallsDouble.calls = {call.call_sid: (500, {"message": "boom"})}
    clock.advance(5 * 3600)
    summary = reconcile(make_session_factory(engine, writer=True),
                        TwilioCalls(ACCOUNT, "t", api_base=twilio_api).fetch, clock())
    assert (summary.checked, summary.failed) == (1, 1)
    unreachable = reconcile(make_session_factory(engine, writer=True),
                            TwilioCalls(ACCOUNT, "t", api_base="http://127.0.0.1:9",
                                        timeout=2).fetch, clock())
    assert unreachable.failed == 1


def test_the_reconcile_command(settings, monkeypatch, twilio_api) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(settings.campaigns_path))
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    refused = CliRunner().invoke(main, ["reconcile"])
    assert refused.exit_code == 2 and "TWILIO_ACCOUNT_SID" in refused.output
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    monkeypatch.setenv("HOTLINE_TWILIO_API", twilio_api)
    result = CliRunner().invoke(main, ["reconcile"])
    assert result.exit_code == 0, result.output
    assert "0 unfinished call(s) checked" in result.output

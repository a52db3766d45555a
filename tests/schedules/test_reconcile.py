"""Reconciliation: calls whose final status callback was lost get their status from Twilio.

Twilio's REST API is the one edge we cannot reach: a local HTTP double
(tests/twilio_double.py) answers the Calls and a call's Recordings resources as
Twilio documents them.
"""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_session_factory
from db.models import Call
from hotline.cli import main
from schedules.reconcile import TwilioCalls, reconcile
from tests.twilio_double import (
    ACCOUNT,
    TwilioCallsDouble,
    twilio_api,
    twilio_call,
    twilio_recording,
)

__all__ = ["twilio_api"]  # the fixture, used by name


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


def test_a_lost_recording_callback_is_completed_from_twilio(app, engine, clock,
                                                           twilio_api) -> None:
    from hotline.simulator import CallSimulator, FlaskTransport, ScriptedCaller
    from tests.helpers import AUTH_TOKEN, SEED_NUMBER

    class LostCallbacks(CallSimulator):
        def _recording_callback(self, url: str, callback: str, params: dict[str, str]) -> None:
            pass  # Twilio gave up on them (the host was down past its retries)

    result = LostCallbacks(FlaskTransport(app, AUTH_TOKEN), "http://localhost",
                           ScriptedCaller(["1", "3", "1", "r30", "1", "5", "3", "r20", "2"]),
                           from_number="+8613800138000", to_number=SEED_NUMBER).run()
    assert outcome_of(engine, result.call_sid)[0] == "abandoned"  # no audio confirmed
    first, second = result.recordings
    TwilioCallsDouble.recordings = {result.call_sid: (200, [
        twilio_recording(second, "completed", "20", "Thu, 01 Jun 2023 02:01:40 +0000"),
        twilio_recording(first, "completed", "30", "Thu, 01 Jun 2023 02:01:00 +0000")])}
    calls = TwilioCalls(ACCOUNT, "t", api_base=twilio_api)
    clock.advance(600)
    early = reconcile(make_session_factory(engine, writer=True), calls.fetch, clock(),
                      recordings=calls.recordings)
    assert early.reports_checked == 0  # a callback may still be on its way
    clock.advance(2 * 3600)
    summary = reconcile(make_session_factory(engine, writer=True), calls.fetch, clock(),
                        recordings=calls.recordings)
    assert (summary.reports_checked, summary.recordings_found) == (2, 2)
    assert outcome_of(engine, result.call_sid)[0] == "reported"
    with Session(engine) as session:
        call = session.scalar(select(Call).where(Call.call_sid == result.call_sid))
        assert [(r.recording_sid, r.recording_status, r.recording_seconds)
                for r in call.reports] == [(first, "completed", 30), (second, "completed", 20)]
    assert any(p.endswith(f"/Calls/{result.call_sid}/Recordings.json")
               for p, _ in TwilioCallsDouble.requests)
    again = reconcile(make_session_factory(engine, writer=True), calls.fetch, clock(),
                      recordings=calls.recordings)
    assert again.reports_checked == 0  # nothing left to complete


def test_a_recordings_list_twilio_refuses_is_counted(app, place_call, engine, clock,
                                                     twilio_api) -> None:
    from hotline.simulator import CallSimulator, FlaskTransport, ScriptedCaller
    from tests.helpers import AUTH_TOKEN, SEED_NUMBER

    class LostCallbacks(CallSimulator):
        def _recording_callback(self, url: str, callback: str, params: dict[str, str]) -> None:
            pass

    result = LostCallbacks(FlaskTransport(app, AUTH_TOKEN), "http://localhost",
                           ScriptedCaller(["1", "3", "1", "r30", "2"]),
                           from_number="+8613800138000", to_number=SEED_NUMBER).run()
    TwilioCallsDouble.recordings = {result.call_sid: (500, [])}
    clock.advance(3 * 3600)
    calls = TwilioCalls(ACCOUNT, "t", api_base=twilio_api)
    summary = reconcile(make_session_factory(engine, writer=True), calls.fetch, clock(),
                        recordings=calls.recordings)
    assert (summary.reports_checked, summary.recordings_found, summary.failed) == (1, 0, 1)
    assert outcome_of(engine, result.call_sid)[0] == "abandoned"

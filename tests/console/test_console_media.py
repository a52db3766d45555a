"""Recordings stream through the console from (a double of) Twilio's REST API."""

from __future__ import annotations

import time

from console_helpers import ACCOUNT_SID
from sqlalchemy import select

from console.recordings.media import RecordingMedia
from db.models import Report
from db.user_models import AuditEvent


def the_report(engine) -> Report:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(select(Report)).one()  # type: ignore[return-value]


def test_the_recording_streams_through_the_console(signed_in, reported_call, twilio,
                                                   engine) -> None:
    report = the_report(engine)
    client = signed_in("operator")
    page = client.get(f"/console/calls/{reported_call.call_sid}").get_data(as_text=True)
    audio_url = f"/console/reports/{report.reference}/audio"
    assert f'src="{audio_url}"' in page
    assert "0:30" in page  # the recording's length
    # The page never shows where the audio really comes from.
    assert "twilio.com" not in page and twilio.url not in page and ACCOUNT_SID not in page
    response = client.get(audio_url)
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.data == twilio.recordings[report.recording_sid]
    fetched = twilio.requests[-1]
    assert fetched["path"] == (f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/"
                               f"{report.recording_sid}.mp3")
    assert fetched["headers"]["User-Agent"].startswith("twilio-python/")
    with engine.connect() as connection:
        played = connection.execute(select(AuditEvent.actor, AuditEvent.target).where(
            AuditEvent.action == "recording_played")).all()
    assert played == [("operator", report.reference)]


def test_byte_ranges_pass_through_and_seeking_is_not_a_new_play(signed_in, reported_call,
                                                                twilio, engine,
                                                                clock) -> None:
    report = the_report(engine)
    client = signed_in("operator")
    audio = twilio.recordings[report.recording_sid]

    def played() -> int:
        with engine.connect() as connection:
            return len(connection.execute(select(AuditEvent.id).where(
                AuditEvent.action == "recording_played")).all())

    # A player resuming mid-file never asks for byte 0: its first request is the play.
    part = client.get(f"/console/reports/{report.reference}/audio",
                      headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(audio)}"
    assert part.data == audio[1000:2000]
    assert played() == 1
    # Seeking within the same play is not a new line.
    clock.advance(60)
    client.get(f"/console/reports/{report.reference}/audio", headers={"Range": "bytes=1-"})
    assert played() == 1
    # Playing it again later is.
    clock.advance(10 * 60)
    client.get(f"/console/reports/{report.reference}/audio", headers={"Range": "bytes=1-"})
    assert played() == 2


def test_a_recording_twilio_does_not_have_is_a_clear_404(signed_in, reported_call, twilio,
                                                         engine) -> None:
    report = the_report(engine)
    del twilio.recordings[report.recording_sid]
    response = signed_in("operator").get(f"/console/reports/{report.reference}/audio")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Twilio 上找不到这段录音" in text and "Traceback" not in text


def test_refused_credentials_are_a_clear_message(signed_in, reported_call, twilio, console,
                                                 engine) -> None:
    console.media = RecordingMedia(ACCOUNT_SID, "0" * 32, api_base=twilio.url, timeout=1.0)
    report = the_report(engine)
    response = signed_in("operator").get(f"/console/reports/{report.reference}/audio?lang=en")
    assert response.status_code == 502
    assert "Twilio refused the console&#39;s credentials" in response.get_data(as_text=True)


def test_a_slow_twilio_times_out_with_a_message(signed_in, reported_call, twilio,
                                                engine) -> None:
    report = the_report(engine)
    twilio.slow.add(report.recording_sid)
    client = signed_in("operator")
    started = time.monotonic()
    response = client.get(f"/console/reports/{report.reference}/audio?lang=en")
    assert time.monotonic() - started < 2.5  # the console's 1 s timeout, not Twilio's 3 s
    assert response.status_code == 504
    assert "Twilio did not answer in time" in response.get_data(as_text=True)


def test_an_unreachable_twilio_is_a_message(signed_in, reported_call, console,
                                            engine) -> None:
    console.media = RecordingMedia(ACCOUNT_SID, "f" * 32, api_base="http://127.0.0.1:9",
                                   timeout=1.0)
    report = the_report(engine)
    response = signed_in("operator").get(f"/console/reports/{report.reference}/audio?lang=en")
    assert response.status_code == 502
    assert "Twilio cannot be reached" in response.get_data(as_text=True)


def test_without_twilio_credentials_the_page_says_so(signed_in, reported_call, console,
                                                     engine) -> None:
    console.media = RecordingMedia(None, None)
    report = the_report(engine)
    client = signed_in("operator")
    page = client.get(f"/console/calls/{reported_call.call_sid}?lang=en").get_data(as_text=True)
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set" in page
    response = client.get(f"/console/reports/{report.reference}/audio")
    assert response.status_code == 503


def test_the_players_check_answers_in_plain_text(signed_in, reported_call, twilio,
                                                 engine) -> None:
    report = the_report(engine)
    client = signed_in("operator")
    fine = client.get(f"/console/reports/{report.reference}/audio?check=1")
    assert fine.status_code == 204
    del twilio.recordings[report.recording_sid]
    missing = client.get(f"/console/reports/{report.reference}/audio?check=1&lang=en")
    assert missing.status_code == 404 and missing.mimetype == "text/plain"
    assert missing.get_data(as_text=True).startswith("Twilio has no such recording")
    with engine.connect() as connection:
        assert connection.execute(select(AuditEvent.id).where(
            AuditEvent.action == "recording_played")).first() is None


def test_a_report_without_a_recording_has_no_player(signed_in, place_call, engine) -> None:
    # The duty officer did not answer and the caller left no message.
    result = place_call("1", "0", "no-answer", None)
    client = signed_in("operator")
    with engine.connect() as connection:
        references = list(connection.execute(select(Report.reference)).scalars())
    page = client.get(f"/console/calls/{result.call_sid}").get_data(as_text=True)
    assert "<audio" not in page
    for reference in references:
        assert client.get(f"/console/reports/{reference}/audio").status_code == 404

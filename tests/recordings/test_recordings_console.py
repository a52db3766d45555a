"""The console plays the local copy (with byte ranges, so seeking works), operators hear
the disguised voice, managers may open the original after an audited reason, and
Twilio's copy is played only while the local one is not home."""

from __future__ import annotations

import pytest
from speech import median_f0, seconds_of, semitones
from sqlalchemy import select

from db.user_models import AuditEvent
from recordings.fetch import fetch_due
from tests.helpers import csrf_token, row_of


def audit_lines(engine, action: str) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(  # type: ignore[misc]
            select(AuditEvent.actor, AuditEvent.target, AuditEvent.detail)
            .where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_an_operator_hears_the_disguised_local_copy_and_can_seek(
        reported, fetcher, signed_in, engine) -> None:
    report = reported(9)
    operator = signed_in("operator")
    waiting = operator.get(f"/console/reports/{report.reference}/audio")
    assert waiting.status_code == 409  # not home yet: never Twilio's undisguised voice
    assert "brought home" in waiting.get_data(as_text=True) or "取回" in \
        waiting.get_data(as_text=True)
    fetch_due(fetcher)
    page = operator.get(f"/console/calls/{report.call_sid}?lang=en").get_data(as_text=True)
    assert "encrypted here, deleted at Twilio" in page and "You hear a disguised voice" in page
    assert "Play the original" not in page  # operators cannot
    whole = operator.get(f"/console/reports/{report.reference}/audio")
    assert whole.status_code == 200 and whole.mimetype == "audio/wav"
    assert whole.headers["Accept-Ranges"] == "bytes"
    voice = whole.data
    assert voice != report.audio
    assert abs(seconds_of(voice) - 9) <= 9 * 0.02
    assert abs(semitones(median_f0(report.audio), median_f0(voice))) >= 3
    # A seeking player asks for a range: exactly those bytes, 206.
    part = operator.get(f"/console/reports/{report.reference}/audio",
                        headers={"Range": "bytes=70000-70999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 70000-70999/{len(voice)}"
    assert part.data == voice[70000:71000]
    tail = operator.get(f"/console/reports/{report.reference}/audio",
                        headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.data == voice[-100:]
    beyond = operator.get(f"/console/reports/{report.reference}/audio",
                          headers={"Range": f"bytes={len(voice) + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(voice)}"
    # Every play audited; the ranges of one play are one line.
    assert audit_lines(engine, "recording_played") == [("operator", report.reference, None)]
    assert operator.get(f"/console/reports/{report.reference}/original/audio"
                        ).status_code == 403


def test_a_manager_plays_the_original_after_an_audited_reason(
        reported, fetcher, signed_in, engine) -> None:
    report = reported(5)
    fetch_due(fetcher)
    manager = signed_in("manager")
    page = f"/console/calls/{report.call_sid}?lang=en"
    assert "Play the original" in manager.get(page).get_data(as_text=True)
    original_url = f"/console/reports/{report.reference}/original/audio"
    assert manager.get(original_url).status_code == 403  # no reason given yet
    refused = manager.post(f"/console/reports/{report.reference}/original",
                           data={"csrf_token": csrf_token(manager, page), "reason": "  "})
    assert refused.status_code == 302 and manager.get(original_url).status_code == 403
    opened = manager.post(f"/console/reports/{report.reference}/original", data={
        "csrf_token": csrf_token(manager, page),
        "reason": "the caller asked to confirm it is their message"})
    assert opened.status_code == 302
    assert f'src="{original_url}"' in manager.get(page).get_data(as_text=True)
    original = manager.get(original_url)
    assert original.status_code == 200 and original.data == report.audio
    assert audit_lines(engine, "original_opened") == [
        ("manager", report.reference, "the caller asked to confirm it is their message")]
    assert [line[:2] for line in audit_lines(engine, "original_played")] == [
        ("manager", report.reference)]


@pytest.mark.parametrize("disguise", ["always"])
def test_always_keeps_only_the_disguised_voice(reported, fetcher, signed_in, engine,
                                               store, double) -> None:
    report = reported(7)
    fetch_due(fetcher)
    row = row_of(engine, report.recording_sid)
    assert row.state == "deleted" and row.original_file is None and row.disguised_file
    assert [p.name for p in store.root.rglob("*.sealed")] == [
        f"{report.recording_sid}.voice.sealed"]
    assert report.recording_sid not in double.recordings  # Twilio's original gone too
    manager = signed_in("manager")
    voice = manager.get(f"/console/reports/{report.reference}/audio").data
    assert abs(semitones(median_f0(report.audio), median_f0(voice))) >= 3
    page = f"/console/calls/{report.call_sid}?lang=en"
    manager.post(f"/console/reports/{report.reference}/original", data={
        "csrf_token": csrf_token(manager, page), "reason": "a court asked for it"})
    gone = manager.get(f"/console/reports/{report.reference}/original/audio")
    assert gone.status_code == 404
    assert "No original voice is kept" in gone.get_data(as_text=True) or \
        "未保存原声" in gone.get_data(as_text=True)


@pytest.mark.parametrize("disguise", ["off"])
def test_without_disguise_twilio_plays_until_the_copy_is_home(
        reported, fetcher, signed_in, engine, app, double) -> None:
    from recordings_double import ACCOUNT_SID, AUTH_TOKEN

    from console.recordings.media import RecordingMedia

    report = reported(4)
    app.extensions["hotline.console"].media = RecordingMedia(
        ACCOUNT_SID, AUTH_TOKEN, api_base=double.url, timeout=1.0)
    operator = signed_in("operator")
    before = operator.get(f"/console/reports/{report.reference}/audio")
    assert before.status_code == 200 and before.data == report.audio  # Twilio's copy
    assert double.requests("GET", report.recording_sid)
    fetch_due(fetcher)
    asked = len(double.requests("GET", report.recording_sid))
    after = operator.get(f"/console/reports/{report.reference}/audio")
    assert after.status_code == 200 and after.data == report.audio  # the original, here
    assert len(double.requests("GET", report.recording_sid)) == asked  # not from Twilio


def test_metrics_count_recordings_by_state(reported, fetcher, client, double) -> None:
    first, second = reported(3), reported(4)
    double.recordings.pop(second.recording_sid)
    fetch_due(fetcher)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'hotline_recordings{state="deleted"} 1.0' in text
    assert 'hotline_recordings{state="failed"} 1.0' in text
    assert "hotline_recordings_confirmed 2.0" in text
    assert first.reference not in text

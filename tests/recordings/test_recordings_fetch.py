"""Recordings come home: downloaded, verified, sealed on disk, and only then deleted at
Twilio (a local double of its Recordings resource); every failure is retried and
deletes nothing."""

from __future__ import annotations

import hashlib
import stat
import time

from speech import seconds_of

from recordings.fetch import RETRY_DELAYS, fetch_due
from tests.helpers import row_of


def test_a_recording_comes_home_sealed_then_is_deleted_at_twilio(
        reported, fetcher, double, engine, store) -> None:
    report = reported(9)
    started = time.monotonic()
    summary = fetch_due(fetcher)
    elapsed = time.monotonic() - started
    assert (summary.queued, summary.stored, summary.deleted, summary.failed) == (1, 1, 1, 0)
    row = row_of(engine, report.recording_sid)
    assert row.state == "deleted"
    assert row.sha256 == hashlib.sha256(report.audio).hexdigest()
    assert row.size_bytes == len(report.audio) and abs(row.duration_ms - 9000) <= 1
    assert row.key_id == store.keyring.current.id
    # The GET came first, the DELETE only after the copy was sealed and read back.
    (get,) = double.requests("GET", report.recording_sid)
    (delete,) = double.requests("DELETE", report.recording_sid)
    assert get[2] == 200 and delete[2] == 204 and get[3] < delete[3]
    assert report.recording_sid not in double.recordings
    # Both copies (original, disguised) on disk, 0600, neither holding the audio in clear.
    paths = [store.path_of(row.original_file), store.path_of(row.disguised_file)]
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        sealed = path.read_bytes()
        assert b"RIFF" not in sealed and b"WAVE" not in sealed
        pcm = report.audio[44:]
        assert all(pcm[i:i + 32] not in sealed for i in range(0, len(pcm) - 32, 4096))
    assert store.read(report.recording_sid, _copy("original"), row.original_file) == report.audio
    assert elapsed < 30  # a generous bound: the note records the measured time


def _copy(name: str):  # type: ignore[no-untyped-def]
    from recordings.store import Copy

    return Copy(name if name == "original" else "voice")


def test_a_missing_recording_is_retried_and_nothing_is_deleted(
        reported, fetcher, double, engine, clock) -> None:
    report = reported(5)
    audio = double.recordings.pop(report.recording_sid)
    summary = fetch_due(fetcher)
    assert summary.failed == 1
    row = row_of(engine, report.recording_sid)
    assert row.state == "failed" and "404" in row.last_error and row.attempts == 1
    assert double.requests("DELETE") == []
    assert not list(fetcher.store.root.rglob("*.sealed"))
    # Not due again before its back-off …
    fetch_due(fetcher)
    assert len(double.requests("GET", report.recording_sid)) == 1
    # … and once Twilio has it, the next attempt brings it home.
    double.recordings[report.recording_sid] = audio
    clock.advance(RETRY_DELAYS[0].total_seconds())
    assert fetch_due(fetcher).deleted == 1
    assert row_of(engine, report.recording_sid).state == "deleted"


def test_a_500_then_success(reported, fetcher, double, engine, clock) -> None:
    report = reported(4)
    double.faults[report.recording_sid] = ["500"]
    fetch_due(fetcher)
    row = row_of(engine, report.recording_sid)
    assert row.state == "failed" and "500" in row.last_error
    assert double.requests("DELETE") == []
    clock.advance(RETRY_DELAYS[0].total_seconds())
    fetch_due(fetcher)
    assert row_of(engine, report.recording_sid).state == "deleted"


def test_a_truncated_body_is_refused_and_retried(reported, fetcher, double, engine,
                                                  clock) -> None:
    report = reported(6)
    double.faults[report.recording_sid] = ["truncate"]
    fetch_due(fetcher)
    row = row_of(engine, report.recording_sid)
    assert row.state == "failed" and row.last_error.startswith("cut short")
    assert double.requests("DELETE") == []
    assert not list(fetcher.store.root.rglob("*.sealed"))
    clock.advance(RETRY_DELAYS[0].total_seconds())
    fetch_due(fetcher)
    row = row_of(engine, report.recording_sid)
    assert row.state == "deleted" and row.size_bytes == len(report.audio)


def test_a_slow_twilio_times_out_and_is_retried(reported, fetcher, double, engine,
                                                 clock) -> None:
    report = reported(3)
    double.faults[report.recording_sid] = ["slow"]
    double.delay = 2.5  # the client waits 1 s
    fetch_due(fetcher)
    row = row_of(engine, report.recording_sid)
    assert row.state == "failed" and "timed out" in row.last_error
    assert double.requests("DELETE") == []
    clock.advance(RETRY_DELAYS[0].total_seconds())
    fetch_due(fetcher)
    assert row_of(engine, report.recording_sid).state == "deleted"


def test_a_delete_that_fails_once_is_retried_and_the_copy_stays_playable(
        reported, fetcher, double, engine, clock, store) -> None:
    report = reported(5)
    double.delete_faults[report.recording_sid] = ["500"]
    summary = fetch_due(fetcher)
    assert (summary.stored, summary.deleted, summary.failed) == (1, 0, 1)
    row = row_of(engine, report.recording_sid)
    assert row.state == "downloaded" and "500" in row.last_error
    assert store.read(report.recording_sid, _copy("original"), row.original_file) == report.audio
    clock.advance(RETRY_DELAYS[0].total_seconds())
    again = fetch_due(fetcher)
    assert (again.stored, again.deleted) == (0, 1)  # not downloaded twice
    assert len(double.requests("GET", report.recording_sid)) == 1
    assert row_of(engine, report.recording_sid).state == "deleted"


def test_audio_shorter_than_twilio_said_is_not_trusted(reported, fetcher, double, engine
                                                       ) -> None:
    from speech import fit

    report = reported(9)
    double.recordings[report.recording_sid] = fit(report.audio, 6.5)
    assert seconds_of(double.recordings[report.recording_sid]) == 6.5
    fetch_due(fetcher)
    row = row_of(engine, report.recording_sid)
    assert row.state == "failed" and "Twilio said 9 s" in row.last_error
    assert double.requests("DELETE") == []


def test_a_campaign_that_keeps_recordings_at_twilio_downloads_nothing(
        reported, fetcher, double, engine, campaigns) -> None:
    from dataclasses import replace

    from campaign.model import Campaigns

    report = reported(4)
    at_twilio = replace(fetcher, campaigns=Campaigns.of(
        [replace(c, recordings="twilio", voice_disguise="off") for c in campaigns]))
    assert fetch_due(at_twilio).queued == 0
    assert row_of(engine, report.recording_sid) is None and double.log == []

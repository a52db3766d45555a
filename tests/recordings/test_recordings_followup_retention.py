"""Retention and follow-up calls: the team's reply and the callers' added messages (their
Twilio copies) go with the rest; a report on legal hold keeps its additions."""

from __future__ import annotations

from click.testing import CliRunner
from speech import fit
from sqlalchemy import select

from db.engine import make_session_factory
from db.models import Report, ReportAddition
from hotline.cli import main
from recordings.fetch import fetch_due
from tests.helpers import row_of
from tests.recordings.test_recordings_retention import cli_env  # noqa: F401  (fixture)


def test_purge_removes_replies_and_added_messages_at_twilio(
        reported, place_call, double, engine, cli_env) -> None:  # noqa: F811
    report = reported(6)
    again = place_call("1", "#", report.reference + "#", "1", "r7", "2")
    added_sid = again.recordings[0]
    double.recordings[added_sid] = b"RIFF"  # the added message, still at Twilio
    with make_session_factory(engine).begin() as session:
        session.execute(Report.__table__.update().values(reply_text="我们正在核查。"))

    dry = CliRunner().invoke(main, ["retention", "--dry-run"])
    assert "would purge 2 recording(s)" in dry.output, dry.output
    done = CliRunner().invoke(main, ["retention"])
    assert done.exit_code == 0, done.output
    assert added_sid not in double.recordings
    with make_session_factory(engine)() as session:
        reply = session.scalar(select(Report.reply_text))
        addition = session.execute(select(ReportAddition.recording_url,
                                          ReportAddition.recording_seconds)).one()
    assert reply is None
    assert addition.recording_url is None and addition.recording_seconds == 7
    assert CliRunner().invoke(main, ["retention"]).exit_code == 0
    assert len(double.requests("DELETE", added_sid)) == 1  # a second run asks nothing again


def test_an_added_message_comes_home_sealed_plays_disguised_then_is_purged(
        reported, place_call, fetcher, double, engine, store, signed_in, speech_wav,
        cli_env) -> None:  # noqa: F811
    report = reported(6)
    again = place_call("1", "#", report.reference + "#", "1", "r7", "2")
    added_sid = again.recordings[0]
    double.recordings[added_sid] = fit(speech_wav, 7)
    summary = fetch_due(fetcher)
    assert (summary.queued, summary.stored, summary.deleted, summary.failed) == (2, 2, 2, 0)
    row = row_of(engine, added_sid)
    assert row.state == "deleted" and row.report_id is None and row.addition_id is not None
    assert added_sid not in double.recordings and store.path_of(row.disguised_file).exists()

    operator = signed_in("operator")
    page = operator.get(f"/console/calls/{report.call_sid}").get_data(as_text=True)
    audio_url = f"/console/additions/{row.addition_id}/audio"
    assert audio_url in page
    played = operator.get(audio_url)
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    assert played.get_data() != double_copy(store, row)  # operators hear the disguised voice

    done = CliRunner().invoke(main, ["retention"])
    assert done.exit_code == 0, done.output
    assert row_of(engine, added_sid).state == "purged"
    assert not store.path_of(row.disguised_file).exists()
    assert operator.get(audio_url).status_code == 410


def double_copy(store, row) -> bytes:  # type: ignore[no-untyped-def]
    from recordings.store import Copy

    return store.read(row.recording_sid, Copy.ORIGINAL, row.original_file)

"""Retention and follow-up calls: the team's reply and the callers' added messages (their
Twilio copies) go with the rest; a report on legal hold keeps its additions."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from db.engine import make_session_factory
from db.models import Report, ReportAddition
from hotline.cli import main
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

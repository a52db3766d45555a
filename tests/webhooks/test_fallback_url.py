"""POST /twilio/fallback: the number's "primary handler fails" URL."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urldefrag
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Call
from ivr.prompts import prompts_for
from tests.helpers import CALL, signed_post

FAILED = {**CALL, "ErrorCode": "11200",
          "ErrorUrl": "https://hotline.example.org/twilio/step/menu?n=3&l=yue&c=integrity"}


def _local(url: str) -> str:
    path = url.split("/twilio/", 1)[1]
    return "/twilio/" + path


def test_the_caller_hears_of_the_problem_the_address_and_may_leave_a_message(
        app, client, engine, caplog) -> None:
    caplog.set_level("INFO")
    answer = signed_post(client, "/twilio/fallback", FAILED)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    root = ElementTree.fromstring(answer.get_data(as_text=True))
    said = [say.text for say in root.iter("Say")]
    # In the caller's language (from the URL that failed), the address for letters.
    assert said[0] == "對唔住，呢條熱線嘅系統暫時有問題。"
    assert any("郵政信箱" in text for text in said)
    record = root.find("Record")
    assert record is not None and record.get("recordingStatusCallbackEvent") == \
        "completed absent"
    callback, overrides = urldefrag(record.get("recordingStatusCallback"))
    assert overrides == "ct=2000&rt=5000&tt=15000&rc=3&rp=ct,rt,5xx"
    # Logged with the call's SID and Twilio's error, never the caller's choices or number.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert CALL["CallSid"] in logged and "11200" in logged and "/twilio/step/menu" in logged
    assert "integrity" not in logged and "8613800138000" not in logged

    # Twilio records the message and calls back (without the fragment), then the action.
    sid = "RE" + "c" * 32
    recording = signed_post(client, _local(callback), {
        "CallSid": CALL["CallSid"], "RecordingSid": sid, "RecordingStatus": "completed",
        "RecordingUrl": "https://api.twilio.com/x", "RecordingDuration": "14"})
    assert recording.status_code == 204
    done = signed_post(client, _local(record.get("action")),
                       {**CALL, "RecordingSid": sid, "Digits": "#"})
    heard = " ".join(s.text for s in ElementTree.fromstring(done.get_data(as_text=True))
                     .iter("Say"))
    signed_post(client, "/twilio/status", {**CALL, "CallStatus": "completed",
                                           "CallDuration": "50"})
    with Session(engine) as session:
        call = session.scalar(select(Call).where(Call.call_sid == CALL["CallSid"]))
        [report] = call.reports
        assert (report.number, report.category, report.recording_sid,
                report.recording_seconds) == (103, None, sid, 14)
        assert call.outcome == "reported"
    spoken = prompts_for("yue").digits(report.reference)
    assert spoken in heard  # the reference the caller heard is the one on file


def test_the_fallback_needs_no_database_and_no_journal(app, client) -> None:
    from dataclasses import replace

    from db.engine import make_engine
    from tests.helpers import UNREACHABLE

    app.extensions["hotline.engine"] = make_engine(UNREACHABLE)
    journal = app.extensions["hotline.journal"]
    holder = sqlite3.connect(journal.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the journal cannot be written either
    try:
        context = app.extensions["hotline.webhooks"]
        app.extensions["hotline.webhooks"] = replace(context, after_append=None)
        answer = signed_post(client, "/twilio/fallback", {**CALL, "ErrorCode": "11205"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status_code == 200
    twiml = answer.get_data(as_text=True)
    # No language known: every language of the line, then the recording.
    assert "对不起，本热线系统暂时出现故障。" in twiml and "Sorry, this line has" in twiml
    assert "<Record" in twiml
    assert re.search(r"ref=\d{8,9}", twiml)


def test_a_junk_fallback_request_is_a_4xx(client) -> None:
    assert client.post("/twilio/fallback", data=FAILED).status_code == 403  # unsigned
    assert signed_post(client, "/twilio/fallback", {"ErrorCode": "1"}).status_code == 400

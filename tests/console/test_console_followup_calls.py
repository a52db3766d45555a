"""A returning caller's whole journey: report, ring back with the reference, hear the state
and the team's reply written in the console, add a message (both databases)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from console_helpers import post
from sqlalchemy import select

from db.models import CallEvent, Report
from db.user_models import AuditEvent, ReportActivity
from hotline.cli import main
from tests.helpers import heard_references

MANDARIN, CANTONESE = "1", "2"
REPLY = "我们已收到您的反映，正在核查。"


def test_report_follow_up_reply_and_addition(place_call, signed_in, engine, settings,
                                             campaigns) -> None:
    first = place_call(MANDARIN, "3", "1", "r30", "2")
    reference = heard_references(first.heard)[0]

    received = place_call(MANDARIN, "#", reference + "#", "2")
    assert "您的反映已经收到。" in received.heard

    client = signed_in("operator")
    assert post(client, f"/console/reports/{reference}/status",
                {"to": "acknowledged", "expected": "new"}).status_code == 302
    saved = post(client, f"/console/reports/{reference}/reply",
                 {"reply": REPLY, "language": "cmn"})
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert REPLY in page and "任何持有受理编号的人" in page and "来电人尚未听取" in page

    again = place_call(MANDARIN, "#", reference + "#", "1", "r20", "2")
    assert "您的反映正在办理中。" in again.heard
    assert again.heard[again.heard.index("工作人员给您的回复是：") + 1] == REPLY
    assert "您的补充留言已经记录。" in again.heard

    out = CliRunner().invoke(main, ["export", "calls", "--format", "json"],
                             env={"HOTLINE_DATABASE_URL": settings.database_url,
                                  "HOTLINE_CAMPAIGNS": str(settings.campaigns_path)})
    assert out.exit_code == 0, out.output
    calls = {c["call_sid"]: c for c in json.loads(out.output)}
    assert calls[again.call_sid]["outcome"] == "followed_up"
    assert calls[again.call_sid]["reports"] == []
    [report] = calls[first.call_sid]["reports"]
    assert report["reference"] == reference and report["follow_up"] == "acknowledged"
    [addition] = report["additions"]
    assert addition["recording_sid"] == again.recordings[0]
    assert addition["recording_seconds"] == 20
    assert report["reply_heard_at"] is not None
    assert sum(len(c["reports"]) for c in calls.values()) == 1

    # The call's events name the report by its id, never the digits typed.
    with engine.connect() as connection:
        report_id = connection.execute(select(Report.id)).scalar_one()
        events = connection.execute(select(CallEvent.result, CallEvent.digits)).all()
        audit = connection.execute(select(AuditEvent.action, AuditEvent.detail)).all()
    assert (f"followup:{report_id}", None) in events
    assert all(reference not in (result + (digits or "")) for result, digits in events)
    assert ("reply_written", "written") in audit

    # The operator sees the reply was heard, and the addition under the report.
    page = client.get(f"/console/calls/{first.call_sid}").get_data(as_text=True)
    assert "来电人已于" in page and again.recordings[0] in page
    follow = client.get(f"/console/calls/{again.call_sid}").get_data(as_text=True)
    assert f"查到举报（编号 {report_id}）" in follow


def test_addition_reopens_a_closed_report_and_flags_the_assignee(place_call, signed_in,
                                                                 engine) -> None:
    first = place_call(CANTONESE, "3", "1", "r30", "2")
    reference = heard_references(first.heard)[0]
    client = signed_in("operator")
    for to, expected, reason in (("acknowledged", "new", ""), ("closed", "acknowledged", "done")):
        post(client, f"/console/reports/{reference}/status",
             {"to": to, "expected": expected, "reason": reason})
    post(client, f"/console/reports/{reference}/assignee", {"assignee": "manager"})

    again = place_call(CANTONESE, "#", reference + "#", "1", "r15", "2")
    assert "你嘅舉報已經處理完。" in again.heard
    with engine.connect() as connection:
        report = connection.execute(select(Report.follow_up, Report.new_info_at)).one()
        lines = connection.execute(select(ReportActivity.author_name, ReportActivity.to_status,
                                          ReportActivity.body)).all()
    assert report.follow_up == "in_review" and report.new_info_at is not None
    assert ("(line)", "in_review", "the caller added a message by phone") in lines

    # An operator who is not the assignee sees the mark and leaves it; the assignee clears it.
    assert "有新补充" in client.get("/console/calls").get_data(as_text=True)
    client.get(f"/console/calls/{first.call_sid}")
    manager = signed_in("manager")
    assert "有新补充" in manager.get(f"/console/calls/{first.call_sid}").get_data(as_text=True)
    assert "有新补充" not in manager.get("/console/calls").get_data(as_text=True)


def test_a_reply_too_long_or_in_a_foreign_language_is_refused(reported_call, signed_in,
                                                              engine) -> None:
    client = signed_in("operator")
    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    post(client, f"/console/reports/{reference}/reply", {"reply": "x" * 401, "language": "cmn"})
    post(client, f"/console/reports/{reference}/reply", {"reply": "ok", "language": "fr"})
    with engine.connect() as connection:
        assert connection.execute(select(Report.reply_text)).scalar_one() is None


def test_a_message_whose_reference_matched_nothing_is_shown_to_operators(
        place_call, app, signed_in) -> None:
    from tests.helpers import unknown_reference

    context = app.extensions["hotline.webhooks"]

    def away(*_args):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("database refused")

    object.__setattr__(context, "look_up", away)
    call = place_call(MANDARIN, "#", unknown_reference() + "#", "1", "r11", "2")
    client = signed_in("operator")
    listing = client.get("/console/calls").get_data(as_text=True)
    assert "有 1 条补充留言的编号没有对应的举报" in listing
    page = client.get("/console/additions/unmatched").get_data(as_text=True)
    assert unknown_reference() in page and call.call_sid in page and call.recordings[0] in page

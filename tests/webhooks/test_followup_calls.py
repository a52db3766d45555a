"""Returning callers by phone: wrong numbers, the limits, additions' callbacks, the
database away (SQLite and PostgreSQL, through signed requests)."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.models import Call, Report, ReportAddition
from db.user_models import AuditEvent
from tests.helpers import (
    AUTH_TOKEN,
    SEED_NUMBER,
    heard_references,
    logged,
    unknown_reference,
)

ENGLISH = "3"
INTEGRITY, CITY_LEADERSHIP = "3", "1"
NOT_FOUND = "Sorry, that number was not found."
MENU = "Please choose what your report is about."
LIMIT = "Sorry, reference numbers cannot be checked from this phone today."


def report(place_call, **options) -> str:  # type: ignore[no-untyped-def]
    result = place_call(ENGLISH, INTEGRITY, CITY_LEADERSHIP, "r30", "2", **options)
    return heard_references(result.heard)[0]


def test_wrong_check_digit_and_unknown_reference_sound_alike_then_menu(place_call, engine,
                                                                       campaigns) -> None:
    reference = report(place_call)
    bad_digit = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    result = place_call(ENGLISH, "#", bad_digit + "#", unknown_reference() + "#", "123#",
                        "-", "-", "-")
    assert result.heard.count(NOT_FOUND) == 3
    last = len(result.heard) - result.heard[::-1].index(NOT_FOUND)
    assert result.heard[last] == MENU  # three wrong tries: back to the main menu
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "abandoned"


def test_right_reference_after_a_wrong_one(place_call) -> None:
    reference = report(place_call)
    result = place_call(ENGLISH, "#", unknown_reference() + "#", reference + "#", "*", "2")
    assert NOT_FOUND in result.heard
    assert result.heard.count("Your report has been received.") == 2  # heard, then again


def test_ten_wrong_numbers_a_day_from_one_number(place_call, engine, clock) -> None:
    reference = report(place_call)
    caller = "+8613900139000"
    wrong = unknown_reference() + "#"
    for _ in range(3):  # nine wrong numbers in three calls
        place_call(ENGLISH, "#", wrong, wrong, wrong, "-", "-", "-", from_number=caller)
    tenth = place_call(ENGLISH, "#", wrong, reference + "#", "-", "-", "-", from_number=caller)
    assert NOT_FOUND in tenth.heard and LIMIT in tenth.heard
    assert "Your report has been received." not in tenth.heard
    assert MENU in tenth.heard[tenth.heard.index(LIMIT):]
    # Another number is not held back; the next day this one may try again.
    assert "Your report has been received." in place_call(
        ENGLISH, "#", reference + "#", "2", from_number="+8613700137000").heard
    clock.advance(25 * 3600)
    assert "Your report has been received." in place_call(
        ENGLISH, "#", reference + "#", "2", from_number=caller).heard
    with engine.connect() as connection:
        lines = connection.execute(select(AuditEvent.action, AuditEvent.target,
                                          AuditEvent.detail)).all()
    limited = [line for line in lines if line.action == "followup_limited"]
    assert len(limited) == 1
    assert reference not in str(limited) and unknown_reference() not in str(limited)


def test_anonymous_callers_are_limited_per_call_only(place_call) -> None:
    reference = report(place_call)
    wrong = unknown_reference() + "#"
    for _ in range(4):
        place_call(ENGLISH, "#", wrong, wrong, wrong, "-", "-", "-", from_number="anonymous")
    result = place_call(ENGLISH, "#", reference + "#", "2", from_number="anonymous")
    assert "Your report has been received." in result.heard


def test_addition_callbacks_duplicated_and_out_of_order(place_call, engine, campaigns) -> None:
    reference = report(place_call)
    first = place_call(ENGLISH, "#", reference + "#", "1", "r12", "2",
                       recording_callback_first=True, duplicate_callbacks=True)
    second = place_call(ENGLISH, "#", reference + "#", "1", "r8", "1", "r9", "2",
                        duplicate_callbacks=True)
    with engine.connect() as connection:
        rows = connection.execute(select(ReportAddition.recording_sid,
                                         ReportAddition.recording_seconds,
                                         ReportAddition.recording_status)
                                  .order_by(ReportAddition.id)).all()
        reports = connection.execute(select(Report.reference)).scalars().all()
    assert [tuple(r) for r in rows] == [
        (first.recordings[0], 12, "completed"), (second.recordings[0], 8, "completed"),
        (second.recordings[1], 9, "completed")]
    assert reports == [reference]  # no new reference is made
    assert logged(engine, campaigns, second.call_sid)["outcome"] == "followed_up"


def test_database_away_the_message_is_kept_with_the_reference(place_call, app, engine,
                                                              campaigns) -> None:
    reference = report(place_call)
    context = app.extensions["hotline.webhooks"]

    def away(*_args):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("database refused")

    object.__setattr__(context, "look_up", away)
    heard = place_call(ENGLISH, "#", reference + "#", "1", "r10", "2")
    place_call(ENGLISH, "#", unknown_reference() + "#", "1", "r11", "2")
    assert ("Sorry, the state of your report cannot be read just now. You can still add a "
            "message to it.") in heard.heard
    with engine.connect() as connection:
        rows = connection.execute(select(ReportAddition.report_id, ReportAddition.reference)
                                  .order_by(ReportAddition.id)).all()
        report_id = connection.execute(select(Report.id)).scalar_one()
        outcome = connection.execute(select(Call.outcome).where(
            Call.call_sid == heard.call_sid)).scalar_one()
    assert [tuple(r) for r in rows] == [(report_id, None), (None, unknown_reference())]
    assert outcome == "followed_up"
    assert logged(engine, campaigns, heard.call_sid)["reports"] == []


def test_the_reply_is_read_in_the_voice_of_its_language(place_call, app, engine) -> None:
    from hotline.simulator import FlaskTransport

    reference = report(place_call)
    with engine.begin() as connection:
        connection.execute(Report.__table__.update().values(
            reply_text="我们正在核查。", reply_language="cmn"))
    url = "http://localhost/twilio/step/reference?n=3&l=en&k=follow"
    status, twiml = FlaskTransport(app, AUTH_TOKEN).post(url, {
        "CallSid": "CA" + "e" * 32, "AccountSid": "AC" + "0" * 32, "From": "+8613800138000",
        "To": SEED_NUMBER, "CallStatus": "in-progress", "Digits": reference})
    assert status == 200
    assert '<Say language="en-GB" voice="Polly.Amy-Neural">The team has left you this ' \
        'message:</Say>' in twiml
    assert '<Say language="cmn-CN" voice="Polly.Zhiyu-Neural">我们正在核查。</Say>' in twiml


def test_the_daily_report_counts_follow_up_calls(place_call, engine, campaigns, clock) -> None:
    from datetime import date, timedelta

    from db.engine import make_session_factory
    from reports.figures import campaign_figures
    from reports.render import render_text

    reference = report(place_call)
    place_call(ENGLISH, "#", reference + "#", "1", "r10", "2")
    place_call(ENGLISH, "#", reference + "#", "2")
    campaign = next(iter(campaigns))
    with make_session_factory(engine)() as session:
        figures = campaign_figures(session, campaign, date(2023, 6, 1),
                                   clock() + timedelta(hours=8))  # the evening's report
    assert figures.today.outcomes["followed_up"] == 2
    assert figures.today.outcomes["reported"] == 1
    assert figures.today.reports == 1  # an addition is no new report
    # The seed's report is in its first language, Mandarin: "followed up" is 查询跟进.
    assert re.search(r"查询跟进\s+2\s", render_text(figures))


def test_the_simulator_plays_the_whole_journey(settings, monkeypatch, engine) -> None:
    import json

    from click.testing import CliRunner

    from hotline.cli import main

    for name, value in (("HOTLINE_DATABASE_URL", settings.database_url),
                        ("HOTLINE_CAMPAIGNS", str(settings.campaigns_path)),
                        ("TWILIO_AUTH_TOKEN", AUTH_TOKEN)):
        monkeypatch.setenv(name, value)
    cli = CliRunner()
    first = cli.invoke(main, ["call", "--at", "2023-06-01 10:00", "--keys", "3 3 1 r30 2"])
    reference = heard_references(first.output.splitlines())[0]
    again = cli.invoke(main, ["call", "--at", "2023-06-02 10:00", "--keys",
                              f"3 # {reference}# 1 r20 2"])
    assert again.exit_code == 0, again.output
    assert "Your report has been received." in again.output
    assert "Your message has been added to your report." in again.output
    records = json.loads(cli.invoke(main, ["export", "calls"]).output)
    assert [r["outcome"] for r in records] == ["reported", "followed_up"]
    assert len(records[0]["reports"][0]["additions"]) == 1

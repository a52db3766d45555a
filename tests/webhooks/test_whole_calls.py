"""Whole calls played through signed webhooks, checked in the call log (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Call, CallEvent, Report
from ivr.references import is_valid_reference
from tests.helpers import AUTH_TOKEN, SEED_NUMBER, FakeClock, heard_references, logged

MANDARIN, CANTONESE, ENGLISH = "1", "2", "3"
INTEGRITY, WORK = "3", "5"
CITY_LEADERSHIP, KEY_POSTS, SOMEONE_ELSE = "1", "3", "4"







def test_two_matters_in_one_call(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, "r41", "1",
                        WORK, KEY_POSTS, "r20", "2")
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "reported"
    assert record["language"] == "cmn"
    assert record["status"] == "completed"
    assert record["started_at"] == "2023-06-01T10:00:00+08:00"
    assert [(r["category"], r["subject"]) for r in record["reports"]] == [
        ("integrity", "city-leadership"), ("work", "key-post-leaders")]
    references = [r["reference"] for r in record["reports"]]
    assert heard_references(result.heard) == references
    assert len(set(references)) == 2 and all(is_valid_reference(r) for r in references)
    assert [r["recording_sid"] for r in record["reports"]] == result.recordings
    assert [r["recording_seconds"] for r in record["reports"]] == [41, 20]
    assert all(r["follow_up"] == "new" for r in record["reports"])
    assert record["reports"][0]["recording_url"].endswith(result.recordings[0])


def test_each_step_is_in_the_timeline(place_call, engine) -> None:
    result = place_call(ENGLISH, "7", INTEGRITY, CITY_LEADERSHIP, "r30", "2")
    with Session(engine) as session:
        events = session.execute(
            select(CallEvent.step_no, CallEvent.step, CallEvent.result, CallEvent.digits)
            .join(Call).where(Call.call_sid == result.call_sid).order_by(CallEvent.step_no)
        ).all()
    assert [tuple(e) for e in events] == [
        (0, "voice", "language_menu", None),
        (1, "language", "language:en", "3"),
        (2, "menu", "wrong_key", "7"),
        (3, "menu", "category:integrity", "3"),
        (4, "subject", "subject:city-leadership", "1"),
        (5, "recorded", "recorded", "#"),
        (6, "after", "finish", "2"),
    ]


def test_cantonese_caller_hears_cantonese(place_call, engine, campaigns) -> None:
    result = place_call(CANTONESE, INTEGRITY, CITY_LEADERSHIP, "r10", "2")
    assert "請揀你要反映嘅問題。" in result.heard
    assert result.heard[-1] == "多謝你打嚟，再見。"
    assert logged(engine, campaigns, result.call_sid)["language"] == "yue"


@pytest.mark.parametrize(("script", "outcome"), [
    ((MANDARIN, "9", None, "2"), "referred"),
    ((MANDARIN, INTEGRITY, SOMEONE_ELSE, "#", "2"), "referred"),
    ((MANDARIN, "hangup"), "abandoned"),
    ((MANDARIN, INTEGRITY, "hangup"), "abandoned"),
    ((None, None, None), "abandoned"),
])
def test_outcomes_of_calls_without_a_report(place_call, engine, campaigns, script, outcome
                                            ) -> None:
    result = place_call(*script)
    assert logged(engine, campaigns, result.call_sid)["outcome"] == outcome


def test_a_referral_then_a_report_counts_as_reported(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, "9", None, "1", INTEGRITY, CITY_LEADERSHIP, "r15", "2")
    assert any("不属于本次巡视受理范围" in h for h in result.heard)
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "reported"


def test_turned_away_calls_are_logged_with_why(place_call, engine, campaigns, clock) -> None:
    clock.set_local("2023-06-01 18:00")
    evening = place_call()
    clock.set_local("2023-07-27 09:00")
    too_late = place_call()
    assert logged(engine, campaigns, evening.call_sid)["outcome"] == "closed_hours"
    assert logged(engine, campaigns, too_late.call_sid)["outcome"] == "after_cutoff"
    assert any("下午5点半" in h for h in evening.heard)
    assert any("A164" in h for h in too_late.heard)


def test_the_last_second_of_the_day_is_taken(place_call, engine, campaigns, clock) -> None:
    clock.set_local("2023-07-26 17:29:59")
    taken = place_call(MANDARIN, "hangup")
    clock.set_local("2023-07-26 17:30:00")
    refused = place_call()
    assert logged(engine, campaigns, taken.call_sid)["outcome"] == "abandoned"
    # The last day after its hours: no opening remains, the line has closed for good.
    assert logged(engine, campaigns, refused.call_sid)["outcome"] == "after_cutoff"


def test_not_open_yet_and_unknown_number(app, place_call, engine, campaigns, clock,
                                         tmp_path) -> None:
    unknown = place_call(to_number="+14155550123")
    record = logged(engine, campaigns, unknown.call_sid)
    assert record["outcome"] == "unknown_number"
    assert record["campaign"] is None
    assert any("暂未开通" in h for h in unknown.heard)


def test_a_campaign_that_has_not_opened_turns_callers_away(engine, clock, tmp_path) -> None:
    from campaign.loader import load_campaigns
    from hotline.app import create_app
    from hotline.settings import Settings
    from hotline.simulator import CallSimulator, FlaskTransport, ScriptedCaller
    from tests.helpers import write_campaign

    write_campaign(tmp_path, opens="2023-07-01")
    campaigns = load_campaigns(tmp_path)
    settings = Settings(database_url="sqlite://", campaigns_path=tmp_path,
                        instance_path=tmp_path / "instance", twilio_auth_token=AUTH_TOKEN)
    app = create_app(settings, clock=clock, campaigns=campaigns, engine=engine,
                     drain_inline=True)
    caller = ScriptedCaller([])
    result = CallSimulator(FlaskTransport(app, AUTH_TOKEN), "http://localhost", caller,
                           from_number="+8613800138000", to_number="+14155550100").run()
    assert "本电话将于7月1日星期六上午8点半开始受理，请届时再拨打。" in result.heard
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "not_open_yet"


def test_duty_officer_answers(app, engine, clock, tmp_path) -> None:
    result, campaigns = _call_line_with_operator(engine, clock, tmp_path,
                                                 [MANDARIN, "0", "answer"])
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "transferred"
    assert "正在为您转接值班人员，请稍候。" in result.heard


def test_nobody_answers_so_the_caller_leaves_a_message(engine, clock, tmp_path) -> None:
    result, campaigns = _call_line_with_operator(engine, clock, tmp_path,
                                                 [MANDARIN, "0", "no-answer", "r25", "2"])
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "reported"
    assert record["reports"][0]["category"] is None
    assert record["reports"][0]["recording_seconds"] == 25
    assert "对不起，值班人员暂时无法接听，您可以留言。" in result.heard


def _call_line_with_operator(engine, clock, tmp_path, script):  # type: ignore[no-untyped-def]
    from campaign.loader import load_campaigns
    from hotline.app import create_app
    from hotline.settings import Settings
    from hotline.simulator import CallSimulator, FlaskTransport, ScriptedCaller
    from tests.helpers import write_campaign

    write_campaign(tmp_path, operator='"+862087750000"')
    campaigns = load_campaigns(tmp_path)
    settings = Settings(database_url="sqlite://", campaigns_path=tmp_path,
                        instance_path=tmp_path / "instance", twilio_auth_token=AUTH_TOKEN)
    app = create_app(settings, clock=clock, campaigns=campaigns, engine=engine,
                     drain_inline=True)
    result = CallSimulator(FlaskTransport(app, AUTH_TOKEN), "http://localhost",
                           ScriptedCaller(script), from_number="+8613800138000",
                           to_number="+14155550100").run()
    return result, campaigns


def test_three_silences_end_the_call_politely(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, None, None, None)
    assert result.heard.count("对不起，没有收到您的按键。") == 2
    assert result.heard[-1] == "对不起，我们没能收到有效的按键，请稍后再拨。再见。"
    assert result.hung_up_by == "line"


def test_a_wrong_key_is_asked_again_and_star_repeats(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, "7", "*", "8", INTEGRITY, CITY_LEADERSHIP, "r9", "*", "2")
    assert result.heard.count("对不起，您按的键无效。") == 2
    assert result.heard.count("请选择您要反映的问题。") == 4
    reference_readings = heard_references(result.heard)
    assert len(reference_readings) == 2 and reference_readings[0] == reference_readings[1]
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "reported"


def test_a_hang_up_during_the_recording_keeps_it(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, "hangup")
    record = logged(engine, campaigns, result.call_sid)
    assert result.hung_up_by == "caller"
    assert record["outcome"] == "reported"
    assert record["reports"][0]["recording_sid"] == result.recordings[0]


def test_an_empty_recording_is_asked_for_again(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, None, "r12", "2")
    assert "对不起，我们没有听到您的留言。" in result.heard
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "reported"
    assert len(record["reports"]) == 1
    assert heard_references(result.heard) == [record["reports"][0]["reference"]]


def test_three_empty_recordings_end_the_call(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, None, None, None)
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "abandoned"
    assert record["reports"] == []


def test_recording_callback_before_the_action(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, "r30", "2",
                        recording_callback_first=True)
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "reported"
    assert heard_references(result.heard) == [record["reports"][0]["reference"]]


def test_duplicate_callbacks_change_nothing(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, "r30", "2",
                        duplicate_callbacks=True)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 1
        assert session.scalar(select(func.count()).select_from(Report)) == 1
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "reported"


def test_a_report_without_the_recording_callback_is_not_yet_reported(
        place_call, engine, campaigns, client) -> None:
    # Only the recording status callback proves the audio exists.
    from tests.helpers import signed_post

    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, "r30", "2",
                        recording_callback_first=True)
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "reported"
    # A call whose recording never got its callback: hang up before the callback comes.
    sid = "CA" + "e" * 32
    params = {"CallSid": sid, "From": "+8613800138000", "To": SEED_NUMBER}
    assert signed_post(client, "/twilio/voice", params).status_code == 200
    state = "n=4&l=cmn&c=integrity&s=city-leadership&ref=12345671"
    response = signed_post(client, f"/twilio/step/recorded?{state}", {
        **params, "RecordingSid": "RE" + "e" * 32, "RecordingUrl": "https://x/RE",
        "RecordingDuration": "5", "Digits": "#"})
    assert "幺，二，三，四；五，六，七，幺" in response.get_data(as_text=True)
    signed_post(client, "/twilio/status", {**params, "CallStatus": "completed",
                                           "CallDuration": "40"})
    assert logged(engine, campaigns, sid)["outcome"] == "abandoned"
    # Exactly the fields Twilio's recording status callback carries: no From, no To.
    signed_post(client, f"/twilio/recording?cid=gz-2023&{state}", {
        "AccountSid": "AC" + "0" * 32, "CallSid": sid, "RecordingSid": "RE" + "e" * 32,
        "RecordingStatus": "completed", "RecordingUrl": "https://x/RE",
        "RecordingDuration": "5", "RecordingChannels": "1", "RecordingSource": "RecordVerb"})
    assert logged(engine, campaigns, sid)["outcome"] == "reported"


def test_a_late_in_progress_never_overwrites_completed(place_call, client, engine, campaigns,
                                                      clock: FakeClock) -> None:
    from tests.helpers import signed_post

    result = place_call(MANDARIN, "9", None, "2")
    late = {"CallSid": result.call_sid, "From": "+8613800138000", "To": SEED_NUMBER,
            "CallStatus": "in-progress", "SequenceNumber": "0"}
    assert signed_post(client, "/twilio/status", late).status_code == 204
    record = logged(engine, campaigns, result.call_sid)
    assert record["status"] == "completed"
    assert record["outcome"] == "referred"


def test_a_call_still_on_the_line_is_in_progress(place_call, engine, campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, "r30", "2",
                        status_callback=False)
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "in_progress"


def test_the_same_step_retried_is_logged_once(place_call, client, engine) -> None:
    from tests.helpers import signed_post

    sid = "CA" + "a" * 32
    params = {"CallSid": sid, "From": "+8613800138000", "To": SEED_NUMBER}
    signed_post(client, "/twilio/voice", params)
    first = signed_post(client, "/twilio/step/language?n=1", {**params, "Digits": "1"})
    again = signed_post(client, "/twilio/step/language?n=1", {**params, "Digits": "1"})
    assert first.get_data() == again.get_data()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CallEvent)) == 2

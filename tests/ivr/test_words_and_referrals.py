"""What callers hear fits the moment, and referred callers keep their message: whole calls
through signed webhooks on the seed line, and a property over the calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.model import Campaign, Category
from ivr import flow
from ivr.gate import check_gate
from ivr.prompts import prompts_for
from ivr.references import is_valid_reference
from ivr.state import Links
from tests.helpers import heard_references, logged

MANDARIN, CANTONESE, ENGLISH = "1", "2", "3"
INTEGRITY, CITY_LEADERSHIP, SOMEONE_ELSE = "3", "1", "4"
NEVER_CALL_BACK = ("再拨", "再打", "call back", "call again", "call then")


# --- closed for good, or when it opens -------------------------------------------------------

def test_the_last_evening_the_line_has_closed_for_good(place_call, engine, campaigns,
                                                       clock) -> None:
    clock.set_local("2023-07-26 18:00")
    result = place_call()
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "after_cutoff"
    assert "本次受理已于2023年7月26日截止，本电话不再受理来电。" in result.heard
    assert "今次巡視已經喺2023年7月26號截止受理，呢條熱線唔會再接聽來電。" in result.heard
    assert "The deadline for reports was 26 July 2023. This line no longer takes calls." \
        in result.heard
    assert "您可以来信反映，地址是：广东省广州市A164号邮政信箱。" in result.heard
    assert "You can write to: Post Office Box A164, Guangzhou, Guangdong." in result.heard
    assert not any(words in heard for heard in result.heard for words in NEVER_CALL_BACK)


@pytest.mark.parametrize(("moment", "cmn", "yue", "en"), [
    ("2023-06-01 07:00", "下次受理时间是今天上午8点半，请届时再拨打。",
     "下次受理時間係今日朝早八點半，請你到時再打嚟。",
     "It opens again today at 8:30 a.m. Please call back then."),
    ("2023-06-01 17:30", "下次受理时间是明天上午8点半，请届时再拨打。",
     "下次受理時間係聽日朝早八點半，請你到時再打嚟。",
     "It opens again tomorrow at 8:30 a.m. Please call back then."),
])
def test_a_caller_turned_away_hears_when_the_line_opens(place_call, engine, campaigns, clock,
                                                        moment, cmn, yue, en) -> None:
    clock.set_local(moment)
    result = place_call()
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "closed_hours"
    assert "本电话的受理时间是每天北京时间上午8点半至下午5点半。" in result.heard
    assert "呢條熱線嘅受理時間係每日北京時間朝早八點半至下晝五點半。" in result.heard
    assert "It takes calls from 8:30 a.m. to 5:30 p.m., Beijing time, every day." in result.heard
    assert {cmn, yue, en} <= set(result.heard)


def test_a_closed_weekend_names_the_day_it_opens_again(engine, clock, tmp_path) -> None:
    from campaign.loader import load_campaigns
    from tests.helpers import call_line, deployment_app, write_campaign

    write_campaign(tmp_path, weekdays="[1, 2, 3, 4, 5]", closed_on="[2023-06-05]",
                   languages='["cmn", "en"]')
    campaigns = load_campaigns(tmp_path)
    app = deployment_app(engine, clock, campaigns, tmp_path)
    clock.set_local("2023-06-03 10:00")  # a Saturday; Monday 5 June is a closed date
    result = call_line(app, to="+14155550100")
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "closed_hours"
    assert "今天不受理来电。" in result.heard
    assert "下次受理时间是6月6日星期二上午8点半，请届时再拨打。" in result.heard
    assert "It opens again on Tuesday 6 June at 8:30 a.m. Please call back then." \
        in result.heard


def test_working_days_are_said_as_a_range_and_the_hours_as_people_say_them(
        engine, clock, tmp_path) -> None:
    from campaign.loader import load_campaigns
    from tests.helpers import call_line, deployment_app, write_campaign

    write_campaign(tmp_path, weekdays="[1, 2, 3, 4, 5]", languages='["cmn", "en"]')
    campaigns = load_campaigns(tmp_path)
    app = deployment_app(engine, clock, campaigns, tmp_path)
    clock.set_local("2023-06-03 10:00")  # a Saturday
    heard = " ".join(call_line(app, to="+14155550100").heard)
    assert "星期一至星期五" in heard and "星期二、星期三" not in heard
    assert "Monday to Friday" in heard and "Tuesday" not in heard


@pytest.mark.parametrize(("language", "moment", "said"), [
    ("yue", time(10), "上晝十點"), ("yue", time(8, 30), "朝早八點半"),
    ("yue", time(0, 30), "凌晨十二點半"), ("cmn", time(0, 30), "凌晨12点半"),
    ("cmn", time(17, 30), "下午5点半")])
def test_times_are_said_on_a_twelve_hour_clock_with_the_part_of_the_day(
        language: str, moment: time, said: str) -> None:
    assert prompts_for(language).time(moment) == said


def test_a_reference_is_read_in_groups_of_three() -> None:
    assert prompts_for("en").digits("482715903") == \
        "four, eight, two; seven, one, five; nine, zero, three"
    assert prompts_for("cmn").digits("482715903") == "四，八，二；七，幺，五；九，零，三"
    assert prompts_for("yue").digits("48271590") == "四，八，二，七；一，五，九，零"


# --- after a report, and empty recordings ----------------------------------------------------

def test_silence_after_a_report_ends_with_thanks_and_the_reference(place_call, engine,
                                                                   campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, CITY_LEADERSHIP, "r30", None)
    record = logged(engine, campaigns, result.call_sid)
    reference = record["reports"][0]["reference"]
    assert record["outcome"] == "reported"
    assert result.heard[-1].startswith("感谢您的来电。您的受理编号是：")
    assert heard_references(result.heard) == [reference, reference]
    assert result.hung_up_by == "line"
    assert not any("没能收到有效的按键" in heard for heard in result.heard)


def test_three_empty_recordings_say_so_and_give_the_postal_address(place_call, engine,
                                                                    campaigns) -> None:
    result = place_call(ENGLISH, INTEGRITY, CITY_LEADERSHIP, None, None, None)
    assert result.heard[-3:] == [
        "Sorry, your message could not be recorded.",
        "You can write to: Post Office Box A164, Guangzhou, Guangdong.",
        "Thank you for calling. Goodbye."]
    assert logged(engine, campaigns, result.call_sid)["reports"] == []


def test_the_notice_says_everything_before_the_tone(place_call) -> None:
    result = place_call(ENGLISH, INTEGRITY, CITY_LEADERSHIP, "r12", "2")
    notice = result.heard[result.heard.index("(beep)") - 1]
    assert notice.startswith("Your message will be recorded. You do not have to give your "
                             "name. Please say the name, workplace and position of the person "
                             "concerned, and what happened")
    assert notice.endswith("Speak after the tone, and press the hash key when you finish.")


# --- referrals keep the message ----------------------------------------------------------------

def test_a_key_9_caller_leaves_a_message_that_is_passed_on(place_call, engine,
                                                           campaigns) -> None:
    result = place_call(CANTONESE, "9", "r40", "2")
    referral = result.heard.index(
        "唔屬於今次巡視受理範圍嘅問題，我哋會按規定轉交廣州市同有關部門處理。你而家可以留言；唔想留言，喺提示音之後直接按井字鍵就得。")
    # The notice and the tone at once: no key to press in between.
    assert result.heard[referral + 1].startswith("留言會錄音，你可以唔講姓名。")
    assert result.heard[referral + 2] == "(beep)"
    record = logged(engine, campaigns, result.call_sid)
    assert record["outcome"] == "referred"
    [report] = record["reports"]
    assert report["in_scope"] is False
    assert report["recording_seconds"] == 40
    assert heard_references(result.heard) == [report["reference"]]
    assert is_valid_reference(report["reference"])


def test_an_out_of_scope_subject_keeps_its_category_and_subject(place_call, engine,
                                                                campaigns) -> None:
    result = place_call(MANDARIN, INTEGRITY, SOMEONE_ELSE, "r15", "1",
                        INTEGRITY, CITY_LEADERSHIP, "r20", "2")
    record = logged(engine, campaigns, result.call_sid)
    assert [(r["category"], r["subject"], r["in_scope"]) for r in record["reports"]] == [
        ("integrity", "other", False), ("integrity", "city-leadership", True)]
    assert record["outcome"] == "reported"  # an in-scope report was made too


@pytest.mark.parametrize("at_the_tone", [None, "#"])
def test_nothing_said_after_a_referral_leaves_no_report(place_call, engine, campaigns,
                                                        at_the_tone) -> None:
    result = place_call(ENGLISH, "9", at_the_tone, "2")
    assert result.heard[-2:] == ["To report another matter, press 1. To finish, press 2.",
                                 "Thank you for calling. Goodbye."]
    assert "Sorry, we did not hear a message." not in result.heard
    record = logged(engine, campaigns, result.call_sid)
    assert record["reports"] == [] and record["outcome"] == "referred"


def test_every_report_in_the_export_says_whether_it_is_in_scope(place_call, runner,
                                                                settings) -> None:
    import json

    from click.testing import CliRunner

    from hotline.cli import main

    place_call(MANDARIN, "9", "r10", "1", INTEGRITY, CITY_LEADERSHIP, "r20", "2")
    env = {"HOTLINE_DATABASE_URL": settings.database_url,
           "HOTLINE_CAMPAIGNS": str(settings.campaigns_path)}
    exported = CliRunner().invoke(main, ["export", "calls", "--format", "json"], env=env)
    assert exported.exit_code == 0, exported.output
    [call] = json.loads(exported.output)
    assert [r["in_scope"] for r in call["reports"]] == [False, True]


# --- the property: what a turned-away caller hears is true -----------------------------------

ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Europe/London", "America/New_York")
LINKS = Links("/twilio")


@st.composite
def lines_and_moments(draw: st.DrawFn) -> tuple[Campaign, datetime]:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    first = draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2024, 12, 1)))
    length = draw(st.integers(min_value=0, max_value=12))
    opens = draw(st.one_of(st.none(), st.just(first)))
    closes = first + timedelta(days=length)
    start_minutes = draw(st.integers(min_value=0, max_value=22 * 60))
    end_minutes = draw(st.one_of(
        st.integers(min_value=start_minutes + 1, max_value=24 * 60 - 1), st.just(24 * 60)))
    start = time(*divmod(start_minutes, 60))
    end = None if end_minutes == 24 * 60 else time(*divmod(end_minutes, 60))
    weekdays = draw(st.frozensets(st.integers(1, 7), min_size=1))
    closed_on = draw(st.frozensets(
        st.dates(min_value=first, max_value=closes), max_size=4))
    campaign = Campaign(
        id="line", name="line", numbers=("+862087756920",), timezone=zone, closes=closes,
        hours=(start, end), languages=("en",), opens=opens, weekdays=weekdays,
        closed_on=closed_on,
        categories=(Category("1", "political", {"en": "political discipline"}),))
    offset = draw(st.integers(min_value=-3 * 24 * 60, max_value=(length + 3) * 24 * 60))
    moment = datetime.combine(first, time(0), tzinfo=zone) + timedelta(minutes=offset)
    return campaign, moment.astimezone(ZoneInfo("UTC"))


def _open_by_hand(campaign: Campaign, moment: datetime) -> bool:
    """The campaign's rules read directly, minute by minute: the oracle."""
    local = moment.astimezone(campaign.timezone)
    day, clock = local.date(), local.time().replace(tzinfo=None)
    start, end = campaign.hours
    return ((campaign.opens is None or day >= campaign.opens) and day <= campaign.closes
            and local.isoweekday() in campaign.weekdays and day not in campaign.closed_on
            and start <= clock and (end is None or clock < end))


@settings(max_examples=150, deadline=None)
@given(lines_and_moments())
def test_a_turned_away_caller_hears_the_true_next_opening_or_that_it_closed(
        line: tuple[Campaign, datetime]) -> None:
    campaign, moment = line
    decision = check_gate(campaign, moment)
    assert decision.is_open == _open_by_hand(campaign, moment)
    if decision.is_open:
        return
    spoken = [say.text or "" for say in ElementTree.fromstring(
        str(flow.answer_call(campaign, decision, LINKS).twiml)).iter("Say")]
    # The first minute from now on at which the rules say the line is open, if any.
    probe = moment
    last = datetime.combine(campaign.closes + timedelta(days=1), time(0),
                            tzinfo=campaign.timezone)
    while probe < last and not _open_by_hand(campaign, probe):
        probe += timedelta(minutes=1)
    english = prompts_for("en")
    if probe >= last:
        assert decision.refusal == "after_cutoff"
        assert f"The deadline for reports was {english.date(campaign.closes)}." in spoken[1]
        assert not any(words in text for text in spoken for words in NEVER_CALL_BACK)
        return
    opening = probe.astimezone(campaign.timezone)
    when = english.when(opening, moment.astimezone(campaign.timezone).date())
    assert decision.refusal in ("closed_hours", "not_open_yet")
    assert any(when in text for text in spoken), (when, spoken)

"""The call flow alone: pure functions over twilio.twiml, no Flask, no database."""

from __future__ import annotations

import itertools
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.loader import load_campaign
from campaign.voices import SUPPORTED_LANGUAGES
from ivr import flow
from ivr.gate import check_gate
from ivr.prompts import REQUIRED_TEXTS, prompts_for
from ivr.references import is_valid_reference, new_reference
from ivr.state import BadState, CallState, Links
from tests.helpers import SEED_TOML

SEED = load_campaign(SEED_TOML)
LINKS = Links("/twilio")
OPEN = check_gate(SEED, datetime(2023, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def verbs(xml: str) -> list[ElementTree.Element]:
    return list(ElementTree.fromstring(xml))


def says(xml: str) -> list[str]:
    return [say.text or "" for say in ElementTree.fromstring(xml).iter("Say")]


def step_of(url: str) -> tuple[str, CallState]:
    parts = urlsplit(url)
    return parts.path.rsplit("/", 1)[-1], CallState.from_query(dict(parse_qsl(parts.query)))


def explore(max_documents: int = 3000) -> list[str]:
    """Every TwiML document reachable from the greeting by any key, silence or dial result."""
    seen: list[str] = []
    queue = [str(flow.answer_call(SEED, OPEN, LINKS).twiml)]
    inputs = [{"Digits": d} for d in "0123456789*#"] + [{}]
    dial_results = [{"DialCallStatus": s} for s in ("completed", "no-answer", "busy")]
    record_result = {"RecordingSid": "RE" + "0" * 32, "RecordingUrl": "https://x/RE",
                     "RecordingDuration": "12", "Digits": "#"}
    keys = set()
    while queue and len(seen) < max_documents:
        xml = queue.pop(0)
        seen.append(xml)
        for verb in verbs(xml):
            url = verb.get("action") or (verb.text if verb.tag == "Redirect" else None)
            if not url:
                continue
            name, state = step_of(url)
            choices = (dial_results if name == "dialled" else
                       [record_result] if name == "recorded" else inputs)
            for params in choices:
                key = (name, state.tries, state.language, state.category, state.after,
                       state.reports > 0, tuple(params.items()))
                if key in keys:
                    continue
                keys.add(key)
                queue.append(str(flow.handle_step(name, SEED, state, params, LINKS).twiml))
    return seen


DOCUMENTS = explore()


def test_the_exploration_covers_the_menu() -> None:
    assert len(DOCUMENTS) > 50
    spoken = "\n".join(itertools.chain.from_iterable(says(d) for d in DOCUMENTS))
    for fragment in ("受理编号", "受理編號", "reference number", "不属于本次巡视受理范围",
                     "outside the scope", "再见", "Goodbye"):
        assert fragment in spoken


def test_every_gather_and_record_has_a_fallback_verb() -> None:
    for document in DOCUMENTS:
        elements = verbs(document)
        for index, verb in enumerate(elements):
            if verb.tag in ("Gather", "Record"):
                assert index + 1 < len(elements), document
                follower = elements[index + 1]
                assert follower.tag == "Redirect", document


def test_every_document_ends_in_a_question_a_hangup_or_a_next_step() -> None:
    for document in DOCUMENTS:
        last = verbs(document)[-1]
        assert last.tag in ("Redirect", "Hangup", "Dial"), document


def test_language_menu_speaks_each_language_in_its_own_voice() -> None:
    gather = verbs(str(flow.answer_call(SEED, OPEN, LINKS).twiml))[1]
    assert [(s.get("language"), s.text) for s in gather] == [
        ("cmn-CN", "普通话服务，请按1。"), ("yue-CN", "廣東話服務，請按2。"),
        ("en-GB", "For English, press 3.")]
    assert {s.get("voice") for s in gather} == {
        "Polly.Zhiyu-Neural", "Polly.Hiujin-Neural", "Polly.Amy-Neural"}


def test_gathers_take_one_key_and_treat_hash_as_a_key() -> None:
    gather = verbs(str(flow.answer_call(SEED, OPEN, LINKS).twiml))[1]
    assert gather.get("numDigits") == "1"
    assert gather.get("finishOnKey") == ""
    assert gather.get("input") == "dtmf"


def test_the_record_verb_follows_the_campaign() -> None:
    state = CallState(step_no=3, language="yue", category="integrity")
    xml = str(flow.handle_step("subject", SEED, state, {"Digits": "1"}, LINKS,
                               make_reference=lambda: "12345671").twiml)
    record = next(v for v in verbs(xml) if v.tag == "Record")
    assert record.get("maxLength") == "300"
    assert record.get("finishOnKey") == "#"
    assert record.get("playBeep") == "true"
    name, callback_state = step_of(record.get("recordingStatusCallback"))
    assert name == "recording"
    assert (callback_state.category, callback_state.subject, callback_state.reference) == (
        "integrity", "city-leadership", "12345671")
    notice = says(xml)[0]
    # Everything the caller needs comes before the instruction to speak.
    assert notice.startswith("留言會錄音，你可以唔講姓名。")
    assert notice.index("姓名、單位同職位") < notice.index("5分鐘") \
        < notice.index("請喺提示音之後講")
    assert notice.endswith("講完請按井字鍵。")


def test_a_reference_is_read_digit_by_digit_in_groups_in_each_language() -> None:
    state = CallState(step_no=4, language="cmn", category="integrity",
                           subject="city-leadership", reference="410527800")
    params = {"RecordingSid": "RE" + "1" * 32, "RecordingUrl": "https://x", "Digits": "#"}
    xml = str(flow.handle_step("recorded", SEED, state, params, LINKS).twiml)
    assert "四，幺，零；五，二，七；八，零，零" in says(xml)[0]
    english = str(flow.handle_step("recorded", SEED, state.__class__(
        **{**state.__dict__, "language": "en"}), params, LINKS).twiml)
    assert "four, one, zero; five, two, seven; eight, zero, zero" in says(english)[0]


def test_references_are_random_checked_and_never_start_with_zero() -> None:
    references = {new_reference() for _ in range(2000)}
    # 9 million possible references: a collision or two among 2000 is possible, more is not.
    assert len(references) >= 1995
    assert all(is_valid_reference(r) and r[0] != "0" and len(r) == 8 for r in references)


@given(st.from_regex(r"[1-9][0-9]{7}", fullmatch=True), st.integers(0, 7), st.integers(1, 9))
def test_a_mistyped_digit_is_caught_by_the_check_digit(reference: str, position: int,
                                                       delta: int) -> None:
    if not is_valid_reference(reference):
        return
    digit = (int(reference[position]) + delta) % 10
    typo = reference[:position] + str(digit) + reference[position + 1:]
    assert not is_valid_reference(typo)


def test_turned_away_callers_hear_why_and_where_to_write() -> None:
    closed = check_gate(SEED, datetime(2023, 6, 1, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    spoken = says(str(flow.answer_call(SEED, closed, LINKS).twiml))
    assert "本电话的受理时间是每天北京时间上午8点半至下午5点半。" in spoken
    assert "下次受理时间是明天上午8点半，请届时再拨打。" in spoken
    assert "呢條熱線嘅受理時間係每日北京時間朝早八點半至下晝五點半。" in spoken
    assert "It takes calls from 8:30 a.m. to 5:30 p.m., Beijing time, every day." in spoken
    assert "It opens again tomorrow at 8:30 a.m. Please call back then." in spoken
    assert any("广东省广州市A164号邮政信箱" in s for s in spoken)
    after = check_gate(SEED, datetime(2023, 7, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    spoken = says(str(flow.answer_call(SEED, after, LINKS).twiml))
    assert "本次受理已于2023年7月26日截止，本电话不再受理来电。" in spoken
    assert "The deadline for reports was 26 July 2023. This line no longer takes calls." \
        in spoken
    assert not any("再拨" in s or "再打" in s or "call back" in s or "call again" in s
                   for s in spoken)


def test_call_state_round_trips_and_rejects_junk() -> None:
    state = CallState(step_no=7, language="yue", tries=2, category="work",
                           subject="other", reports=1, reference="41052780", after="report")
    assert CallState.from_query(state.to_query()) == state
    for junk in ({"n": "x"}, {"t": "-1"}, {"r": "99999"}, {"l": "y" * 100}):
        with pytest.raises(BadState):
            CallState.from_query(junk)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_language_has_every_prompt(language: str) -> None:
    prompts = prompts_for(language)
    for key in REQUIRED_TEXTS:
        assert str(prompts.texts[key]).strip(), key


def test_a_closed_day_is_not_announced_as_open_every_day() -> None:
    from dataclasses import replace
    from datetime import date

    holiday = replace(SEED, closed_on=frozenset({date(2023, 6, 22)}))
    at_ten = datetime(2023, 6, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    spoken = says(str(flow.answer_call(holiday, check_gate(holiday, at_ten), LINKS).twiml))
    assert "今天不受理来电。" in spoken
    assert any("除个别休息日外，每天" in s for s in spoken)
    assert "下次受理时间是明天上午8点半，请届时再拨打。" in spoken
    assert "This line is closed today." in spoken
    assert not any("受理时间是每天" in s for s in spoken)


@pytest.mark.parametrize(("seconds", "cmn", "en"), [
    (300, "5分钟", "5 minutes"), (60, "1分钟", "1 minute"), (90, "90秒", "90 seconds")])
def test_the_message_limit_is_said_exactly(seconds: int, cmn: str, en: str) -> None:
    from dataclasses import replace

    line = replace(SEED, max_message_seconds=seconds)
    for language, expected in (("cmn", cmn), ("en", en)):
        state = CallState(step_no=3, language=language, category="integrity")
        xml = str(flow.handle_step("subject", line, state, {"Digits": "1"}, LINKS).twiml)
        assert expected in says(xml)[0]
        assert next(v for v in verbs(xml) if v.tag == "Record").get("maxLength") == str(seconds)

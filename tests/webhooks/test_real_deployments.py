"""Calls as a real deployment receives them: SIP trunks, forwarding, withheld numbers, a
duty officer on a PBX or a Voice SDK client. Whole calls through signed webhooks."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from campaign.loader import load_campaigns
from hotline.cli import main
from tests.helpers import SEED_NUMBER, call_line, deployment_app, logged, write_campaign

TWILIO_NUMBER = "+14155550199"  # a Twilio number the carrier forwards the line to
HONG_KONG = "+85230001234"      # a Twilio number dialled directly


# --- routing -------------------------------------------------------------------------------

@pytest.mark.parametrize(("to", "forwarded_from"), [
    ("sip:+862087756920@hotline.sip.twilio.com", None),              # BYOC trunk, E.164
    ("sip:02087756920@hotline.sip.twilio.com;user=phone", None),     # BYOC, national form
    ("sip:020-8775-6920@hotline.sip.twilio.com;user=phone", None),   # with separators
    (TWILIO_NUMBER, SEED_NUMBER),                                    # forwarded by the carrier
    (TWILIO_NUMBER, "02087756920"),                                  # … in national form
])
def test_the_seed_line_takes_calls_however_they_arrive(place_call, engine, campaigns, to,
                                                       forwarded_from) -> None:
    result = place_call("1", "3", "1", "r30", "2", to_number=to, forwarded_from=forwarded_from)
    record = logged(engine, campaigns, result.call_sid)
    assert record["campaign"] == "gz-2023"
    assert record["outcome"] == "reported"
    assert "您好，这里是广东省委第十三巡视组值班电话。" in result.heard
    # The line the call came in on: the trunk's number, or the Twilio number forwarded to.
    assert record["to"] == (TWILIO_NUMBER if forwarded_from else SEED_NUMBER)


def test_a_call_to_no_campaign_is_still_unknown(place_call, engine, campaigns) -> None:
    result = place_call(to_number="sip:+14155550123@hotline.sip.twilio.com",
                        forwarded_from="+14155550124")
    assert logged(engine, campaigns, result.call_sid)["outcome"] == "unknown_number"


def test_sip_addresses_direct_numbers_and_the_country_field(engine, clock, tmp_path) -> None:
    write_campaign(tmp_path, numbers=f'["{HONG_KONG}", "sip:duty@pbx.example.org"]',
                   country='"CN"')
    write_campaign(tmp_path, "other.toml", id='"other-line"',
                   numbers='["sip:62345678@trunk.example.org"]', country='"HK"')
    campaigns = load_campaigns(tmp_path)
    app = deployment_app(engine, clock, campaigns, tmp_path)
    direct = call_line(app, "1", "hangup", to=HONG_KONG)
    by_address = call_line(app, "1", "hangup", to="sip:duty@PBX.example.org;transport=tls")
    # A national number in a SIP user part is read in the campaign's own country.
    national = call_line(app, "1", "hangup", to="sip:62345678@trunk.example.org;user=phone")
    assert logged(engine, campaigns, direct.call_sid)["campaign"] == "test-line"
    assert logged(engine, campaigns, by_address.call_sid)["campaign"] == "test-line"
    assert logged(engine, campaigns, national.call_sid)["campaign"] == "other-line"


@pytest.mark.parametrize(("caller", "stored"), [
    ("sip:+8613912345678@pbx.example.org", "+8613912345678"),
    ("sip:13912345678@hotline.sip.twilio.com;user=phone", "+8613912345678"),  # national
    ("anonymous", "anonymous"),
    ("+266696687", "anonymous"),           # Twilio's "unknown"
    ("sip:anonymous@anonymous.invalid", "anonymous"),
    ("sip:alice@pbx.example.org", None),    # not a number: never stored as one
    ("+8613800138000", "+8613800138000"),
])
def test_the_callers_number_is_stored_only_as_a_number(place_call, engine, campaigns, caller,
                                                       stored) -> None:
    result = place_call("1", "3", "1", "r10", "2", from_number=caller,
                        to_number="sip:02087756920@hotline.sip.twilio.com;user=phone")
    record = logged(engine, campaigns, result.call_sid)
    assert record["from"] == stored
    assert record["outcome"] == "reported"


# --- the duty officer ----------------------------------------------------------------------

@pytest.mark.parametrize(("operator", "noun", "target"), [
    ("+862087750000", "Number", "+862087750000"),
    ("sip:duty@pbx.example.org", "Sip", "sip:duty@pbx.example.org"),
    ("client:duty-officer", "Client", "duty-officer"),
])
def test_the_duty_officer_is_dialled_in_each_form(engine, clock, tmp_path, operator, noun,
                                                  target) -> None:
    write_campaign(tmp_path, operator=f'"{operator}"', numbers='["+862087756920"]')
    campaigns = load_campaigns(tmp_path)
    app = deployment_app(engine, clock, campaigns, tmp_path)
    answered = call_line(app, "1", "0", "answer", to="sip:02087756920@trunk.example.org;user=phone")
    assert logged(engine, campaigns, answered.call_sid)["outcome"] == "transferred"
    # Twilio accepts the number the call came in on as the caller ID.
    assert [(d.noun, d.target, d.caller_id) for d in answered.dialled] == [
        (noun, target, "+862087756920")]
    # Forwarded to a Twilio number: that number is the caller ID.
    forwarded = call_line(app, "1", "0", "no-answer", "r20", "2", to=TWILIO_NUMBER,
                     forwarded_from="+862087756920")
    assert forwarded.dialled[0].caller_id == TWILIO_NUMBER
    record = logged(engine, campaigns, forwarded.call_sid)
    assert record["outcome"] == "reported"  # nobody answered: the message was still taken
    assert record["reports"][0]["in_scope"] is True
    assert "对不起，值班人员暂时无法接听，您可以留言。" in forwarded.heard


def test_campaigns_check_refuses_an_operator_or_voice_twilio_would_not_take(tmp_path) -> None:
    path = write_campaign(tmp_path, operator='"020-87750000"',
                          voices='{ cmn = "Polly.Zhiyu-Standard", en = "Polly.Zhiyu-Neural" }')
    result = CliRunner().invoke(main, ["campaigns", "check", str(path)])
    assert result.exit_code != 0
    assert f"{path}: operator: '020-87750000' is none of an E.164 number, a sip: URI" \
        in result.output
    assert f"{path}: voices.cmn: 'Polly.Zhiyu-Standard' is not a Twilio voice" in result.output
    assert f"{path}: voices.en: Polly.Zhiyu-Neural speaks cmn-CN, not en" in result.output
    good = write_campaign(tmp_path, "good.toml", operator='"client:duty"',
                          voices='{ cmn = "Google.cmn-CN-Wavenet-A", en = "Polly.Joanna" }')
    assert CliRunner().invoke(main, ["campaigns", "check", str(good)]).exit_code == 0
    bad_number = write_campaign(tmp_path, "bad.toml", numbers='["020-87756920"]',
                                country='"China"')
    output = CliRunner().invoke(main, ["campaigns", "check", str(bad_number)]).output
    assert "numbers[0]: '020-87756920' is neither an E.164 number" in output
    assert "country: 'China' is not a two-letter region code like CN" in output


def test_each_say_speaks_the_language_of_its_voice(client) -> None:
    from xml.etree import ElementTree

    from campaign.voices import catalogue
    from tests.helpers import CALL, signed_post

    greeting = signed_post(client, "/twilio/voice", CALL).get_data(as_text=True)
    menu = signed_post(client, "/twilio/step/language?n=1", {**CALL, "Digits": "2"}) \
        .get_data(as_text=True)
    says = [*ElementTree.fromstring(greeting).iter("Say"),
            *ElementTree.fromstring(menu).iter("Say")]
    assert {say.get("voice") for say in says} == {
        "Polly.Zhiyu-Neural", "Polly.Hiujin-Neural", "Polly.Amy-Neural"}
    for say in says:
        assert say.get("language") == catalogue()[say.get("voice")].language
    # Polly's Cantonese voice speaks yue-CN (Google's would be yue-HK).
    assert {say.get("language") for say in says} == {"cmn-CN", "yue-CN", "en-GB"}

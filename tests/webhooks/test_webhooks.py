"""The webhooks' edges: signatures, junk, proxies and a database that fails."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from db.models import Call
from tests.helpers import AUTH_TOKEN, CALL, SEED_NUMBER, UNREACHABLE, signed_post


def test_a_signed_call_is_answered_with_twiml(client) -> None:
    response = signed_post(client, "/twilio/voice", CALL)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert "<Gather" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/status", "/twilio/step/menu?n=2&l=cmn",
                                  "/twilio/recording?cid=gz-2023&n=4&l=cmn&ref=12345671"])
def test_unsigned_and_badly_signed_requests_are_refused(client, engine, path) -> None:
    assert client.post(path, data=CALL).status_code == 403
    bad = client.post(path, data=CALL, headers={"X-Twilio-Signature": "bm9wZQ=="})
    assert bad.status_code == 403
    wrong_token = signed_post(client, path, CALL, token="0" * 32)
    assert wrong_token.status_code == 403
    # Signed for other parameters than those sent: a tampered request.
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost" + path, CALL)
    tampered = client.post(path, data={**CALL, "Digits": "1"},
                           headers={"X-Twilio-Signature": signature})
    assert tampered.status_code == 403
    with Session(engine) as session:
        assert session.scalar(select(Call)) is None


def test_a_forged_step_state_is_refused(client) -> None:
    # The state lives in the signed URL: changing the query breaks the signature.
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://localhost/twilio/step/after?n=5&l=cmn&k=report&ref=12345671", CALL)
    response = client.post("/twilio/step/after?n=5&l=cmn&k=report&ref=87654321", data=CALL,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(app, client) -> None:
    context = app.extensions["hotline.webhooks"]
    from dataclasses import replace

    app.extensions["hotline.webhooks"] = replace(
        context, public_url="https://hotline.example.org/")
    path = "/twilio/step/menu?n=2&l=en"
    public = signed_post(client, path, {**CALL, "Digits": "*"},
                         base="https://hotline.example.org")
    # The proxy forwards to plain http on another host; the signature still holds.
    forwarded = client.post(path, data={**CALL, "Digits": "*"}, base_url="http://127.0.0.1:5000",
                            headers={"X-Twilio-Signature": RequestValidator(AUTH_TOKEN)
                                     .compute_signature("https://hotline.example.org" + path,
                                                        {**CALL, "Digits": "*"})})
    assert public.status_code == 200
    assert forwarded.status_code == 200
    # Links handed to Twilio are absolute on the public URL.
    assert 'action="https://hotline.example.org/twilio/step/menu?n=3' in \
        forwarded.get_data(as_text=True)
    as_requested = signed_post(client, path, {**CALL, "Digits": "*"},
                               base="http://127.0.0.1:5000")
    assert as_requested.status_code == 403


def test_sha256_signatures_are_accepted(client) -> None:
    url = "http://localhost/twilio/voice"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, CALL, "HMAC_SHA256")
    response = client.post("/twilio/voice", data=CALL, headers={
        "X-Twilio-Signature": signature,
        "X-Twilio-Webhooks-Signature-Settings": "key=k,algorithm=HMAC_SHA256"})
    assert response.status_code == 200


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/twilio/voice", {"From": "+8613800138000", "To": SEED_NUMBER}, 400),
    ("/twilio/voice", {**CALL, "CallSid": "not-a-sid"}, 400),
    ("/twilio/status", {**CALL, "CallStatus": "exploded"}, 400),
    ("/twilio/step/teleport?n=2&l=cmn", CALL, 404),
    ("/twilio/step/menu?n=2&l=en", {**CALL, "CallSid": ""}, 400),
    ("/twilio/recording?cid=gz-2023&n=4&l=cmn", {**CALL, "RecordingStatus": "completed"}, 400),
    ("/twilio/recording?n=4&l=cmn&ref=12345671", {**CALL, "RecordingStatus": "completed"}, 400),
])
def test_junk_gets_a_clear_4xx(client, path, params, status) -> None:
    response = signed_post(client, path, params)
    assert response.status_code == status
    assert b"Traceback" not in response.get_data()


@pytest.mark.parametrize(("path", "params"), [
    ("/twilio/step/menu?n=2&l=fr", {**CALL, "Digits": "1"}),
    ("/twilio/step/menu?n=abc&l=cmn", {**CALL, "Digits": "1"}),
    ("/twilio/step/subject?n=3&l=cmn&c=bribery", {**CALL, "Digits": "1"}),
    ("/twilio/step/recorded?n=4&l=cmn&ref=12345678", {**CALL, "RecordingSid": "RE1"}),
])
def test_a_step_that_no_longer_fits_the_campaign_gets_an_apology(client, path, params) -> None:
    # E.g. a category removed from the campaign file while a caller was in the menu.
    response = signed_post(client, path, params)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "对不起，系统暂时出现故障" in body and "<Hangup />" in body


def test_other_methods_are_not_allowed(client) -> None:
    assert client.get("/twilio/voice").status_code in (403, 405)
    signed = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/twilio/voice", {})
    assert client.get("/twilio/voice",
                      headers={"X-Twilio-Signature": signed}).status_code == 405


def test_an_oversized_body_is_refused(client) -> None:
    response = signed_post(client, "/twilio/voice", {**CALL, "junk": "x" * 100_000})
    assert response.status_code == 413


field_names = st.sampled_from(["CallSid", "From", "To", "Digits", "CallStatus",
                               "RecordingSid", "RecordingUrl", "RecordingDuration",
                               "RecordingStatus", "SequenceNumber", "CallDuration",
                               "DialCallStatus", "Junk"])
values = st.one_of(st.text(max_size=40), st.sampled_from(
    ["CA" + "c" * 32, SEED_NUMBER, "+8613800138000", "1", "9", "*", "#", "completed",
     "in-progress", "-1", "999999999999", "hangup", "RE" + "d" * 32]))
paths = st.sampled_from([
    "/twilio/voice", "/twilio/status",
    "/twilio/recording?cid=gz-2023&n=4&l=cmn&ref=12345671&c=work",
    "/twilio/step/language?n=1", "/twilio/step/menu?n=2&l=yue&t=2",
    "/twilio/step/subject?n=3&l=en&c=integrity", "/twilio/step/after?n=6&l=cmn&k=report",
    "/twilio/step/recorded?n=4&l=cmn&c=work&ref=12345671", "/twilio/step/dialled?n=3&l=en",
    "/twilio/step/record-empty?n=4&l=cmn&ref=12345671&t=2", "/twilio/step/menu?n=1&l=",
])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=paths, params=st.dictionaries(field_names, values, max_size=8))
def test_signed_junk_never_gets_a_5xx(client, path, params) -> None:
    response = signed_post(client, path, params)
    assert response.status_code < 500
    if response.status_code == 200 and response.mimetype == "text/xml":
        assert "<Response>" in response.get_data(as_text=True)


def test_a_database_outage_never_silences_the_caller_nor_loses_a_fact(app, client, engine,
                                                                       campaigns) -> None:
    from dataclasses import replace

    from db.engine import make_engine, make_session_factory
    from journal import JournalWriter
    from reports.export import export_records

    journal = app.extensions["hotline.journal"]
    broken = make_engine(UNREACHABLE)
    away = JournalWriter(journal, make_session_factory(broken, writer=True), broken,
                         new_reference=lambda: "12345671")
    context = app.extensions["hotline.webhooks"]
    app.extensions["hotline.webhooks"] = replace(context, after_append=away.drain_quietly)
    answer = signed_post(client, "/twilio/voice", CALL)
    assert answer.status_code == 200
    assert "普通话服务，请按1。" in answer.get_data(as_text=True)
    menu = signed_post(client, "/twilio/step/language?n=1", {**CALL, "Digits": "1"})
    assert "请选择您要反映的问题。" in menu.get_data(as_text=True)
    recorded = signed_post(
        client, "/twilio/step/recorded?n=4&l=cmn&c=work&s=city-leadership&ref=12345671",
        {**CALL, "RecordingSid": "RE" + "f" * 32, "RecordingUrl": "https://x", "Digits": "#"})
    assert "受理编号是" in recorded.get_data(as_text=True)
    # Callbacks are answered once journalled: Twilio need not retry them.
    status = signed_post(client, "/twilio/status", {**CALL, "CallStatus": "completed",
                                                    "CallDuration": "60"})
    recording = signed_post(client, "/twilio/recording?cid=gz-2023&n=4&l=cmn&c=work"
                                    "&s=city-leadership&ref=12345671", {
        "CallSid": CALL["CallSid"], "RecordingSid": "RE" + "f" * 32,
        "RecordingStatus": "completed", "RecordingUrl": "https://x", "RecordingDuration": "3"})
    assert (status.status_code, recording.status_code) == (204, 204)
    assert journal.stats().depth == 5
    # The database is back: the writer brings every fact across, once.
    assert app.extensions["hotline.writer"].drain() == 5
    assert journal.stats().depth == 0
    with make_session_factory(engine)() as session:
        [call] = list(export_records(session, campaigns))
    assert (call["outcome"], call["duration_seconds"]) == ("reported", 60)
    assert [(r["reference"], r["category"], r["recording_seconds"]) for r in call["reports"]] \
        == [("12345671", "work", 3)]


def test_an_unwritable_journal_offers_a_message_and_callbacks_ask_again(app, client) -> None:
    import sqlite3

    journal = app.extensions["hotline.journal"]
    # Another process holds the journal's write lock for longer than the busy timeout.
    holder = sqlite3.connect(journal.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        answer = signed_post(client, "/twilio/voice", CALL)
        assert answer.status_code == 200
        twiml = answer.get_data(as_text=True)
        assert "对不起，本热线系统暂时出现故障。" in twiml and "<Record" in twiml
        # The message's callback carries Twilio's connection overrides (retries on 5xx).
        assert "/twilio/recording?cid=gz-2023" in twiml and "rc=3&amp;rp=ct,rt,5xx" in twiml
        status = signed_post(client, "/twilio/status", {**CALL, "CallStatus": "completed"})
        assert status.status_code == 503 and status.headers["Retry-After"] == "30"
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["journal"]["writable"] is False
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/healthz").status_code == 200


def test_an_unexpected_error_is_an_apology_not_silence(app, client, monkeypatch) -> None:
    import ivr.flow

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ivr.flow, "handle_step", explode)
    response = signed_post(client, "/twilio/step/menu?n=2&l=yue", {**CALL, "Digits": "1"})
    assert response.status_code == 200
    assert "對唔住，系統暫時有問題" in response.get_data(as_text=True)
    assert "<Hangup />" in response.get_data(as_text=True)


def test_no_caller_number_reaches_the_log(client, caplog) -> None:
    caplog.set_level("DEBUG")
    client.post("/twilio/voice", data=CALL)
    signed_post(client, "/twilio/voice", CALL)
    assert caplog.records, "the refused request should have been logged"
    assert all("8613800138000" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("raw", "stored"), [
    ("+8613800138000", "+8613800138000"),
    (" +86 138 0013 8000 ", "+8613800138000"),
    ("+86-20-8775-6920", "+862087756920"),
    ("Anonymous", "anonymous"),
    ("+266696687", "anonymous"),  # Twilio's placeholder for a withheld number
    ("", None),
    ("not a number", "not a number"),
])
def test_caller_numbers_are_stored_in_e164(raw: str, stored: str | None) -> None:
    from webhooks.params import e164

    assert e164(raw) == stored


@pytest.mark.parametrize("signed_for", ["https://hotline.example.org", "https://hotline.example.org:443"])
def test_twilio_may_sign_the_url_with_or_without_its_default_port(app, client, signed_for
                                                                   ) -> None:
    from dataclasses import replace

    context = app.extensions["hotline.webhooks"]
    app.extensions["hotline.webhooks"] = replace(
        context, public_url="https://hotline.example.org/")
    answered = signed_post(client, "/twilio/voice", CALL, base=signed_for)
    assert answered.status_code == 200 and "<Gather" in answered.get_data(as_text=True)
    # Nor does a webhook set a cookie: Twilio keeps none, and there is no session to sign.
    assert "Set-Cookie" not in answered.headers
    other_port = signed_post(client, "/twilio/voice", CALL,
                             base="https://hotline.example.org:8443")
    assert other_port.status_code == 403


def test_a_sha256_signature_named_in_the_settings_header_is_checked(client) -> None:
    from twilio.request_validator import HMAC_SHA256

    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://localhost/twilio/voice", CALL, HMAC_SHA256)
    settings_header = {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_SHA256"}
    answered = client.post("/twilio/voice", data=CALL, headers={
        "X-Twilio-Signature": signature, **settings_header})
    assert answered.status_code == 200
    unknown = client.post("/twilio/voice", data=CALL, headers={
        "X-Twilio-Signature": signature,
        "X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5"})
    assert unknown.status_code == 403

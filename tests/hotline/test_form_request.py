"""The app reads a urlencoded body itself (hotline/requests.py): what werkzeug would read."""

from __future__ import annotations

import io

import pytest
from flask import Flask, Request
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import ClientDisconnected
from werkzeug.test import EnvironBuilder

from hotline.requests import FormRequest


def _environ(body: bytes, content_type: str = "application/x-www-form-urlencoded",
             length: int | None = None) -> dict[str, object]:
    environ = EnvironBuilder(method="POST", path="/twilio/voice", data=body,
                             content_type=content_type).get_environ()
    environ["CONTENT_LENGTH"] = str(len(body) if length is None else length)
    environ["wsgi.input"] = io.BytesIO(body)
    return environ


def _both(body: bytes, **options: object) -> tuple[object, object]:
    app = Flask("forms")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    with app.app_context():
        ours = FormRequest(_environ(body, **options))  # type: ignore[arg-type]
        theirs = Request(_environ(body, **options))  # type: ignore[arg-type]
        return ours.form.to_dict(flat=False), theirs.form.to_dict(flat=False)


@pytest.mark.parametrize("body", [
    b"CallSid=CA" + b"1" * 32 + b"&From=%2B8613800138000&To=sip%3Auser%40example.com",
    b"Digits=&Digits=3&SpeechResult=hello+world&x=%E4%BD%A0%E5%A5%BD",
    b"bad=%ZZ%&=empty&no_equals&a=%ff%fe",   # broken escapes, a name without a value
    b"\xff\xfe=not-utf-8",                    # not UTF-8: werkzeug gives an empty form
    b"",
])
def test_a_form_reads_as_werkzeug_reads_it(body: bytes) -> None:
    ours, theirs = _both(body)
    assert ours == theirs


@given(st.binary(max_size=300))
def test_any_body_reads_as_werkzeug_reads_it(body: bytes) -> None:
    ours, theirs = _both(body)
    assert ours == theirs


def test_a_body_that_ends_before_its_length_is_a_bad_request() -> None:
    app = Flask("forms")
    with app.app_context():
        request = FormRequest(_environ(b"CallSid=CA1", length=40))  # type: ignore[arg-type]
        with pytest.raises(ClientDisconnected):
            request.form  # noqa: B018 - reading it is the test


def test_a_short_body_from_a_server_that_ends_its_input_parses_what_came() -> None:
    # gunicorn marks its input as terminated: werkzeug then reads a short body to its end.
    environ = _environ(b"CallSid=CA1&Digits=3", length=40)
    environ["wsgi.input_terminated"] = True
    app = Flask("forms")
    with app.app_context():
        ours = FormRequest(dict(environ))  # type: ignore[arg-type]
        environ["wsgi.input"] = io.BytesIO(b"CallSid=CA1&Digits=3")
        theirs = Request(environ)  # type: ignore[arg-type]
        assert ours.form.to_dict() == theirs.form.to_dict() == {"CallSid": "CA1", "Digits": "3"}


def test_a_body_read_before_the_form_is_still_the_form() -> None:
    app = Flask("forms")
    with app.app_context():
        request = FormRequest(_environ(b"Digits=3"))  # type: ignore[arg-type]
        assert request.get_data() == b"Digits=3"
        assert request.form.to_dict() == {"Digits": "3"}


def test_a_webhook_over_the_size_limit_is_refused_with_413(client) -> None:  # type: ignore[no-untyped-def]
    # Signed or not, it is read before its signature can be checked.
    answer = client.post("/twilio/voice", data=b"x=" + b"1" * 70_000,
                         content_type="application/x-www-form-urlencoded",
                         headers={"X-Twilio-Signature": "c2lnbmVk"})
    assert answer.status_code == 413

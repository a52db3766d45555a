"""The report e-mail, received by a real local SMTP server (aiosmtpd) and taken apart."""

from __future__ import annotations

import csv
import io
import ssl
import subprocess
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from db.engine import make_session_factory
from db.report_models import DailyReport
from hotline.cli import main
from reports.delivery import resend
from reports.mail import MailConfigError, SmtpSettings
from tests.reports.report_helpers import (
    GZ_RECIPIENTS,
    MAIL_FROM,
    Mailbox,
    free_port,
    play_a_day,
)

CALLER = "+8613800138000"


def _parts(message):  # type: ignore[no-untyped-def]
    return {part.get_content_type(): part for part in message.walk()}


def test_send_delivers_html_text_chart_and_csv(place_call, clock, engine, campaigns_dir,
                                               mailbox):
    box, port = mailbox
    play_a_day(place_call, clock)
    env = {"HOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "HOTLINE_CAMPAIGNS": str(campaigns_dir),
           "HOTLINE_SMTP_URL": f"smtp://127.0.0.1:{port}?timeout=5",
           "HOTLINE_MAIL_FROM": MAIL_FROM}
    result = CliRunner().invoke(main, ["report", "--date", "2023-06-01", "--campaign",
                                       "gz-2023", "--send"], env=env)
    assert result.exit_code == 0, result.output
    assert "sent the report of gz-2023 for 2023-06-01 to 2 recipient(s)" in result.output

    assert len(box.received) == 1
    envelope_from, envelope_to, raw = box.received[0]
    assert envelope_from == MAIL_FROM and sorted(envelope_to) == sorted(GZ_RECIPIENTS)
    (message,) = box.messages()
    assert message["Subject"].startswith("Daily report 2023-06-01:")
    assert "9 calls, 4 reports" in message["Subject"]
    assert message.get_content_type() == "multipart/mixed"
    parts = _parts(message)
    assert {"multipart/alternative", "multipart/related", "text/plain", "text/html",
            "image/png", "text/csv"} <= set(parts)

    text = parts["text/plain"].get_content()
    assert "gave up before choosing a category" in text
    assert "09:00       2" in text

    html = parts["text/html"].get_content()
    chart = parts["image/png"]
    content_id = chart["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html
    assert "integrity discipline" in html
    image = Image.open(io.BytesIO(chart.get_content()))
    assert image.format == "PNG" and image.size == (1800, 680)  # 2×

    attachment = parts["text/csv"]
    assert attachment.get_filename() == "daily-report-gz-2023-2023-06-01.csv"
    rows = list(csv.reader(io.StringIO(attachment.get_content())))
    figures = {(row[0], row[1]): row[2:] for row in rows[2:]}
    assert figures[("calls", "")] == ["9", "11"]
    assert figures[("outcome", "reported")] == ["3", "4"]
    assert figures[("category", "integrity")] == ["2", "2"]
    assert figures[("recordings", "seconds_median")] == ["25", "30"]
    assert figures[("hourly", "10")] == ["2", ""]

    # Managers get figures, never who called.
    assert CALLER.encode() not in raw and b"8613800138000" not in raw
    with make_session_factory(engine)() as session:
        row = session.scalar(select(DailyReport))
    assert row is not None and row.state == "sent" and row.trigger == "manual"
    assert row.sends == 1 and row.day == date(2023, 6, 1)


def test_send_without_a_mail_server_is_a_clear_error(engine, campaigns_dir):
    env = {"HOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "HOTLINE_CAMPAIGNS": str(campaigns_dir), "HOTLINE_SMTP_URL": "",
           "HOTLINE_MAIL_FROM": ""}
    result = CliRunner().invoke(main, ["report", "--date", "2023-06-01", "--campaign",
                                       "gz-2023", "--send"], env=env)
    assert result.exit_code == 2
    assert "HOTLINE_SMTP_URL and HOTLINE_MAIL_FROM must be set" in result.output


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.org", SmtpSettings("mail.example.org", 25, "plain")),
    ("smtp://u%40x:p%2Fw@mail.example.org?starttls=1",
     SmtpSettings("mail.example.org", 587, "starttls", "u@x", "p/w")),
    ("smtps://u:pw@mail.example.org", SmtpSettings("mail.example.org", 465, "ssl", "u", "pw")),
    ("smtp://u:pw@localhost:1025?timeout=3",
     SmtpSettings("localhost", 1025, "plain", "u", "pw", timeout=3.0)),
])
def test_smtp_urls(url, expected):
    assert SmtpSettings.from_url(url) == expected


@pytest.mark.parametrize(("url", "complaint"), [
    ("http://mail.example.org", "must start with smtp://"),
    ("smtp://u:pw@mail.example.org", "a login needs TLS"),
    ("smtps://mail.example.org?starttls=1", "TLS already"),
    ("smtp://mail.example.org?tls=1", "unknown option"),
    ("smtp://mail.example.org:port", "not a number"),
])
def test_bad_smtp_urls_say_what_is_wrong(url, complaint):
    with pytest.raises(MailConfigError, match=complaint):
        SmtpSettings.from_url(url)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S607
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"reports" \
        and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(security, certificate, delivery, engine, place_call, clock):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    box, port = Mailbox(), free_port()
    options = ({"tls_context": server_tls, "require_starttls": True}
               # aiosmtpd only counts STARTTLS as TLS; the smtps connection is TLS throughout.
               if security == "starttls" else {"ssl_context": server_tls,
                                                "auth_require_tls": False})
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_required=True, **options)
    controller.start()
    try:
        scheme, query = ("smtp", "starttls=1&") if security == "starttls" else ("smtps", "")
        base = f"{scheme}://reports:%s@127.0.0.1:{port}?{query}cafile={cert}&timeout=5"
        context = delivery.__class__(**{**delivery.__dict__,
                                        "smtp": SmtpSettings.from_url(base % "s3cret")})
        clock.set_local("2023-06-01 10:00")
        place_call("1", "3", "1", "r30", "2")
        clock.set_local("2023-06-01 18:00")  # due: a failed send goes on to be retried
        assert resend(context, "gz-2023", date(2023, 6, 1)).state == "sent"
        assert len(box.received) == 1

        wrong = delivery.__class__(**{**delivery.__dict__,
                                      "smtp": SmtpSettings.from_url(base % "guess")})
        attempt = resend(wrong, "gz-2023", date(2023, 6, 1))
        assert attempt.state == "retrying"
        assert attempt.error is not None and "SMTPAuthenticationError: 535" in attempt.error
        assert "guess" not in attempt.error
        assert len(box.received) == 1
    finally:
        controller.stop()

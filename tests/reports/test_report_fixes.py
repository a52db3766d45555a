"""Regression tests of the daily report's reviewed defects (and the CSV export's guard)."""

from __future__ import annotations

import os
from datetime import date
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner

from db.engine import make_session_factory
from hotline.cli import main
from reports.delivery import DeliveryContext
from reports.export import _csv_safe
from reports.figures import campaign_figures
from reports.mail import MailConfigError, SmtpSettings, build_message, parse_mail_from


def test_export_cells_starting_with_tab_or_carriage_return_are_not_formulas():
    # Spreadsheet programs skip leading whitespace before = in some imports.
    assert _csv_safe("\t=HYPERLINK(\"http://evil\")") == "'\t=HYPERLINK(\"http://evil\")"
    assert _csv_safe("\r=1+1") == "'\r=1+1"
    assert _csv_safe("+8613800138000") == "+8613800138000"


def test_the_claimant_is_the_process_that_sends_not_the_one_that_imported(monkeypatch):
    context = DeliveryContext(sessions=None, campaigns=None, smtp=None,  # type: ignore[arg-type]
                              mail_from=None, clock=None)  # type: ignore[arg-type]
    monkeypatch.setattr(os, "getpid", lambda: 424242)  # as in a forked child
    assert context.claimant.endswith(":424242")


# --- 4: HOTLINE_MAIL_FROM with a display name ------------------------------------------------

def test_a_display_name_in_mail_from_keeps_the_chart_and_message_id_valid(
        engine, campaigns, clock, place_call):
    clock.set_local("2023-06-01 10:00")
    place_call("1", "3", "1", "r30", "2")
    with make_session_factory(engine)() as session:
        figures = campaign_figures(session, campaigns.by_id["gz-2023"], date(2023, 6, 1),
                                   clock.now)
    message = build_message(figures, mail_from="Hotline <hotline@example.org>",
                            recipients=("lead@example.org",))
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"].endswith("@example.org>")
    chart = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
    content_id = chart["Content-ID"]
    assert content_id.startswith("<") and content_id.endswith("@example.org>")
    assert ">" not in content_id[1:-1]
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
    assert f'src="cid:{content_id[1:-1]}"' in html


@pytest.mark.parametrize("text", ["hotline", "Hotline <>", "hotline@", "a@b@c d",
                                  "x@localhost-without-dot"])
def test_a_bad_mail_from_is_a_clear_error(text):
    with pytest.raises(MailConfigError, match="HOTLINE_MAIL_FROM"):
        parse_mail_from(text)


def test_the_command_line_refuses_a_bad_mail_from(engine, campaigns_dir):
    env = {"HOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "HOTLINE_CAMPAIGNS": str(campaigns_dir), "HOTLINE_SMTP_URL": "smtp://127.0.0.1:25",
           "HOTLINE_MAIL_FROM": "the hotline"}
    result = CliRunner().invoke(main, ["report", "--date", "2023-06-01", "--campaign",
                                       "gz-2023", "--send"], env=env)
    assert result.exit_code == 2
    assert "HOTLINE_MAIL_FROM 'the hotline' is not an e-mail address" in result.output


# --- 11: SMTP URLs a person will actually write ----------------------------------------------

@pytest.mark.parametrize("url", ["smtps://user:pa#ss@mail.example.org",
                                 "smtps://user:pa/ss@mail.example.org:465",
                                 "smtps://user:pa?ss@mail.example.org:465"])
def test_an_unencoded_password_character_is_explained(url):
    with pytest.raises(MailConfigError, match="percent-encode"):
        SmtpSettings.from_url(url)


@pytest.mark.parametrize("timeout", ["0", "-5", "nan", "inf"])
def test_a_timeout_that_cannot_work_is_refused_at_start(timeout):
    with pytest.raises(MailConfigError, match="timeout"):
        SmtpSettings.from_url(f"smtp://mail.example.org?timeout={timeout}")

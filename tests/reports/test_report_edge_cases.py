"""The daily report at its edges: a sender with a display name, SMTP URLs as people
write them, a report late on both clocks, recordings without a length, a report made
before midnight; and the CSV export's guard against formulas."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from db.engine import make_session_factory
from db.models import Report
from hotline.cli import main
from reports.delivery import DeliveryContext
from reports.export import _csv_safe
from reports.figures import campaign_figures
from reports.mail import MailConfigError, SmtpSettings, build_message, parse_mail_from
from reports.render import render_html_body, render_text, report_rows, subject_line


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


# --- HOTLINE_MAIL_FROM with a display name ------------------------------------------------

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


# --- SMTP URLs a person will actually write ----------------------------------------------

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


# --- the headline's overdue counts each late report once -----------------------------------

def test_a_report_late_on_both_clocks_is_one_overdue_report(engine, campaigns, clock,
                                                             place_call):
    clock.set_local("2023-06-01 10:00")
    place_call("1", "3", "1", "r30", "2")
    place_call("2", "3", "2", "r50", "2")
    # Three months on, both are late to acknowledge and late with feedback.
    later = datetime(2023, 9, 5, 2, 0, tzinfo=UTC)
    with make_session_factory(engine)() as session:
        figures = campaign_figures(session, campaigns.by_id["gz-2023"], date(2023, 6, 1), later)
    late = figures.today.follow_up
    assert (late.overdue_acknowledgement, late.overdue_feedback, late.overdue) == (2, 2, 2)
    headline = re.search(r"bold\">(\d+)</div>\s*<div[^>]*>overdue</div>",
                         render_html_body(figures))
    assert headline is not None and headline.group(1) == "2"
    rows = {(figure, key): day for figure, key, _label, day, _so_far in report_rows(figures)}
    assert rows[("overdue", "any")] == 2


# --- recordings without a known length -----------------------------------------------------

def test_a_recording_without_a_length_is_left_out_of_count_total_and_median(
        engine, campaigns, clock, place_call):
    clock.set_local("2023-06-01 10:00")
    for seconds in ("r10", "r20", "r90"):
        place_call("1", "3", "1", seconds, "2")
    with engine.begin() as connection:  # Twilio never told us the last one's duration
        longest = connection.execute(select(Report.id).where(
            Report.recording_seconds == 90)).scalar_one()
        connection.execute(update(Report).where(Report.id == longest).values(
            recording_seconds=None))
    with make_session_factory(engine)() as session:
        figures = campaign_figures(session, campaigns.by_id["gz-2023"], date(2023, 6, 1),
                                   datetime(2023, 6, 2, tzinfo=UTC))
    recordings = figures.today.recordings
    assert (recordings.count, recordings.seconds_total, recordings.seconds_median) == (2, 30, 15)
    assert figures.today.reports == 3


# --- a report made before midnight says what it covers ------------------------------------

def test_the_report_made_at_report_time_covers_the_day_until_then(engine, campaigns, clock,
                                                                  place_call):
    clock.set_local("2023-06-01 10:00")
    place_call("1", "3", "1", "r30", "2")
    clock.set_local("2023-06-01 17:50")
    place_call()  # after the report was made: not in it
    made_at = datetime(2023, 6, 1, 9, 45, tzinfo=UTC)  # 17:45 in Guangzhou
    with make_session_factory(engine)() as session:
        figures = campaign_figures(session, campaigns.by_id["gz-2023"], date(2023, 6, 1),
                                   made_at)
    data = figures.to_json()
    assert data["until"] == "2023-06-01T17:45:00+08:00" and data["complete_day"] is False
    assert data["calls"] == 1 and data["so_far"]["calls"] == 1
    assert "Daily report for 2023-06-01, until 17:45 (Asia/Shanghai)" in render_text(figures)
    assert subject_line(figures).endswith(", until 17:45")
    assert "until 17:45" in render_html_body(figures)

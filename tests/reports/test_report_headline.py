"""The daily report a manager reads in thirty seconds: the day against the week before,
the new reports with their reference and a link, overdue follow-ups by assignee, grouped
tables under headings, in the campaign's report_language from the console's catalogues."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from db.engine import make_session_factory
from db.models import Report
from db.user_models import User
from reports.figures import campaign_figures
from reports.render import render_html, render_html_body, render_text, subject_line
from tests.reports.report_helpers import play_a_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2023, 6, 1)
EVENING = datetime(2023, 6, 1, 18, tzinfo=UTC)  # 02:00 on 2 June in Guangzhou


def _week_before(place_call, clock) -> None:  # type: ignore[no-untyped-def]
    """14 calls and 7 reports over 24–31 May: 2 calls and 1 report a day."""
    for back in range(1, 8):
        day = DAY - timedelta(days=back)
        clock.set_local(f"{day.isoformat()} 10:00")
        place_call("1", "3", "1", "r30", "2")
        clock.set_local(f"{day.isoformat()} 19:00")
        place_call()  # turned away: a call all the same


def _figures(engine, campaign):  # type: ignore[no-untyped-def]
    with make_session_factory(engine)() as session:
        return campaign_figures(session, campaign, DAY, EVENING)


def test_the_headline_compares_the_day_with_the_week_before(place_call, clock, engine,
                                                            campaigns):
    _week_before(place_call, clock)
    play_a_day(place_call, clock)
    figures = _figures(engine, campaigns.by_id["gz-2023"])
    # With the day's neighbours on 31 May: 16 calls and 8 reports in the week before.
    assert figures.week_average == {"calls": 2.3, "reports": 1.1}
    headline = "Today 9 calls (the 7 days before: 2.3 a day) and 4 reports (1.1 a day)."
    assert headline in render_text(figures)
    assert headline in render_html(figures)


def test_the_new_reports_are_listed_with_a_link_to_the_console(place_call, clock, engine,
                                                               campaigns):
    play_a_day(place_call, clock)
    figures = _figures(engine, campaigns.by_id["gz-2023"])
    with make_session_factory(engine)() as session:
        made = session.execute(select(Report.reference, Report.category).where(
            Report.campaign_id == "gz-2023", Report.call_started_at >= figures.start,
            Report.call_started_at < figures.end).order_by(Report.created_at, Report.id)).all()
    assert [tuple(r) for r in made] == list(figures.new_reports) and len(made) == 4
    reference = made[0][0]
    html = render_html_body(figures, console_url="https://hotline.example.org/")
    assert (f'<a href="https://hotline.example.org/console/find?reference={reference}">'
            f'{reference}</a>') in html
    assert "integrity discipline" in html
    text = render_text(figures, "https://hotline.example.org")
    assert f"{reference}  integrity discipline  https://hotline.example.org/console/find?" \
           f"reference={reference}" in text
    assert "+8613800138000" not in html + text  # references, never callers' numbers


def test_overdue_follow_ups_are_counted_by_assignee(place_call, clock, engine, campaigns):
    play_a_day(place_call, clock)
    with make_session_factory(engine).begin() as session:
        lin = User(name="lin", role="operator", password_hash="-", session_token="-",
                   created_at=clock(), password_changed_at=clock())
        session.add(lin)
        session.flush()
        ids = session.scalars(select(Report.id).where(Report.campaign_id == "gz-2023")
                              .order_by(Report.id)).all()
        session.execute(update(Report).where(Report.id.in_(ids[:3])).values(
            acknowledge_due=EVENING - timedelta(hours=1)))  # three late to acknowledge
        session.execute(update(Report).where(Report.id.in_(ids[:2])).values(
            assignee_id=lin.id))
    figures = _figures(engine, campaigns.by_id["gz-2023"])
    assert figures.overdue_by_assignee == {"lin": 2, "": 1}
    html = render_html_body(figures)
    assert re.search(r"lin</th>\s*<td[^>]*>2</td>", html)
    assert re.search(r"unassigned</th>\s*<td[^>]*>1</td>", html)
    assert "No follow-up is overdue." not in html


def test_the_tables_are_grouped_under_headings(place_call, clock, engine, campaigns):
    play_a_day(place_call, clock)
    figures = _figures(engine, campaigns.by_id["gz-2023"])
    html = render_html_body(figures)
    headings = re.findall(r'<h3 class="section">([^<]+)</h3>', html)
    assert headings == ["Calls", "Calls by outcome", "Reports", "Reports by category",
                        "Reports by subject", "Recordings", "Follow-up"]
    assert "padding-left: 24px" not in html  # no row is indented under another
    text = render_text(figures)
    subjects = text.split("Reports by subject\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert subjects[1].split()[-2:] == ["2", "3"]  # city leadership: the day, so far
    assert all(line.startswith("  ") for line in subjects[1:])


def test_the_report_speaks_the_campaigns_report_language(place_call, clock, engine,
                                                         campaigns):
    play_a_day(place_call, clock)
    campaign = dataclasses.replace(campaigns.by_id["gz-2023"], report_language="cmn")
    figures = _figures(engine, campaign)
    assert figures.language == "zh"
    assert subject_line(figures).startswith("每日报告 2023-06-01：")
    html = render_html(figures)
    assert '<html lang="zh">' in html and "廉洁纪律" in html and "逾期跟进（按负责人）" in html
    assert "Calls by outcome" not in html and "来电结果" in html
    assert "前 7 天平均每天" in render_text(figures)

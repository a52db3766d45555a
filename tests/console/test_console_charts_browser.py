"""The charts in a real headless Chromium: the statistics page on a laptop (1280 px) and
a phone (390 px) with no broken image and nothing wider than the screen, the manager's
home partial, and the daily report's HTML with its chart inline. The screenshots'
paths are printed (pytest -s shows them; $HOTLINE_SCREENSHOTS keeps copies)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import test_console_browser as operators_day
from flask import render_template

from console.charts import home_charts_context
from db.engine import make_session_factory
from reports.chart import chart_data_uri
from reports.figures import campaign_figures
from reports.render import render_html
from tests.helpers import needs_chromium

pytestmark = needs_chromium
browser = operators_day.browser  # the module's Chromium, launched once
new_page, sign_in = operators_day.new_page, operators_day.sign_in
BROKEN = "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"
WIDEST = ("Math.max(...[...document.querySelectorAll('img')]"
          ".map(i => i.getBoundingClientRect().right))")


@pytest.fixture
def shot(tmp_path: Path):  # type: ignore[no-untyped-def]
    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if keep := os.environ.get("HOTLINE_SCREENSHOTS"):
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        print(f"screenshot: {path}")
        return path

    return take


@pytest.fixture
def three_days(place_call, clock):  # type: ignore[no-untyped-def]
    """Reports and turned-away calls over 1–3 June; the clock at noon on 3 June."""
    for moment, script in (("2023-06-01 10:00", ("1", "3", "1", "r30", "2")),
                           ("2023-06-01 19:00", ()),
                           ("2023-06-02 09:00", ("1", "1", "1", "r20", "2")),
                           ("2023-06-02 11:00", ("1", "3", "2", "r30", "2")),
                           ("2023-06-03 08:00", ())):
        clock.set_local(moment)
        place_call(*script)
    clock.set_local("2023-06-03 12:00")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_statistics_charts_render_on_a_laptop_and_a_phone(
        browser, live_server, users, three_days, shot, width, height):
    page = new_page(browser, viewport={"width": width, "height": height})
    sign_in(page, live_server, "manager", "/console/stats?since=2023-06-01&until=2023-06-03")
    page.wait_for_selector("#chart-calls-by-day img")
    charts = page.locator("figure.chart img").evaluate_all("imgs => imgs.map(i => i.dataset.chart)")
    assert charts == ["calls-by-day", "calls-by-hour", "follow-ups", "outcomes", "categories",
                      "subjects"]
    assert page.evaluate(BROKEN) == 0
    assert page.evaluate(WIDEST) <= width  # every chart fits the screen
    # The numbers beneath: calls by day, answered and turned away.
    page.click("#chart-calls-by-day summary")
    rows = page.locator("#chart-calls-by-day tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText))")
    assert rows == [["2023-06-01", "1", "1"], ["2023-06-02", "2", "0"], ["2023-06-03", "0", "1"]]
    assert page.locator("#chart-categories img").get_attribute("alt") == "举报（按类别）"
    shot(page, f"stats-{width}")
    page.context.close()


def test_the_managers_home_partial_draws_the_last_two_weeks(app, users, three_days, console):
    with app.test_request_context("/console/"):
        from flask import g

        g.lang = "en"
        context = home_charts_context(["gz-2023"])
        html = render_template("console/charts/_home.html", **context)
    assert "The last 14 days" in html
    assert html.count('src="data:image/svg+xml;base64,') == 2
    by_day = context["home_charts"][0]
    assert by_day.rows[-3:] == [("2023-06-01", 1, 1), ("2023-06-02", 2, 0),
                                ("2023-06-03", 0, 1)]


def test_the_daily_report_html_carries_its_chart_inline(browser, engine, campaigns,
                                                        three_days, shot):
    with make_session_factory(engine)() as session:
        figures = campaign_figures(session, campaigns.by_id["gz-2023"], date(2023, 6, 2),
                                   datetime(2023, 6, 2, 18, tzinfo=UTC))
    html = render_html(figures, chart_data_uri(figures))
    assert '<img src="data:image/png;base64,' in html
    page = new_page(browser, viewport={"width": 390, "height": 844})
    page.set_content(html)
    assert page.evaluate(BROKEN) == 0
    assert page.evaluate("document.images[0].naturalWidth") == 1800  # drawn at 2×
    assert page.evaluate(WIDEST) <= 390
    shot(page, "daily-report-390")
    page.context.close()

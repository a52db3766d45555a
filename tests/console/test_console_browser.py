"""The operator's day in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Sign in, find the call by its reference, play its recording, acknowledge it,
add a note, export; a failed recording shows its reason in the page; the list
reads on a phone; an operator is turned away from admin pages. Screenshots of
each step go to the test's temporary folder (and to $HOTLINE_SCREENSHOTS when set).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_helpers import PASSWORD
from sqlalchemy import select

from db.models import Report
from db.user_models import AuditEvent
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, needs_chromium

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """shots(page, name): a full-page screenshot in the test's folder; its path is printed
    and kept in the test's report (user_properties, e.g. for --junitxml)."""
    keep = os.environ.get("HOTLINE_SCREENSHOTS")

    def shot(page, name: str, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        print(f"screenshot: {path}")
        request.node.user_properties.append(("screenshot", str(path)))
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)

    return shot


def new_page(browser, locale: str = "zh-CN", **options):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale=locale, accept_downloads=True, **options)
    context.set_default_timeout(10_000)
    return context.new_page()


def sign_in(page, base: str, name: str,  # type: ignore[no-untyped-def]
            start: str = "/console/calls") -> None:
    page.goto(base + start)
    assert "/console/login" in page.url  # signed-out visitors land on the sign-in page
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]:not(.link)")


def test_an_operators_day(browser, live_server, users, reported_call, engine, shots) -> None:
    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    page = new_page(browser)
    sign_in(page, live_server, "operator")
    page.wait_for_url(re.compile(r"/console/calls$"))
    assert page.locator("td.number").first.inner_text() == "•••• 8000"
    shots(page, "1-call-list")

    page.fill("#find-reference", reference)
    page.click(".find button")
    page.wait_for_url(re.compile(rf"/console/calls/CA[0-9a-f]+#report-{reference}$"))
    assert page.locator("#caller-number").inner_text() == "•••• 8000"  # never whole
    shots(page, "2-call-page")

    audio = page.locator(f"#audio-{reference}")
    audio.evaluate("a => a.play()")
    page.wait_for_function("id => document.getElementById(id).currentTime > 0.3",
                           arg=f"audio-{reference}")
    assert 2.5 < audio.evaluate("a => a.duration") < 3.5  # the three-second recording
    audio.evaluate("a => a.pause()")

    # One form: the new status and the note are saved together.
    page.select_option(f"#to-{reference}", "acknowledged")
    page.fill(f"#note-{reference}", "已电话回复来电人，确认收悉。")
    page.click(f"#work-{reference} button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert page.locator(f"#report-{reference} [data-status]").inner_text() == "已确认收悉"
    page.click(f"#report-{reference} .history-details summary")  # the history is folded
    assert page.locator(".history .note").inner_text() == "已电话回复来电人，确认收悉。"
    shots(page, "3-acknowledged-with-note")

    page.goto(f"{live_server}/console/calls")
    with page.expect_download() as download_info:
        page.click("#export")
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(row["references"], row["follow_ups"]) for row in rows] == [
        (reference, "acknowledged")]

    page.goto(f"{live_server}/console/admin/audit")
    assert "您的角色无权打开此页面" in page.content()
    shots(page, "4-operator-refused-admin")

    page.click("button.link")  # sign out
    page.wait_for_url(re.compile(r"/console/login$"))
    page.context.close()

    admin = new_page(browser, locale="en-GB")
    sign_in(admin, live_server, "admin", "/console/")
    admin.wait_for_url(re.compile(r"/console/admin/users$"))
    admin.goto(f"{live_server}/console/admin/audit?actor=operator")
    actions = admin.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action)")
    # Each opening of the call page (after the find, and after the one form) is a view,
    # and the admin page the operator was turned away from is in the log too.
    assert actions == ["sign_out", "page_refused", "export", "call_viewed", "note_added",
                       "status_changed", "recording_played", "call_viewed", "sign_in"]
    shots(admin, "5-audit-log")
    admin.context.close()
    with engine.connect() as connection:
        assert connection.execute(select(AuditEvent.id).where(
            AuditEvent.action == "recording_played")).first() is not None


def test_a_recording_that_cannot_be_fetched_says_why(browser, live_server, users,
                                                    reported_call, twilio, engine,
                                                    shots) -> None:
    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    twilio.recordings.clear()  # Twilio answers 404: the recording was deleted there
    page = new_page(browser, locale="en-GB")
    sign_in(page, live_server, "operator")
    page.goto(f"{live_server}/console/calls/{reported_call.call_sid}")
    page.locator(f"#audio-{reference}").evaluate("a => a.play().catch(() => {})")
    message = page.locator(f"#report-{reference} .player-message")
    message.wait_for(state="visible")
    assert message.inner_text() == "Twilio has no such recording (it may have been deleted)."
    shots(page, "6-recording-missing")
    page.context.close()


def test_the_call_list_fits_a_phone(browser, live_server, users, reported_call, shots) -> None:
    page = new_page(browser, locale="en-GB", viewport={"width": 390, "height": 844},
                    is_mobile=True, has_touch=True)
    sign_in(page, live_server, "operator")
    page.wait_for_url(re.compile(r"/console/calls$"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator("thead").first.is_hidden()  # rows become labelled cards
    shots(page, "7-phone-call-list")
    page.context.close()

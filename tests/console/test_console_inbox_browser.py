"""The case officer's day in a real headless Chromium: the inbox's queues, counts and bulk
assign; a report worked from its one form and from the keyboard; the phone at 390 px.
Screenshots go to each test's folder (their paths are printed) and to
$HOTLINE_SCREENSHOTS when set."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.models import Report
from tests.console.test_console_browser import (  # noqa: F401  (fixtures)
    browser,
    new_page,
    pytestmark,
    shots,
    sign_in,
)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def references(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return list(connection.execute(select(Report.reference).order_by(Report.id)).scalars())


def count_of(page, queue: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f'[data-count="{queue}"]').inner_text()


def test_an_operator_works_the_inbox(browser, live_server, users, place_call, engine,  # noqa: F811
                                     shots) -> None:  # noqa: F811
    place_call("1", "3", "1", "r30", "2")
    place_call("1", "1", "1", "r20", "2")
    first, second = references(engine)
    page = new_page(browser)
    sign_in(page, live_server, "operator", "/console/")
    page.wait_for_url(re.compile(r"/console/inbox$"))
    assert page.title().startswith("(2) 待办")
    assert [count_of(page, q) for q in ("mine", "unassigned", "overdue", "all")] == \
        ["0", "2", "0", "2"]
    page.click('[data-queue="unassigned"]')
    page.wait_for_url(re.compile(r"queue=unassigned$"))
    assert page.locator(".inbox-row").count() == 2
    assert "还有 7 天到期" in page.locator(f'[data-reference="{first}"] .due').inner_text()
    shots(page, "inbox-1-unassigned")

    page.check(f"#pick-{first}")
    page.check(f"#pick-{second}")
    page.select_option("#bulk-action", "assign")
    page.select_option("#bulk-assignee", "operator")
    page.click(".bulk button")
    page.wait_for_selector("#bulk-confirm")
    assert "将以下 2 条举报分配给 operator" in page.locator(".bulk-summary").inner_text()
    shots(page, "inbox-2-bulk-confirmation")
    page.click("#bulk-confirm")
    page.wait_for_selector(".flash.ok")
    assert count_of(page, "mine") == "2" and count_of(page, "unassigned") == "0"
    assert page.locator(".inbox-row").count() == 0   # the queue is empty now
    shots(page, "inbox-3-assigned")

    # A new report arrives: the counts and the tab title follow without a reload.
    place_call("1", "2", "1", "r25", "2")
    page.evaluate("document.querySelector('.inbox-page')"
                  ".dispatchEvent(new Event('hotline:refresh'))")
    # Functions, not expressions: the console's CSP forbids the eval an expression needs.
    page.wait_for_function("() => document.querySelector('[data-count=unassigned]')"
                           ".textContent === '1'")
    page.wait_for_function("() => document.title.startsWith('(3) ')")
    assert count_of(page, "all") == "3"
    page.context.close()


def test_a_report_is_worked_from_the_keyboard(browser, live_server, users, place_call,  # noqa: F811
                                              engine, shots) -> None:  # noqa: F811
    for _ in range(3):
        place_call("1", "3", "1", "r30", "2")
    newest = references(engine)[-1]
    page = new_page(browser, locale="en-GB")
    sign_in(page, live_server, "operator", "/console/inbox?queue=all")
    page.wait_for_url(re.compile(r"queue=all$"))
    page.click(f'[data-reference="{newest}"] a.ref')
    page.wait_for_url(re.compile(rf"queue=all#report-{newest}$"))
    assert page.locator("details.call-details").get_attribute("open") is None  # folded
    assert page.locator(f"#report-{newest} .history-details").get_attribute("open") is None

    page.keyboard.press("?")
    overlay = page.locator("#shortcuts")
    overlay.wait_for(state="visible")
    assert "Assign to me" in overlay.inner_text() and "Next report" in overlay.inner_text()
    shots(page, "report-1-shortcuts", full_page=False)
    page.keyboard.press("Escape")
    overlay.wait_for(state="hidden")

    page.keyboard.press("m")   # assign to me
    page.wait_for_selector(".flash.ok")
    page.wait_for_load_state("load")   # the deferred script has bound the keys again
    assert page.locator(f"#report-{newest} .assignee").inner_text() == "operator"
    page.keyboard.press("a")   # acknowledge
    page.wait_for_selector(f"#report-{newest} [data-status=acknowledged]")
    page.wait_for_load_state("load")
    page.keyboard.press("n")   # the note
    assert page.evaluate("document.activeElement.id") == f"note-{newest}"
    page.keyboard.type("Called back; confirmed.")
    page.keyboard.press("j")   # typing in the note is not a shortcut
    assert page.locator(f"#note-{newest}").input_value() == "Called back; confirmed.j"
    page.locator(f"#note-{newest}").fill("Called back; confirmed.")
    # One form, one save: a status, the assignee and the note together.
    page.select_option(f"#to-{newest}", "in_review")
    page.select_option(f"#assignee-{newest}", "manager")
    page.click(f"#work-{newest} button[type=submit]")
    page.wait_for_selector(f"#report-{newest} [data-status=in_review]")
    assert page.locator(f"#report-{newest} .assignee").inner_text() == "manager"
    page.click(f"#report-{newest} .history-details summary")
    assert "Called back; confirmed." in page.locator(f"#report-{newest} .history").inner_text()
    shots(page, "report-2-worked")

    page.evaluate("document.activeElement.blur()")   # out of any field
    page.keyboard.press("j")   # next report in the queue: the one before it
    page.wait_for_url(re.compile(rf"#report-{references(engine)[-2]}$"))
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf"#report-{newest}$"))
    page.context.close()


def test_the_phone_shows_reports_and_calls_on_the_first_screen(browser, live_server, users,  # noqa: F811
                                                              place_call, engine,
                                                              shots) -> None:  # noqa: F811
    for _ in range(4):
        place_call("1", "3", "1", "r30", "2")
    page = new_page(browser, locale="zh-CN", **PHONE)
    sign_in(page, live_server, "operator", "/console/inbox?queue=all")
    page.wait_for_url(re.compile(r"queue=all$"))
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    rows = page.locator(".inbox-row")
    first = rows.first.bounding_box()
    assert first is not None and first["height"] <= 120
    assert first["y"] + first["height"] <= 844   # on the first screen
    box = page.locator(f"#pick-{references(engine)[-1]}").bounding_box()
    assert box is not None and box["width"] >= 20   # a thumb can tick it
    shots(page, "phone-1-inbox", full_page=False)

    page.goto(f"{live_server}/console/calls")
    assert page.locator("form.filters").is_hidden()   # behind the one Filter button
    call = page.locator("table.calls tbody tr").first.bounding_box()
    assert call is not None and call["height"] <= 120 and call["y"] + call["height"] <= 844
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shots(page, "phone-2-calls", full_page=False)
    page.tap("#filter-toggle")
    page.locator("form.filters").wait_for(state="visible")
    shots(page, "phone-3-filters-open", full_page=False)
    page.context.close()

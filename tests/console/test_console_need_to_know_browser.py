"""A manager reveals a caller's number in a real headless Chromium: a reason, the number
for that page only, the reveal and the views in the audit log and on the page."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.user_models import AuditEvent
from tests.console.test_console_browser import (  # noqa: F401  (fixtures)
    browser,
    new_page,
    pytestmark,
    shots,
    sign_in,
)


def test_a_manager_reveals_a_number_for_one_page(browser, live_server, users,  # noqa: F811
                                                 reported_call, engine, shots) -> None:  # noqa: F811
    page = new_page(browser)
    sign_in(page, live_server, "manager")
    page.wait_for_url(re.compile(r"/console/calls$"))
    page.goto(f"{live_server}/console/calls/{reported_call.call_sid}")
    assert page.locator("#caller-number").inner_text() == "•••• 8000"
    # The reason is required: the browser does not send the form without one.
    page.click(".reveal-form button")
    assert page.locator("#reveal-reason:invalid").count() == 1
    page.fill("#reveal-reason", "公安机关协查函 2023-88")
    page.click(".reveal-form button")
    page.wait_for_selector("#caller-number .revealed")
    assert page.locator("#caller-number .revealed").inner_text() == "+8613800138000"
    assert page.locator(".reveal-form").count() == 0
    assert "manager" in page.locator("#viewed-by").inner_text()
    shots(page, "number-revealed")
    # Opened again (a reload of the address, not a re-post): masked.
    page.goto(f"{live_server}/console/calls/{reported_call.call_sid}")
    assert page.locator("#caller-number").inner_text() == "•••• 8000"
    assert "3 次" in page.locator("#viewed-by").inner_text()
    page.context.close()
    with engine.connect() as connection:
        lines = connection.execute(select(AuditEvent.action, AuditEvent.detail).where(
            AuditEvent.target == reported_call.call_sid).order_by(AuditEvent.id)).all()
    assert [tuple(line) for line in lines] == [
        ("call_viewed", lines[0].detail), ("number_revealed", "公安机关协查函 2023-88"),
        ("call_viewed", lines[0].detail), ("call_viewed", lines[0].detail)]

"""The team's reply, written in a real headless Chromium, then heard by a caller who rings back."""

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
from tests.helpers import heard_references

REPLY = "我们已收到您的反映，正在核查，请耐心等待。"


def test_reply_written_in_the_browser_is_heard_and_shown_heard(browser, live_server, users,  # noqa: F811
                                                               place_call, engine,
                                                               shots) -> None:  # noqa: F811
    first = place_call("1", "3", "1", "r30", "2")
    reference = heard_references(first.heard)[0]
    page = new_page(browser)
    sign_in(page, live_server, "operator")
    page.wait_for_url(re.compile(r"/console/calls$"))
    page.goto(f"{live_server}/console/calls/{first.call_sid}")
    assert "任何持有受理编号的人" in page.locator(f"#followup-{reference}").inner_text()
    page.fill(f"#reply-{reference}", REPLY)
    page.select_option(f"#reply-lang-{reference}", "cmn")
    page.click(f"#followup-{reference} .reply-form button")
    page.wait_for_selector(".flash.ok")
    assert page.locator(f"#reply-{reference}").input_value() == REPLY
    assert "来电人尚未听取" in page.locator(f"#followup-{reference} .reply-status").inner_text()
    shots(page, "reply-written")

    again = place_call("1", "#", reference + "#", "1", "r12", "2")
    assert REPLY in again.heard
    page.reload()
    assert "来电人已于" in page.locator(f"#followup-{reference} .reply-status").inner_text()
    assert page.locator(f"#followup-{reference} .addition").count() == 1
    shots(page, "reply-heard-addition")
    with engine.connect() as connection:
        assert connection.execute(select(Report.reply_heard_at)).scalar_one() is not None

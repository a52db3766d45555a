"""The second factor in a real headless Chromium: enrol on first sign-in from the QR page,
sign in with a code, a wrong code, a recovery code. Codes are computed from the secret
the page shows, as an authenticator app would."""

from __future__ import annotations

import re

from console_helpers import PASSWORD, totp

from tests.console.test_console_browser import (  # noqa: F401  (fixtures)
    browser,
    pytestmark,
)


def _password(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/console/calls?lang=en")
    page.fill("#name", "operator")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]:not(.link)")


def _sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button.link")
    page.wait_for_url(re.compile(r"/console/login$"))


def test_the_second_factor_journey(browser, live_server, users, console, clock,  # noqa: F811
                                   tmp_path) -> None:
    console.second_factor_required = True
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()

    # Enrolment on first sign-in: the QR code is in the page, with its key beside it.
    _password(page, live_server)
    page.wait_for_url(re.compile(r"/console/login/enrol$"))
    qr = page.locator("figure.qr svg")
    box = qr.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    secret = page.inner_text("#secret").strip()
    page.screenshot(path=str(tmp_path / "1-enrol.png"), full_page=True)
    page.fill("#code", totp(secret, clock(), 3))
    page.click("form button[type=submit]:not(.link)")
    assert "wrong or was already used" in page.inner_text("[role=alert]")
    page.fill("#code", totp(secret, clock()))
    page.click("form button[type=submit]:not(.link)")
    page.wait_for_selector("ol.recovery-codes")
    codes = [c.strip() for c in page.locator("ol.recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10
    page.screenshot(path=str(tmp_path / "2-recovery-codes.png"), full_page=True)
    page.click("text=I have saved them; continue")
    page.wait_for_url(re.compile(r"/console/calls"))
    _sign_out(page)

    # The next sign-in asks for the code on its own page; a wrong one is refused.
    clock.advance(30)
    _password(page, live_server)
    page.wait_for_url(re.compile(r"/console/login/code$"))
    assert page.locator("#password").count() == 0
    page.fill("#code", totp(secret, clock(), -3))
    page.click("form button[type=submit]:not(.link)")
    assert "wrong or was already used" in page.inner_text("[role=alert]")
    assert "/console/login/code" in page.url
    page.fill("#code", totp(secret, clock()))
    page.click("form button[type=submit]:not(.link)")
    page.wait_for_url(re.compile(r"/console/calls"))
    _sign_out(page)

    # No phone: a recovery code instead, once.
    _password(page, live_server)
    page.wait_for_url(re.compile(r"/console/login/code$"))
    page.fill("#code", codes[0])
    page.click("form button[type=submit]:not(.link)")
    page.wait_for_url(re.compile(r"/console/calls"))
    page.goto(live_server + "/console/account?lang=en")
    assert "Unused recovery codes: 9." in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "3-account.png"), full_page=True)
    context.close()

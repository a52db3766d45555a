"""In real headless Chromium: an operator plays the disguised local copy and seeks in it
(the player's range requests), and sees where the recording is kept."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from recordings.fetch import fetch_due
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, needs_chromium

pytestmark = needs_chromium


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_an_operator_seeks_in_the_disguised_local_copy(live_server, reported, fetcher,
                                                       signed_in, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    report = reported(9)
    fetch_due(fetcher)
    signed_in("operator")  # creates the user
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="en-GB").new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{live_server}/console/calls/{report.call_sid}")
            page.fill("#name", "operator")
            page.fill("#password", PASSWORD)
            page.click("form button[type=submit]:not(.link)")
            page.wait_for_url(re.compile(rf"/console/calls/{report.call_sid}$"))
            state = page.locator(f"#recording-state-{report.reference} .rec-state")
            assert state.inner_text() == "encrypted here, deleted at Twilio"
            audio = page.locator(f"#audio-{report.reference}")
            audio.evaluate("a => a.play()")
            page.wait_for_function("id => document.getElementById(id).currentTime > 0.3",
                                   arg=f"audio-{report.reference}")
            assert 8.8 < audio.evaluate("a => a.duration") < 9.2
            # Seeking asks for a byte range; the player goes on from there.
            audio.evaluate("a => { a.currentTime = 6; }")
            page.wait_for_function(
                "id => { const a = document.getElementById(id); "
                "return a.currentTime > 6.2 && !a.seeking; }", arg=f"audio-{report.reference}")
            assert audio.evaluate("a => a.error") is None
            audio.evaluate("a => a.pause()")
            shot = tmp_path / "recording-state.png"
            page.locator(f"#report-{report.reference}").screenshot(path=str(shot))
            keep = os.environ.get("HOTLINE_SCREENSHOTS")
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(keep) / shot.name)
        finally:
            browser.close()

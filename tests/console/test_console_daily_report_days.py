"""The daily report pages for any day: a date picker, and for a campaign that is not
e-mailed (the seed has no report_to) the lines to add to its file, and no send button."""

from __future__ import annotations

import re


def test_a_campaign_without_recipients_says_how_to_set_them(signed_in, campaigns) -> None:
    manager = signed_in("manager")
    page = manager.get("/console/daily-reports?lang=en").get_data(as_text=True)
    seed = next(iter(campaigns))
    assert not seed.report_to
    assert "has no recipients (report_to)" in page
    assert 'report_to = ["lead@example.org"]' in page
    assert f"to the campaign file {seed.source}" in page
    assert re.search(r'<input id="day-gz-2023" name="day" type="date" required', page)


def test_the_date_picker_opens_any_days_report(signed_in, place_call, clock) -> None:
    clock.set_local("2023-05-20 10:00")
    place_call("1", "3", "1", "r30", "2")
    clock.set_local("2023-06-01 10:00")
    manager = signed_in("manager")
    picked = manager.get("/console/daily-reports?campaign=gz-2023&day=2023-05-20")
    assert picked.status_code == 302
    assert picked.headers["Location"].endswith("/console/daily-reports/gz-2023/2023-05-20")
    page = manager.get("/console/daily-reports/gz-2023/2023-05-20?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'<tr class="reports"><th>reports</th><td>1</td>', html)
    assert "Today 1 calls" in html and 'href="/console/find?reference=' in html
    assert 'src="data:image/png;base64,' in html
    assert "/send" not in html  # nothing to send it to
    assert manager.get("/console/daily-reports?campaign=gz-2023&day=2023-13-01"
                       ).status_code == 404
    assert manager.get("/console/daily-reports?campaign=nope&day=2023-05-20"
                       ).status_code == 404


def test_a_campaign_that_is_not_e_mailed_cannot_be_sent(signed_in) -> None:
    manager = signed_in("manager")
    page = manager.get("/console/daily-reports/gz-2023/2023-06-01")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    sent = manager.post("/console/daily-reports/gz-2023/2023-06-01/send",
                        data={"csrf_token": token.group(1)})
    assert sent.status_code == 404

"""The inbox and the report page built for action, without a browser: the console opens on
the user's queues, counts refresh as JSON, bulk actions ask first, one form works a report."""

from __future__ import annotations

import re

from console_helpers import csrf_token, post
from sqlalchemy import select

from db.models import Report
from db.user_models import AuditEvent, ReportActivity


def references(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return list(connection.execute(select(Report.reference).order_by(Report.id)).scalars())


def audit_actions(engine, actor: str = "operator") -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [(row.action, row.target) for row in connection.execute(
            select(AuditEvent.action, AuditEvent.target).where(
                # The changes made, not the pages opened (views are audited too).
                AuditEvent.actor == actor, AuditEvent.action.not_in(("sign_in", "call_viewed")))
            .order_by(AuditEvent.id))]


def queue_counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">([^<]+)</b>', page))


def test_the_console_opens_on_the_users_queues(signed_in, reported_call, engine) -> None:
    client = signed_in("operator")
    home = client.get("/console/")
    assert home.headers["Location"] == "/console/inbox"
    page = client.get("/console/inbox?lang=en").get_data(as_text=True)
    # Nothing is assigned to the operator yet: "mine" is empty, the report is unassigned.
    assert queue_counts(page) == {"mine": "0", "unassigned": "1", "due_soon": "0",
                                  "overdue": "0", "new_info": "0", "all": "1"}
    assert "No open report is assigned to you." in page
    reference = references(engine)[0]
    unassigned = client.get("/console/inbox?queue=unassigned&lang=en").get_data(as_text=True)
    row = unassigned[unassigned.index(f'data-reference="{reference}"'):]
    row = row[:row.index("</li>")]
    assert "integrity discipline" in row and "Guangzhou" in row   # category and subject
    assert "due in 7 days" in row and "nobody" in row and "just now" in row
    assert "<title>(1) Inbox" in unassigned   # one new report, in the tab's title
    chinese = client.get("/console/inbox?queue=unassigned&lang=zh").get_data(as_text=True)
    assert "还有 7 天到期" in chinese and "<title>(1) 待办" in chinese


def test_the_due_clock_and_queues_move_with_time(signed_in, reported_call, clock) -> None:
    clock.advance(6 * 86400)
    page = signed_in("operator").get("/console/inbox?queue=due_soon&lang=en").get_data(
        as_text=True)
    assert queue_counts(page)["due_soon"] == "1" and "due in 1 day" in page
    clock.advance(5 * 86400)   # a sign-in lasts a working day: sign in again
    page = signed_in("operator").get("/console/inbox?queue=overdue&lang=en").get_data(
        as_text=True)
    assert queue_counts(page)["overdue"] == "1" and "overdue by 4 days" in page
    assert 'class="inbox-row due-overdue"' in page


def test_a_wound_up_campaigns_rows_do_not_scream(signed_in, reported_call, clock) -> None:
    # A year on, the 2023 campaign's follow-up period (closes + 90 days) is long over.
    clock.advance(365 * 86400)
    page = signed_in("operator").get("/console/inbox?queue=all&lang=en").get_data(as_text=True)
    assert queue_counts(page)["overdue"] == "0"
    assert 'due-lapsed' in page and "campaign wound up" in page and "due-overdue" not in page


def test_the_counts_refresh_as_json(signed_in, reported_call, place_call, engine) -> None:
    client = signed_in("operator")
    first = client.get("/console/inbox/counts").get_json()
    assert first["queues"]["unassigned"] == 1 and first["new"] == 1
    place_call("1", "1", "1", "r20", "2")
    later = client.get("/console/inbox/counts")
    assert later.headers["Content-Type"].startswith("application/json")
    assert later.get_json()["queues"]["all"] == 2 and later.get_json()["new"] == 2


def test_bulk_assign_asks_for_confirmation_first(signed_in, reported_call, place_call,
                                                 engine) -> None:
    place_call("1", "1", "1", "r20", "2")
    client = signed_in("operator")
    both = references(engine)
    token = csrf_token(client, "/console/inbox")
    asked = client.post("/console/inbox/bulk", data={
        "csrf_token": token, "queue": "unassigned", "action": "assign", "assignee": "manager",
        "reference": both}, query_string={"lang": "en"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Assign these 2 reports to manager:" in page
    assert all(ref in page for ref in both) and 'name="confirm" value="1"' in page
    assert audit_actions(engine) == []   # nothing changed yet
    done = client.post("/console/inbox/bulk", data={
        "csrf_token": token, "queue": "unassigned", "action": "assign", "assignee": "manager",
        "reference": both, "confirm": "1"})
    assert done.headers["Location"] == "/console/inbox?queue=unassigned"
    assert audit_actions(engine) == [("assigned", both[0]), ("assigned", both[1])]
    manager = signed_in("manager").get("/console/inbox").get_data(as_text=True)
    assert queue_counts(manager)["mine"] == "2"
    again = client.get("/console/inbox?queue=unassigned&lang=en").get_data(as_text=True)
    assert "Assigned 2; 0 left as they were." in again and queue_counts(again)["unassigned"] == "0"


def test_bulk_acknowledge_leaves_reports_that_moved_on(signed_in, reported_call, place_call,
                                                       engine) -> None:
    place_call("1", "1", "1", "r20", "2")
    client = signed_in("operator")
    first, second = references(engine)
    post(client, f"/console/reports/{first}/status", {"to": "acknowledged", "expected": "new"})
    token = csrf_token(client, "/console/inbox")
    client.post("/console/inbox/bulk", data={
        "csrf_token": token, "action": "acknowledge", "reference": [first, second],
        "confirm": "1"})
    assert audit_actions(engine) == [("status_changed", first), ("status_changed", second)]
    page = client.get("/console/inbox").get_data(as_text=True)
    assert "已确认收悉 1 条，1 条保持不变。" in page
    nothing = client.post("/console/inbox/bulk", data={
        "csrf_token": token, "action": "acknowledge"}, query_string={"lang": "en"})
    assert nothing.status_code == 302 and audit_actions(engine)[2:] == []


def test_one_form_changes_status_assignee_and_note_together(signed_in, reported_call,
                                                            engine) -> None:
    client = signed_in("operator")
    reference = references(engine)[0]
    page = client.get(f"/console/calls/{reported_call.call_sid}?lang=en").get_data(as_text=True)
    assert page.count('class="work-form"') == 1 and "/status" not in page
    done = post(client, f"/console/reports/{reference}/work", {
        "expected": "new", "to": "acknowledged", "assignee": "operator",
        "note": "Called back; the caller confirmed."}, page="/console/inbox")
    assert done.status_code == 302
    assert audit_actions(engine) == [("status_changed", reference), ("assigned", reference),
                                     ("note_added", reference)]
    # A refused part refuses the whole: closing needs a reason, so the note is not added.
    refused = post(client, f"/console/reports/{reference}/work", {
        "expected": "acknowledged", "to": "closed", "assignee": "manager",
        "note": "should not stay"}, page="/console/inbox")
    assert refused.status_code == 302
    with engine.connect() as connection:
        report = connection.execute(select(Report.follow_up, Report.assignee_id)).one()
        notes = list(connection.execute(select(ReportActivity.body).where(
            ReportActivity.kind == "note")).scalars())
    assert report.follow_up == "acknowledged" and notes == ["Called back; the caller confirmed."]
    assert len(audit_actions(engine)) == 3


def test_the_report_page_puts_the_reports_first(signed_in, reported_call, engine) -> None:
    client = signed_in("operator")
    reference = references(engine)[0]
    opened = client.get(f"/console/reports/{reference}?queue=unassigned")
    assert opened.headers["Location"] == (f"/console/calls/{reported_call.call_sid}"
                                          f"?queue=unassigned#report-{reference}")
    page = client.get(opened.headers["Location"].split("#")[0] + "&lang=en").get_data(
        as_text=True)
    assert page.index('class="report') < page.index('<details class="call-details">') \
        < page.index('class="timeline"')
    assert "CST" not in page and "2023-06-01 10:00 +08:00" in page
    # An empty history is a sentence, not a numbered list of one.
    assert '<p class="muted no-history">' in page and "Unassigned" in page


def test_no_player_when_the_audio_cannot_be_played(signed_in, reported_call, console,
                                                   engine) -> None:
    from console.recordings.media import RecordingMedia

    reference = references(engine)[0]
    client = signed_in("operator")
    page = client.get(f"/console/calls/{reported_call.call_sid}?lang=en").get_data(as_text=True)
    assert f'id="audio-{reference}"' in page
    console.media = RecordingMedia(None, None)   # no Twilio credentials on this server
    page = client.get(f"/console/calls/{reported_call.call_sid}?lang=en").get_data(as_text=True)
    assert "<audio" not in page
    assert re.search(r'class="muted no-player" data-why="media_not_configured">'
                     r"Recordings cannot be fetched", page)


def test_the_favicon_is_served_and_linked(client) -> None:
    asked = client.get("/favicon.ico")
    assert asked.status_code == 301
    icon = client.get(asked.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    login = client.get("/console/login").get_data(as_text=True)
    assert 'rel="icon" href="/console/static/favicon.svg"' in login

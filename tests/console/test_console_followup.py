"""Following a report up: statuses, reasons, assignment, notes, overdue, the audit trail."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from console_helpers import post
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from db.audit import mask_number
from db.models import Report
from db.user_models import AuditEvent, ReportActivity
from hotline.cli import main


def reference_of(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(select(Report.reference)).scalar_one()


def follow_up_of(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(select(Report.follow_up)).scalar_one()


def move(client, reference: str, to: str, expected: str, reason: str = ""):  # type: ignore[no-untyped-def]
    return post(client, f"/console/reports/{reference}/status",
                {"to": to, "expected": expected, "reason": reason})


def test_done_when_journey(signed_in, reported_call, engine, settings) -> None:
    """Find the call by its reference, play it, acknowledge it with a note, see it exported."""
    client = signed_in("operator")
    reference = reference_of(engine)
    found = client.get(f"/console/find?reference={reference}")
    assert found.headers["Location"] == (f"/console/calls/{reported_call.call_sid}"
                                         f"#report-{reference}")
    assert client.get(f"/console/reports/{reference}/audio").status_code == 200
    assert move(client, reference, "acknowledged", "new").status_code == 302
    post(client, f"/console/reports/{reference}/notes", {"body": "Acknowledged by phone."})
    page = client.get(f"/console/calls/{reported_call.call_sid}?lang=en").get_data(as_text=True)
    assert 'data-status="acknowledged"' in page
    assert "Acknowledged by phone." in page and "new → acknowledged" in page
    exported = client.get("/console/calls.csv").get_data(as_text=True).splitlines()
    assert exported[0].endswith(",references,follow_ups")
    assert exported[1].endswith(f",{reference},acknowledged")
    cli = CliRunner().invoke(main, ["export", "calls", "--format", "json"], env={
        "HOTLINE_DATABASE_URL": settings.database_url,
        "HOTLINE_CAMPAIGNS": str(settings.campaigns_path)})
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)[0]["reports"][0]["follow_up"] == "acknowledged"
    with engine.connect() as connection:
        actions = list(connection.execute(select(AuditEvent.action).where(
            AuditEvent.actor == "operator").order_by(AuditEvent.id)).scalars())
    assert actions == ["sign_in", "recording_played", "status_changed", "note_added",
                       "call_viewed", "export"]


def test_the_console_export_is_the_command_line_export(signed_in, place_call, clock,
                                                       settings) -> None:
    place_call("1", "3", "1", "r30", "2")
    clock.advance(3600)
    place_call("2", "5", "2", "r12", "1", "9", "-", "2", from_number="+85291234567")
    clock.set_local("2023-06-01 20:00")
    place_call(from_number="+14155550123")
    console = signed_in("manager").get("/console/calls.csv?since=2023-06-01&until=2023-06-01")
    assert console.headers["Content-Disposition"].startswith("attachment;")
    cli = CliRunner().invoke(main, ["export", "calls", "--format", "csv", "--since",
                                    "2023-06-01", "--until", "2023-06-01"], env={
        "HOTLINE_DATABASE_URL": settings.database_url,
        "HOTLINE_CAMPAIGNS": str(settings.campaigns_path)})
    assert cli.exit_code == 0
    # The same file, but the console's never holds a whole calling number.
    masked = list(csv.DictReader(io.StringIO(cli.output)))
    for row in masked:
        row["from"] = mask_number(row["from"])
    assert list(csv.DictReader(io.StringIO(console.get_data(as_text=True)))) == masked
    assert len(masked) == 3 and "+85291234567" in cli.output
    assert "+85291234567" not in console.get_data(as_text=True)


def test_the_statuses_go_in_order_and_need_reasons(signed_in, reported_call, engine) -> None:
    client = signed_in("operator")
    reference = reference_of(engine)
    move(client, reference, "closed", "new", "spam")
    assert follow_up_of(engine) == "new"  # a new report must be acknowledged first
    move(client, reference, "acknowledged", "new")
    move(client, reference, "in_review", "acknowledged")
    refused = move(client, reference, "closed", "in_review")
    assert "须填写理由" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert follow_up_of(engine) == "in_review"
    move(client, reference, "referred", "in_review", "Handed to the city commission.")
    assert follow_up_of(engine) == "referred"
    page = client.get(f"/console/calls/{reported_call.call_sid}?lang=en").get_data(as_text=True)
    assert "Handed to the city commission." in page


def test_a_stale_status_form_is_refused(signed_in, reported_call, engine) -> None:
    first, second = signed_in("operator"), signed_in("manager")
    reference = reference_of(engine)
    assert move(first, reference, "acknowledged", "new").status_code == 302
    response = move(second, reference, "acknowledged", "new")
    message = second.get(response.headers["Location"]).get_data(as_text=True)
    assert "其他人刚刚更改了此举报的状态" in message
    with engine.connect() as connection:
        assert connection.execute(select(ReportActivity.kind)).scalars().all() == ["status"]


def test_assignment_and_the_mine_filter(signed_in, reported_call, place_call, engine) -> None:
    client = signed_in("operator")
    place_call("1", "2", "1", "r10", "2")  # a second call nobody is assigned to
    with engine.connect() as connection:
        first = connection.execute(select(Report.reference).order_by(Report.id)).scalars() \
            .first()
    post(client, f"/console/reports/{first}/assignee", {"assignee": "operator"})
    mine = client.get("/console/calls?mine=1").get_data(as_text=True)
    assert first in mine and mine.count('class="ref"') == 1
    refused = post(client, f"/console/reports/{first}/assignee", {"assignee": "admin"})
    assert "只能指派给启用的接线员或主管" in client.get(refused.headers["Location"]) \
        .get_data(as_text=True)


def test_overdue_reports_stand_out(signed_in, reported_call, clock, engine) -> None:
    client = signed_in("operator")
    reference = reference_of(engine)
    assert 'class="overdue"' not in client.get("/console/calls").get_data(as_text=True)
    clock.advance(8 * 24 * 3600)  # the acknowledgement was due after 7 days
    # A session lasts a working day: eight days on, the operator signs in again.
    assert client.get("/console/calls").status_code == 302
    client = signed_in("operator")
    listing = client.get("/console/calls?lang=en").get_data(as_text=True)
    assert '<tr class="overdue">' in listing and "acknowledgement overdue" in listing
    overdue_only = client.get("/console/calls?follow_up=overdue").get_data(as_text=True)
    assert reference in overdue_only
    detail = client.get(f"/console/calls/{reported_call.call_sid}").get_data(as_text=True)
    assert 'class="report overdue"' in detail
    move(client, reference, "acknowledged", "new")
    assert reference not in client.get("/console/calls?follow_up=overdue").get_data(
        as_text=True)
    assert signed_in("manager").get("/console/stats").status_code == 200


def test_notes_and_the_audit_log_are_append_only(signed_in, reported_call, engine) -> None:
    client = signed_in("operator")
    reference = reference_of(engine)
    post(client, f"/console/reports/{reference}/notes", {"body": "first note"})
    statements = ["UPDATE report_activity SET body = 'rewritten'",
                  "UPDATE audit_events SET actor = 'someone else'",
                  "DELETE FROM audit_events", "DELETE FROM audit_events WHERE action = 'sign_in'"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(select(ReportActivity.body)).scalar_one() == "first note"


def test_admins_read_and_filter_the_audit_log(signed_in, reported_call, engine) -> None:
    operator = signed_in("operator")
    reference = reference_of(engine)
    move(operator, reference, "acknowledged", "new")
    admin = signed_in("admin")
    everything = admin.get("/console/admin/audit?lang=en").get_data(as_text=True)
    assert "status changed" in everything and "signed in" in everything
    only = admin.get("/console/admin/audit?action=status_changed&lang=en").get_data(
        as_text=True)
    assert only.count('data-action="status_changed"') == 1
    assert 'data-action="sign_in"' not in only and "new → acknowledged" in only
    by_actor = admin.get("/console/admin/audit?actor=admin").get_data(as_text=True)
    assert 'data-action="sign_in"' in by_actor and "status_changed" not in by_actor.split(
        "<tbody>")[1]
    assert admin.get("/console/admin/audit?since=2023-06-02").get_data(as_text=True).count(
        "data-action=") == 0

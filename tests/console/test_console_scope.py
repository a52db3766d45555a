"""Scoped access: a user limited to some campaigns gets "not found" for everything of
another campaign (its calls, reports, recordings, added messages and days), and its
lists, counts, searches, exports and figures leave the other campaign out."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import time

import pytest
from console_helpers import FAST_HASHER, PASSWORD, csrf_token, post, run_cli, sign_in
from sqlalchemy import select

from campaign.model import Campaigns
from db.models import Call, Report, ReportAddition
from db.user_models import AuditEvent, User

OTHER_NUMBER = "+8675583001234"  # the second campaign's line (Shenzhen)
DAILY = {"report_time": time(17, 45), "report_to": ("lead@example.org",)}


@pytest.fixture
def campaigns(campaigns: Campaigns) -> Campaigns:
    """The seed campaign and a second one on another number, both with daily reports."""
    seed = next(iter(campaigns))
    return Campaigns.of([replace(seed, **DAILY),
                         replace(seed, id="sz-2023", numbers=(OTHER_NUMBER,), **DAILY)])


@dataclass(frozen=True)
class Placed:
    call_sid: str
    reference: str
    addition_id: int
    unmatched_id: int


def _place(place_call, engine, to_number: str, campaign_id: str) -> Placed:  # type: ignore[no-untyped-def]
    call = place_call("1", "3", "1", "r30", "2", to_number=to_number)
    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference).where(
            Report.campaign_id == campaign_id)).scalar_one()
    place_call("1", "#", reference + "#", "1", "r20", "2", to_number=to_number)
    with engine.begin() as connection:
        addition_id = connection.execute(select(ReportAddition.id).where(
            ReportAddition.campaign_id == campaign_id)).scalar_one()
        # A message whose reference matched nothing (left while the database was away).
        call_id, at = connection.execute(select(Call.id, Call.started_at).where(
            Call.call_sid == call.call_sid)).one()
        unmatched_id = connection.execute(ReportAddition.__table__.insert().values(
            call_id=call_id, number=9, reference="000000000", campaign_id=campaign_id,
            recording_sid="RE" + campaign_id.replace("-", "").ljust(32, "0"),
            recording_status="completed", recording_seconds=5, at=at)).inserted_primary_key[0]
    return Placed(call.call_sid, reference, addition_id, unmatched_id)


@pytest.fixture
def two_campaigns(place_call, engine, clock, twilio):  # type: ignore[no-untyped-def]
    ours = _place(place_call, engine, "+862087756920", "gz-2023")
    clock.advance(600)
    theirs = _place(place_call, engine, OTHER_NUMBER, "sz-2023")
    return ours, theirs


@pytest.fixture
def limited(app, users, engine, clock, campaigns):  # type: ignore[no-untyped-def]
    """limited("operator") → a client of a user of that role who sees only gz-2023."""
    from console.accounts import add_user
    from db import scope
    from db.engine import make_session_factory

    def make(role: str):  # type: ignore[no-untyped-def]
        name = f"gz-{role}"
        with make_session_factory(engine).begin() as session:
            user = add_user(session, name, role, PASSWORD, at=clock(), hasher=FAST_HASHER)
            scope.set_campaigns(session, user, ["gz-2023"], known=campaigns.by_id, at=clock())
        client = app.test_client()
        assert sign_in(client, name).status_code == 302
        return client

    return make


# Every console route that names one thing of a campaign, and how a scoped user tries it.
# (method, path, role, form)
BY_ID = [
    ("GET", "/console/calls/{sid}", "operator", None),
    ("POST", "/console/calls/{sid}/number", "manager", {"reason": "a court order"}),
    ("GET", "/console/reports/{ref}", "operator", None),
    ("POST", "/console/reports/{ref}/work", "operator", {"to": "acknowledged",
                                                         "expected": "new", "note": "seen"}),
    ("GET", "/console/reports/{ref}/audio", "operator", None),
    ("POST", "/console/reports/{ref}/status", "operator", {"to": "acknowledged",
                                                           "expected": "new"}),
    ("POST", "/console/reports/{ref}/notes", "operator", {"body": "called back"}),
    ("POST", "/console/reports/{ref}/assignee", "operator", {"assignee": "operator"}),
    ("POST", "/console/reports/{ref}/reply", "operator", {"reply": "Thank you.",
                                                          "language": "cmn"}),
    ("POST", "/console/reports/{ref}/original", "manager", {"reason": "a court order"}),
    ("GET", "/console/reports/{ref}/original/audio", "manager", None),
    ("POST", "/console/reports/{ref}/hold", "manager", {"reason": "a court order"}),
    ("GET", "/console/additions/{addition}/audio", "operator", None),
    ("GET", "/console/additions/{unmatched}/audio", "operator", None),
    ("GET", "/console/daily-reports/{campaign}/2023-06-01", "manager", None),
    ("POST", "/console/daily-reports/{campaign}/2023-06-01/send", "manager", {}),
]


def _path(template: str, placed: Placed, campaign: str) -> str:
    return template.format(sid=placed.call_sid, ref=placed.reference,
                           addition=placed.addition_id, unmatched=placed.unmatched_id,
                           campaign=campaign)


def test_every_route_of_one_thing_is_tried(app) -> None:
    """A new route naming a call, report, recording or day joins BY_ID (and the test)."""
    named = {(method, rule.rule) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("console.") and rule.arguments & {
                 "call_sid", "reference", "addition_id", "campaign_id"}
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    tried = {(method, path.replace("{sid}", "<call_sid>").replace("{ref}", "<reference>")
              .replace("{addition}", "<int:addition_id>")
              .replace("{unmatched}", "<int:addition_id>")
              .replace("{campaign}/2023-06-01", "<campaign_id>/<day_text>"))
             for method, path, _role, _form in BY_ID}
    assert named == tried


def test_another_campaigns_things_are_not_found(limited, signed_in, two_campaigns,
                                                engine) -> None:
    ours, theirs = two_campaigns
    clients = {role: limited(role) for role in ("operator", "manager")}
    unlimited = {role: signed_in(role) for role in ("operator", "manager")}
    wrong = []
    for method, template, role, form in BY_ID:
        for who, placed, campaign, expected in (
                (clients, theirs, "sz-2023", {404}),
                # The same route on the user's own campaign is no 404 (the test can fail).
                (clients, ours, "gz-2023", None)):
            path = _path(template, placed, campaign)
            client = who[role]
            if method == "POST":
                response = post(client, path, form, page="/console/calls")
            else:
                response = client.get(path)
            response.close()
            if expected is not None and response.status_code not in expected:
                wrong.append(f"{method} {path} ({role}): {response.status_code}")
            if expected is None and response.status_code == 404 and "original" not in path \
                    and "audio" not in path:
                wrong.append(f"{method} {path} ({role}) on its own campaign: 404")
    assert not wrong, "\n".join(wrong)
    # Nothing was changed in the other campaign by the attempts.
    with engine.connect() as connection:
        report = connection.execute(select(Report).where(
            Report.reference == theirs.reference)).one()
        assert report.follow_up == "new" and report.assignee_id is None
        assert report.reply_text is None
    # An unlimited user still opens the other campaign's call.
    assert unlimited["operator"].get(f"/console/calls/{theirs.call_sid}").status_code == 200


def test_another_campaigns_reference_is_not_found_by_find(limited, two_campaigns) -> None:
    ours, theirs = two_campaigns
    client = limited("operator")
    found = client.get(f"/console/find?reference={ours.reference}")
    assert found.headers["Location"].startswith(f"/console/calls/{ours.call_sid}")
    hidden = client.get(f"/console/find?reference={theirs.reference}", follow_redirects=True)
    assert f"没有编号为 {theirs.reference} 的举报" in hidden.get_data(as_text=True)


def _rows(html: str) -> int:
    return html.count('<td data-label="来电时间">')


def test_lists_counts_searches_exports_and_figures_leave_the_other_campaign_out(
        limited, signed_in, two_campaigns) -> None:
    ours, theirs = two_campaigns
    operator, manager = limited("operator"), limited("manager")
    listing = operator.get("/console/calls").get_data(as_text=True)
    assert ours.call_sid in listing and theirs.call_sid not in listing
    # Two calls each campaign (the report and the follow-up); the counts are ours only.
    assert _rows(listing) == 2 and "全部 <b>2</b>" in listing
    picked = operator.get("/console/calls?campaign=sz-2023").get_data(as_text=True)
    assert theirs.call_sid not in picked and "sz-2023</option>" not in picked
    for filters in ("?since=2023-06-01&until=2023-06-01", "?outcome=reported",
                    "?category=integrity", "?follow_up=new", "?scope=in"):
        page = operator.get("/console/calls" + filters).get_data(as_text=True)
        assert ours.call_sid in page and theirs.call_sid not in page, filters
    posted = operator.post("/console/calls/search", data={
        "csrf_token": csrf_token(operator, "/console/calls"), "q": theirs.reference})
    searched = operator.get(posted.headers["Location"]).get_data(as_text=True)
    assert _rows(searched) == 0 and theirs.call_sid not in searched
    exported = operator.get("/console/calls.csv").get_data(as_text=True)
    assert ours.call_sid in exported and theirs.call_sid not in exported
    assert theirs.reference not in exported
    unmatched = operator.get("/console/additions/unmatched").get_data(as_text=True)
    assert unmatched.count('class="unmatched"') == 1 and "sz-2023" not in unmatched
    stats = manager.get("/console/stats").get_data(as_text=True)
    everyone = signed_in("manager").get("/console/stats").get_data(as_text=True)
    assert '<p class="total">全部: 2</p>' in stats and '<p class="total">全部: 4</p>' in everyone
    days = manager.get("/console/daily-reports").get_data(as_text=True)
    assert "/daily-reports/gz-2023/" in days and "/daily-reports/sz-2023/" not in days
    # The unlimited see both campaigns.
    both = signed_in("operator").get("/console/calls").get_data(as_text=True)
    assert ours.call_sid in both and theirs.call_sid in both


def test_the_inbox_its_counts_and_bulk_actions_leave_the_other_campaign_out(
        limited, signed_in, two_campaigns, engine) -> None:
    ours, theirs = two_campaigns
    operator = limited("operator")
    for queue in ("all", "unassigned", "new_info"):
        page = operator.get(f"/console/inbox?queue={queue}").get_data(as_text=True)
        assert theirs.reference not in page, queue
    assert ours.reference in operator.get("/console/inbox?queue=all").get_data(as_text=True)
    counts = operator.get("/console/inbox/counts").get_json()
    everyone = signed_in("operator").get("/console/inbox/counts").get_json()
    assert counts["queues"]["all"] == 1 and everyone["queues"]["all"] == 2
    assert counts["new"] == 1 and everyone["new"] == 2
    # A bulk action naming the other campaign's report leaves it as it was.
    operator.post("/console/inbox/bulk", data={
        "csrf_token": csrf_token(operator, "/console/inbox"), "action": "acknowledge",
        "reference": [ours.reference, theirs.reference], "confirm": "1"})
    with engine.connect() as connection:
        states = dict(connection.execute(select(Report.reference, Report.follow_up)).all())
    assert states == {ours.reference: "acknowledged", theirs.reference: "new"}


def test_the_charts_count_only_the_campaigns_a_manager_may_see(limited, signed_in,
                                                              two_campaigns, clock) -> None:
    clock.advance(60)  # the charts count up to now; the last calls began at this moment
    def by_day(client) -> str:  # type: ignore[no-untyped-def]
        page = client.get("/console/stats?since=2023-06-01&until=2023-06-01")
        table = page.get_data(as_text=True).split('id="chart-calls-by-day"')[1].split("</table>")[0]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.split("<tbody>")[1])).strip()

    # Two calls a campaign that day: all reported, none turned away.
    manager = limited("manager")
    assert by_day(manager) == "2023-06-01 2 0"
    assert by_day(signed_in("manager")) == "2023-06-01 4 0"
    # The manager's home charts the same way.
    home = manager.get("/console/inbox").get_data(as_text=True)
    assert 'id="manager-home"' in home and 'data-chart="calls-by-day"' in home


def _limits(engine) -> list[tuple[str | None, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(  # type: ignore[misc]
            select(AuditEvent.target, AuditEvent.detail)
            .where(AuditEvent.action == "campaigns_limited").order_by(AuditEvent.id))]


def test_an_admin_limits_a_user_in_the_console(signed_in, two_campaigns, engine) -> None:
    _ours, theirs = two_campaigns
    admin, operator = signed_in("admin"), signed_in("operator")
    assert theirs.call_sid in operator.get("/console/calls").get_data(as_text=True)
    page = admin.get("/console/admin/users").get_data(as_text=True)
    assert 'action="/console/admin/users/operator/campaigns"' in page
    saved = post(admin, "/console/admin/users/operator/campaigns", {"campaign": "gz-2023"},
                 page="/console/admin/users")
    assert saved.status_code == 302
    # At once, without signing in again.
    assert operator.get(f"/console/calls/{theirs.call_sid}").status_code == 404
    assert "gz-2023" in admin.get("/console/admin/users").get_data(as_text=True)
    refused = post(admin, "/console/admin/users/operator/campaigns", {"campaign": "nope"},
                   page="/console/admin/users")
    assert "该专项不存在" in admin.get(refused.headers["Location"]).get_data(as_text=True)
    post(admin, "/console/admin/users/operator/campaigns", {}, page="/console/admin/users")
    assert operator.get(f"/console/calls/{theirs.call_sid}").status_code == 200
    assert _limits(engine) == [("operator", "gz-2023"), ("operator", "all campaigns")]
    assert post(admin, "/console/admin/users/nobody/campaigns", {"campaign": "gz-2023"},
                page="/console/admin/users").status_code == 404


run = run_cli


def test_the_command_line_limits_users(settings, app, engine, console) -> None:
    added = run(settings, "users", "add", "zhao", "--role", "operator", "--campaign",
                "gz-2023", "--password-stdin", stdin="a long enough secret\n")
    assert added.exit_code == 0, added.output
    assert added.output == "added zhao (operator, campaigns gz-2023)\n"
    assert run(settings, "users", "list").output == "zhao\toperator\tactive\tgz-2023\n"
    unknown = run(settings, "users", "add", "qian", "--role", "operator", "--campaign",
                  "sz-2099", "--password-stdin", stdin="a long enough secret\n")
    assert unknown.exit_code == 2 and "no campaign 'sz-2099' is configured" in unknown.output
    with engine.connect() as connection:
        assert connection.execute(select(User.name)).scalars().all() == ["zhao"]
    lifted = run(settings, "users", "campaigns", "zhao", "--all")
    assert lifted.exit_code == 0 and lifted.output == "zhao sees every campaign\n"
    assert run(settings, "users", "list").output == "zhao\toperator\tactive\tall campaigns\n"
    assert run(settings, "users", "campaigns", "zhao").exit_code == 2
    assert run(settings, "users", "campaigns", "nobody", "--campaign", "gz-2023"
               ).exit_code == 2
    assert _limits(engine) == [("zhao", "gz-2023"), ("zhao", "all campaigns")]

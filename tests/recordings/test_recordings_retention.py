"""Retention: after a campaign's retention period its recordings (here and at Twilio),
callers' numbers and notes go; its figures stay; reports on legal hold are skipped."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from click.testing import CliRunner
from recordings_double import ACCOUNT_SID, AUTH_TOKEN
from sqlalchemy import select

from db.engine import make_session_factory
from db.models import Call, Report
from db.user_models import AuditEvent, ReportActivity
from hotline.cli import main
from recordings.fetch import fetch_due
from reports.figures import campaign_figures
from tests.helpers import csrf_token, row_of


@pytest.fixture
def cli_env(settings, monkeypatch, double):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(settings.campaigns_path))
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.delenv("HOTLINE_RECORDINGS_DIR", raising=False)
    monkeypatch.delenv("HOTLINE_RECORDINGS_KEY", raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("HOTLINE_TWILIO_API", double.url)


def figures(engine, campaigns, clock) -> dict:  # type: ignore[no-untyped-def,type-arg]
    campaign = next(iter(campaigns))
    with make_session_factory(engine)() as session:
        return dataclasses.asdict(campaign_figures(session, campaign, date(2023, 6, 1), clock()))


def test_retention_purges_recordings_and_numbers_keeps_figures_and_holds(
        reported, fetcher, double, engine, store, signed_in, campaigns, clock, cli_env
        ) -> None:
    home = reported(4, from_number="+8613800000001")
    stuck = reported(5, from_number="+8613800000002")
    held = reported(6, from_number="+8613800000003")
    double.faults[stuck.recording_sid] = ["500"] * 10  # never comes home
    fetch_due(fetcher)
    assert row_of(engine, home.recording_sid).state == "deleted"
    assert row_of(engine, stuck.recording_sid).state == "failed"
    manager = signed_in("manager")
    for report, note in ((home, "caller sounded worried"), (held, "matches case 17")):
        page = f"/console/calls/{report.call_sid}"
        manager.post(f"/console/reports/{report.reference}/notes",
                     data={"csrf_token": csrf_token(manager, page), "body": note})
    page = f"/console/calls/{held.call_sid}?lang=en"
    manager.post(f"/console/reports/{held.reference}/hold", data={
        "csrf_token": csrf_token(manager, page), "action": "place",
        "reason": "prosecutor's preservation request"})
    shown = manager.get(page).get_data(as_text=True)
    assert "placed by manager" in shown and "prosecutor&#39;s preservation request" in shown
    assert "2024-07-26 (365 days after closing)" in shown  # the campaign's purge date
    before = figures(engine, campaigns, clock)
    held_row = row_of(engine, held.recording_sid)

    dry = CliRunner().invoke(main, ["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert ("gz-2023: would purge 2 recording(s), 2 caller number(s), 1 note(s); "
            "1 report(s) on legal hold kept") in dry.output
    assert row_of(engine, home.recording_sid).state == "deleted"  # nothing changed

    done = CliRunner().invoke(main, ["retention"])
    assert done.exit_code == 0, done.output
    assert "gz-2023: purged 2 recording(s), 2 caller number(s), 1 note(s)" in done.output
    # Recordings gone: the sealed files here, and the copy still at Twilio.
    assert row_of(engine, home.recording_sid).state == "purged"
    assert row_of(engine, stuck.recording_sid).state == "purged"
    assert stuck.recording_sid not in double.recordings
    remaining = {p.name for p in store.root.rglob("*.sealed")}
    assert remaining == {store.path_of(held_row.original_file).name,
                         store.path_of(held_row.disguised_file).name}
    with make_session_factory(engine)() as session:
        numbers = dict(session.execute(select(Call.call_sid, Call.from_number)).all())
        notes = session.scalars(select(ReportActivity.body)).all()
        audit = session.execute(select(AuditEvent.actor, AuditEvent.target, AuditEvent.detail)
                                .where(AuditEvent.action == "retention_purged")).all()
        hold_lines = session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "legal_hold_placed")).all()
        reports = session.scalars(select(Report.category)).all()
    assert numbers == {home.call_sid: None, stuck.call_sid: None,
                       held.call_sid: "+8613800000003"}
    assert notes == ["matches case 17"]
    assert audit == [("(command line)", "gz-2023",
                      "recordings=2 numbers=2 notes=1 held=1 twilio_pending=0")]
    assert hold_lines == ["prosecutor's preservation request"]
    assert len(reports) == 3
    # The figures of the campaign's past days still add up to what they were.
    assert figures(engine, campaigns, clock) == before
    # The held report still plays; the purged ones say why they do not.
    assert manager.get(f"/console/reports/{held.reference}/audio").status_code == 200
    gone = manager.get(f"/console/reports/{home.reference}/audio?lang=en")
    assert gone.status_code == 410 and "retention period is over" in gone.get_data(as_text=True)
    # A second run finds nothing left and writes no second audit line.
    again = CliRunner().invoke(main, ["retention"])
    assert "purged 0 recording(s), 0 caller number(s), 0 note(s)" in again.output
    with make_session_factory(engine)() as session:
        assert len(session.scalars(select(AuditEvent.id).where(
            AuditEvent.action == "retention_purged")).all()) == 1


def test_a_campaign_inside_its_retention_period_is_kept(reported, fetcher, engine, campaigns,
                                                       clock, store) -> None:
    from recordings.retention import plan, purge

    report = reported(3)
    fetch_due(fetcher)
    sessions = make_session_factory(engine, writer=True)
    clock.set_local("2024-07-25 23:59")  # 364 days and a minute after the last day
    assert plan(sessions, campaigns, clock()) == []
    assert purge(sessions, campaigns, store, None, clock()) == []
    assert row_of(engine, report.recording_sid).state == "deleted"
    clock.set_local("2024-07-26 00:00")
    (result,) = purge(sessions, campaigns, store, None, clock())
    assert (result.recordings, result.numbers) == (1, 1)
    assert not list(store.root.rglob("*.sealed"))


def test_releasing_a_hold_is_audited(reported, signed_in, engine) -> None:
    report = reported(3)
    manager = signed_in("manager")
    page = f"/console/calls/{report.call_sid}?lang=en"
    manager.post(f"/console/reports/{report.reference}/hold", data={
        "csrf_token": csrf_token(manager, page), "action": "place", "reason": "appeal"})
    manager.post(f"/console/reports/{report.reference}/hold", data={
        "csrf_token": csrf_token(manager, page), "action": "release"})
    assert "Place on legal hold" in manager.get(page).get_data(as_text=True)
    with make_session_factory(engine)() as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.target == report.reference).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("legal_hold")] == [
        "legal_hold_placed", "legal_hold_released"]
    operator = signed_in("operator")
    refused = operator.post(f"/console/reports/{report.reference}/hold", data={
        "csrf_token": csrf_token(operator, page), "action": "place", "reason": "x"})
    assert refused.status_code == 403


def test_a_call_to_a_number_of_no_campaign_loses_its_number_after_thirty_days(
        place_call, engine, campaigns, clock, store) -> None:
    from recordings.retention import NO_CAMPAIGN, plan, purge

    misdialled = place_call(to_number="+14155550123", from_number="+8613800000009")
    sessions = make_session_factory(engine, writer=True)

    def number() -> str | None:
        with make_session_factory(engine)() as session:
            return session.scalar(select(Call.from_number).where(
                Call.call_sid == misdialled.call_sid))

    clock.advance(29 * 86400)
    assert all(r.campaign_id != NO_CAMPAIGN for r in purge(sessions, campaigns, store, None,
                                                             clock()))
    assert number() == "+8613800000009"
    clock.advance(2 * 86400)
    (planned,) = [r for r in plan(sessions, campaigns, clock()) if r.campaign_id == NO_CAMPAIGN]
    assert planned.numbers == 1 and number() == "+8613800000009"  # a plan changes nothing
    (done,) = [r for r in purge(sessions, campaigns, store, None, clock())
               if r.campaign_id == NO_CAMPAIGN]
    assert done.numbers == 1 and number() is None
    with make_session_factory(engine)() as session:
        assert session.scalars(select(AuditEvent.target).where(
            AuditEvent.action == "retention_purged")).all() == [NO_CAMPAIGN]
    assert [r for r in purge(sessions, campaigns, store, None, clock())
            if r.campaign_id == NO_CAMPAIGN] == []

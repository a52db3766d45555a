"""Alembic: every revision upgrades a database holding data without losing it, downgrades
cleanly, and the newest schema is exactly what the models say (no drift).

Each revision after the first has an upgrade test below (SecureDrop's model): it
loads data into the schema just before the revision, upgrades, and checks the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from db import migrate
from db.schema import metadata

STARTED = datetime(2023, 6, 1, 2, 0, 0)  # naive UTC, as stored


@dataclass(frozen=True)
class UpgradeTest:
    load: Callable[[Connection], None]
    check: Callable[[Connection], None]


def _load_0001(connection: Connection) -> None:
    connection.execute(text(
        "INSERT INTO calls (id, call_sid, campaign_id, from_number, to_number, started_at, "
        "status, referred, transferred, outcome) VALUES (1, :sid, 'gz-2023', '+8613800138000', "
        "'+862087756920', :started, 'completed', false, false, 'reported')"),
        {"sid": "CA" + "1" * 32, "started": STARTED})
    connection.execute(text(
        "INSERT INTO reports (id, call_id, number, reference, category, subject, recording_sid, "
        "recording_seconds, recording_status, created_at, follow_up) VALUES (1, 1, 1, "
        "'41052780', 'integrity', 'city-leadership', :rec, 41, 'completed', :started, 'new')"),
        {"rec": "RE" + "1" * 32, "started": STARTED})


def _check_0002(connection: Connection) -> None:
    row = connection.execute(text(
        "SELECT reference, recording_seconds, acknowledge_due, feedback_due FROM reports")).one()
    assert row.reference == "41052780" and row.recording_seconds == 41
    assert _naive(row.acknowledge_due) == STARTED + timedelta(days=7)
    assert _naive(row.feedback_due) == STARTED + timedelta(days=90)


def _naive(value: object) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        return datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=None)


def _load_0002(connection: Connection) -> None:
    _load_0001(connection)
    connection.execute(text("UPDATE reports SET acknowledge_due = :a, feedback_due = :f"),
                       {"a": STARTED + timedelta(days=7), "f": STARTED + timedelta(days=90)})
    connection.execute(text(
        "INSERT INTO call_events (id, call_id, step_no, step, result, digits, at) "
        "VALUES (1, 1, 1, 'language', 'language:cmn', '1', :at)"), {"at": STARTED})


def _check_0003(connection: Connection) -> None:
    # SQLite rebuilds the reports table to add the follow-up columns: nothing is lost.
    _check_0002(connection)
    row = connection.execute(text(
        "SELECT follow_up, follow_up_at, assignee_id, recording_sid FROM reports")).one()
    assert row.follow_up == "new" and row.follow_up_at is None and row.assignee_id is None
    assert row.recording_sid == "RE" + "1" * 32
    assert connection.execute(text("SELECT count(*) FROM call_events")).scalar() == 1
    assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 0


def _check_0004(connection: Connection) -> None:
    _check_0002(connection)
    assert connection.execute(text("SELECT count(*) FROM calls")).scalar() == 1
    assert connection.execute(text("SELECT count(*) FROM daily_reports")).scalar() == 0


def _load_0005(connection: Connection) -> None:
    _load_0002(connection)
    connection.execute(text(
        "INSERT INTO daily_reports (id, campaign_id, day, state, attempts, sends, recipients, "
        "\"trigger\", created_at, sent_at, figures) VALUES (1, 'gz-2023', '2023-06-01', "
        "'sent', 1, 1, 2, 'schedule', :at, :at, '{\"calls\": 1}')"),
        {"at": STARTED + timedelta(hours=8)})


def _check_0006(connection: Connection) -> None:
    _check_0003(connection)
    row = connection.execute(text(
        "SELECT state, sends, figures, smtp_started_at FROM daily_reports")).one()
    assert (row.state, row.sends, row.figures) == ("sent", 1, '{"calls": 1}')
    assert row.smtp_started_at is None
    assert connection.execute(text("SELECT count(*) FROM daily_report_schedules")).scalar() == 0
    indexes = {i["name"] for table in ("calls", "call_events")
               for i in inspect(connection).get_indexes(table)}
    assert {"ix_calls_campaign_started_outcome", "ix_call_events_call_result"} <= indexes


def _load_0007(connection: Connection) -> None:
    _load_0005(connection)
    connection.execute(text(
        "INSERT INTO users (id, name, role, password_hash, active, session_token, created_at, "
        "password_changed_at) VALUES (1, 'lin', 'operator', 'x', true, 't', :at, :at)"),
        {"at": STARTED})
    connection.execute(text(
        "INSERT INTO report_activity (id, report_id, at, author_id, author_name, kind, body) "
        "VALUES (1, 1, :at, 1, 'lin', 'note', 'called back')"), {"at": STARTED})


def _check_0008(connection: Connection) -> None:
    # Existing reports get their call's campaign and start time.
    _check_0002(connection)
    row = connection.execute(text("SELECT campaign_id, call_started_at FROM reports")).one()
    assert row.campaign_id == "gz-2023"
    assert _naive(row.call_started_at) == STARTED
    # SQLite rebuilds reports: the notes that cascade from a report must survive it.
    assert connection.execute(text("SELECT body FROM report_activity")).scalar() == "called back"


def _load_0008(connection: Connection) -> None:
    _load_0005(connection)  # call 1 chose a language only
    connection.execute(text(
        "INSERT INTO calls (id, call_sid, campaign_id, started_at, status, referred, "
        "transferred, outcome) VALUES (2, :sid, 'gz-2023', :at, 'completed', false, false, "
        "'abandoned')"), {"sid": "CA" + "2" * 32, "at": STARTED})
    connection.execute(text(
        "INSERT INTO call_events (id, call_id, step_no, step, result, digits, at) "
        "VALUES (2, 2, 2, 'menu', 'category:integrity', '3', :at)"), {"at": STARTED})


def _check_0009(connection: Connection) -> None:
    # SQLite rebuilds calls: its reports and steps (which cascade from calls) must survive.
    _check_0002(connection)
    assert connection.execute(text("SELECT count(*) FROM call_events")).scalar() == 2
    flags = dict(connection.execute(text("SELECT id, chose_category FROM calls")).all())
    assert {key: bool(value) for key, value in flags.items()} == {1: False, 2: True}


def _check_0011(connection: Connection) -> None:
    # Every report made before 0011 was within the scope (a referral left no report);
    # SQLite rebuilds reports: their notes (which cascade from reports) must survive.
    _check_0002(connection)
    assert connection.execute(text("SELECT body FROM report_activity")).scalar() == "called back"
    assert [bool(v) for v in connection.execute(text("SELECT in_scope FROM reports")).scalars()
            ] == [True]


def _load_0009(connection: Connection) -> None:
    _load_0008(connection)
    connection.execute(text("UPDATE calls SET chose_category = true WHERE id = 2"))
    connection.execute(text("UPDATE reports SET campaign_id = 'gz-2023', call_started_at = "
                            ":at"), {"at": STARTED})


def _check_0013(connection: Connection) -> None:
    # The tallies start from the rows already there, at every level, and move with them.
    _check_0009(connection)
    calls = connection.execute(text(
        "SELECT level, period, outcome, chose_category, calls FROM call_tallies "
        "WHERE level <= 3 ORDER BY level, outcome")).all()  # (the year came in 0021)
    assert [(r.level, r.period, r.outcome, bool(r.chose_category), r.calls) for r in calls] \
        == [(0, "2023-06", "abandoned", True, 1), (0, "2023-06", "reported", False, 1),
            (1, "2023-06-01", "abandoned", True, 1), (1, "2023-06-01", "reported", False, 1),
            (2, "2023-06-01 02", "abandoned", True, 1), (2, "2023-06-01 02", "reported", False, 1),
            (3, "all", "abandoned", True, 1), (3, "all", "reported", False, 1)]
    row = connection.execute(text(
        "SELECT reports, recorded, recorded_seconds FROM report_tallies WHERE level = 1 "
        "AND dimension = 'category' AND value = 'integrity'")).one()
    assert tuple(row) == (1, 1, 41)
    savepoint = connection.begin_nested()
    connection.execute(text("UPDATE calls SET outcome = 'referred' WHERE id = 2"))
    moved = dict(connection.execute(text(
        "SELECT outcome, calls FROM call_tallies WHERE level = 2 AND chose_category = true")).all())
    assert moved == {"abandoned": 0, "referred": 1}
    savepoint.rollback()


def _load_0006(connection: Connection) -> None:
    _load_0005(connection)
    connection.execute(text(
        "INSERT INTO audit_events (id, at, actor, action, target) "
        "VALUES (1, :at, 'operator', 'note_added', '41052780')"), {"at": STARTED})
    connection.execute(text(
        "INSERT INTO report_activity (id, report_id, at, author_name, kind, body) "
        "VALUES (1, 1, :at, 'operator', 'note', 'called back')"), {"at": STARTED})


def _check_0007(connection: Connection) -> None:
    # The audit log refuses DELETE (and TRUNCATE); a report's activity still goes with it.
    _check_0006(connection)
    refused = ["DELETE FROM audit_events", "DELETE FROM audit_events WHERE id = 1"]
    if connection.dialect.name == "postgresql":
        refused.append("TRUNCATE audit_events")
    for statement in refused:
        savepoint = connection.begin_nested()
        try:
            connection.execute(text(statement))
        except DBAPIError as exc:
            assert "append-only" in str(exc), statement
        else:
            raise AssertionError(f"{statement} was allowed")
        finally:
            savepoint.rollback()
    savepoint = connection.begin_nested()
    connection.execute(text("DELETE FROM reports"))
    assert connection.execute(text("SELECT count(*) FROM report_activity")).scalar() == 0
    savepoint.rollback()
    assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
    assert connection.execute(text("SELECT count(*) FROM report_activity")).scalar() == 1


def _check_0012(connection: Connection) -> None:
    # New tables only: the reports (and what hangs off them) are as they were.
    _check_0002(connection)
    assert connection.execute(text("SELECT count(*) FROM call_events")).scalar() == 2
    assert connection.execute(text("SELECT count(*) FROM recording_files")).scalar() == 0
    assert connection.execute(text("SELECT count(*) FROM legal_holds")).scalar() == 0
    connection.execute(text(
        "INSERT INTO legal_holds (report_id, placed_at, placed_by, reason) "
        "VALUES (1, :at, 'lin', 'court order')"), {"at": STARTED})
    savepoint = connection.begin_nested()
    connection.execute(text("DELETE FROM reports"))  # a hold goes with its report
    assert connection.execute(text("SELECT count(*) FROM legal_holds")).scalar() == 0
    savepoint.rollback()
    indexes = {i["name"] for i in inspect(connection).get_indexes("reports")}
    assert "ix_reports_created_at" in indexes


def _check_0014(connection: Connection) -> None:
    # New columns are empty or false, the new table empty; nothing else moved, and the
    # tally triggers of 0013 still keep the tallies (no table was rebuilt).
    _check_0009(connection)
    tally = ("SELECT outcome, SUM(calls) FROM call_tallies WHERE level = 3 GROUP BY outcome "
             "HAVING SUM(calls) > 0")
    assert dict(connection.execute(text(tally)).all()) == {"abandoned": 1, "reported": 1}
    savepoint = connection.begin_nested()
    connection.execute(text(
        "UPDATE calls SET outcome = 'followed_up', followed_up = true WHERE id = 2"))
    assert dict(connection.execute(text(tally)).all()) == {"followed_up": 1, "reported": 1}
    savepoint.rollback()
    calls = connection.execute(text("SELECT followed_up, outcome FROM calls")).all()
    assert calls and all(not followed for followed, _ in calls)
    assert connection.execute(text(
        "SELECT count(*) FROM reports WHERE reply_text IS NOT NULL OR reply_heard_at IS NOT NULL "
        "OR new_info_at IS NOT NULL")).scalar() == 0
    assert connection.execute(text("SELECT count(*) FROM report_additions")).scalar() == 0
    savepoint = connection.begin_nested()
    connection.execute(text(
        "INSERT INTO report_additions (call_id, number, report_id, at) VALUES (1, 1, 1, :at)"),
        {"at": STARTED})
    connection.execute(text("DELETE FROM reports"))  # an addition goes with its report
    assert connection.execute(text("SELECT count(*) FROM report_additions")).scalar() == 0
    savepoint.rollback()
    indexes = {i["name"] for i in inspect(connection).get_indexes("calls")}
    assert "ix_calls_from_started" in indexes


def _load_0014(connection: Connection) -> None:
    _load_0009(connection)
    connection.execute(text(
        "INSERT INTO users (id, name, role, password_hash, active, session_token, created_at, "
        "password_changed_at) VALUES (1, 'lin', 'operator', 'x', true, 't', :at, :at)"),
        {"at": STARTED})


def _check_0015(connection: Connection) -> None:
    # Users stay as they were, with no second factor yet; their recovery codes go with them.
    _check_0014(connection)
    users = connection.execute(text(
        "SELECT name, password_hash, totp_secret, totp_pending, totp_last_step, "
        "totp_enrolled_at FROM users")).all()
    assert [tuple(row) for row in users] == [("lin", "x", None, None, None, None)]
    savepoint = connection.begin_nested()
    connection.execute(text(
        "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (1, 'h', :at)"),
        {"at": STARTED})
    connection.execute(text("DELETE FROM users"))
    assert connection.execute(text("SELECT count(*) FROM recovery_codes")).scalar() == 0
    savepoint.rollback()


def _check_0018(connection: Connection) -> None:
    """The follow-up chart's index exists, and the tallies still follow the reports."""
    _check_0014(connection)
    indexes = {i["name"] for i in inspect(connection).get_indexes("reports")}
    assert "ix_reports_follow_up_at" in indexes


def _load_0016(connection: Connection) -> None:
    _load_0009(connection)
    for minute, (actor, action, target) in enumerate(
            [("lin", "sign_in", None), ("lin", "status_changed", "48291730")]):
        connection.execute(text(
            "INSERT INTO audit_events (at, actor, action, target, address) "
            "VALUES (:at, :actor, :action, :target, '10.0.0.1')"),
            {"at": STARTED + timedelta(minutes=minute), "actor": actor, "action": action,
             "target": target})


def _check_0016(connection: Connection) -> None:
    # The lines already there are chained in id order and verify; the no-UPDATE trigger
    # lifted to chain them is back; the new tables are empty: every user sees every campaign.
    from sqlalchemy.orm import Session

    from db import audit_chain

    _check_0014(connection)
    rows = connection.execute(text("SELECT id, prev_hash, hash FROM audit_events ORDER BY id")
                              ).all()
    assert len(rows) == 2 and rows[0].prev_hash == audit_chain.GENESIS
    assert rows[1].prev_hash == rows[0].hash
    verdict = audit_chain.verify(Session(bind=connection))
    assert verdict.broken is None and verdict.lines == 2 and verdict.head == rows[1].hash
    savepoint = connection.begin_nested()
    try:
        connection.execute(text("UPDATE audit_events SET detail = 'x' WHERE id = 1"))
    except DBAPIError as exc:
        assert "append-only" in str(exc)
    else:
        raise AssertionError("audit_events accepted an UPDATE")
    finally:
        savepoint.rollback()
    for table in ("user_campaigns", "saved_searches"):
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0  # noqa: S608
    indexes = {i["name"] for i in inspect(connection).get_indexes("audit_events")}
    assert "ix_audit_events_target_at" in indexes


def _check_0017(connection: Connection) -> None:
    # Only indexes are added: the rows and 0013's tally triggers are as they were.
    _check_0014(connection)
    indexes = {i["name"] for i in inspect(connection).get_indexes("reports")}
    assert {"ix_reports_created", "ix_reports_assignee_open", "ix_reports_new_info"} <= indexes


def _check_0019(connection: Connection) -> None:
    # The calls by a report's value start from the rows already there, at every level, and
    # a call counts once however many of its reports share the value.
    _check_0017(connection)
    integrity = connection.execute(text(
        "SELECT level, period, outcome, calls FROM call_value_tallies WHERE dimension = "
        "'category' AND value = 'integrity' AND level <= 3 ORDER BY level")).all()
    assert [tuple(row) for row in integrity] == [
        (0, "2023-06", "reported", 1), (1, "2023-06-01", "reported", 1),
        (2, "2023-06-01 02", "reported", 1), (3, "all", "reported", 1)]
    savepoint = connection.begin_nested()
    connection.execute(text(
        "INSERT INTO reports (id, call_id, number, reference, category, created_at, follow_up, "
        "campaign_id, call_started_at) VALUES (9, 1, 2, '99999999', 'integrity', :at, 'new', "
        "'gz-2023', :at)"), {"at": STARTED})
    connection.execute(text("UPDATE calls SET outcome = 'referred' WHERE id = 1"))
    moved = dict(connection.execute(text(
        "SELECT outcome, calls FROM call_value_tallies WHERE level = 3 AND dimension = "
        "'category' AND value = 'integrity'")).all())
    assert moved == {"reported": 0, "referred": 1}
    savepoint.rollback()


def _check_0020(connection: Connection) -> None:
    # The overdue indexes end with the assignee; the rows and the tallies are untouched.
    _check_0019(connection)
    indexes = {i["name"]: i["column_names"] for i in inspect(connection).get_indexes("reports")}
    assert indexes["ix_reports_overdue_acknowledgement"][-1] == "assignee_id"
    assert indexes["ix_reports_overdue_feedback"] == [
        "follow_up", "feedback_due", "campaign_id", "call_started_at", "assignee_id",
        "acknowledge_due"]


def _check_0021(connection: Connection) -> None:
    # Every tally has its year rows, counted from the rows already there, and they move
    # with the facts like the other levels.
    _check_0020(connection)
    years = connection.execute(text(
        "SELECT period, outcome, calls FROM call_tallies WHERE level = 4 ORDER BY outcome"
    )).all()
    assert [tuple(row) for row in years] == [("2023", "abandoned", 1), ("2023", "reported", 1)]
    assert connection.execute(text(
        "SELECT reports FROM report_tallies WHERE level = 4 AND dimension = 'category' "
        "AND value = 'integrity'")).scalar_one() == 1
    assert connection.execute(text(
        "SELECT calls FROM call_value_tallies WHERE level = 4 AND dimension = 'category' "
        "AND value = 'integrity'")).scalar_one() == 1
    savepoint = connection.begin_nested()
    connection.execute(text("UPDATE calls SET outcome = 'referred' WHERE id = 2"))
    moved = dict(connection.execute(text(
        "SELECT outcome, calls FROM call_tallies WHERE level = 4 AND chose_category = true"
    )).all())
    assert moved == {"abandoned": 0, "referred": 1}
    savepoint.rollback()


UPGRADE_TESTS: dict[str, UpgradeTest] = {
    "0002": UpgradeTest(load=_load_0001, check=_check_0002),
    "0003": UpgradeTest(load=_load_0002, check=_check_0003),
    "0004": UpgradeTest(load=_load_0002, check=_check_0004),
    "0006": UpgradeTest(load=_load_0005, check=_check_0006),
    "0007": UpgradeTest(load=_load_0006, check=_check_0007),
    "0008": UpgradeTest(load=_load_0007, check=_check_0008),
    "0009": UpgradeTest(load=_load_0008, check=_check_0009),
    "0011": UpgradeTest(load=_load_0006, check=_check_0011),
    "0012": UpgradeTest(load=_load_0008, check=_check_0012),
    "0013": UpgradeTest(load=_load_0009, check=_check_0013),
    "0014": UpgradeTest(load=_load_0009, check=_check_0014),
    "0015": UpgradeTest(load=_load_0014, check=_check_0015),
    "0018": UpgradeTest(load=_load_0009, check=_check_0018),
    "0016": UpgradeTest(load=_load_0016, check=_check_0016),
    "0017": UpgradeTest(load=_load_0009, check=_check_0017),
    "0019": UpgradeTest(load=_load_0009, check=_check_0019),
    "0020": UpgradeTest(load=_load_0009, check=_check_0020),
    "0021": UpgradeTest(load=_load_0009, check=_check_0021),
}


def _revisions(engine: Engine) -> list[tuple[str, str | None]]:
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    ordered = []
    for revision in reversed(list(script.walk_revisions())):
        down = revision.down_revision
        ordered.append((revision.revision, down if isinstance(down, str) or down is None
                        else None))
    return ordered


def test_every_revision_has_an_upgrade_test(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_engine))
    needing = {r.revision for r in script.walk_revisions()
               if r.down_revision is not None and not r.is_merge_point}
    assert needing == set(UPGRADE_TESTS)


def test_each_revision_keeps_the_data_it_finds(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_engine))
    for revision, test in UPGRADE_TESTS.items():
        down = script.get_revision(revision).down_revision
        assert isinstance(down, str)
        migrate.upgrade(empty_engine, down)
        with empty_engine.begin() as connection:
            test.load(connection)
        migrate.upgrade(empty_engine, revision)
        with empty_engine.connect() as connection:
            test.check(connection)
        migrate.downgrade(empty_engine, "base")


def test_upgrade_downgrade_upgrade(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert migrate.is_up_to_date(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert migrate.current_revisions(empty_engine) == ()
    leftover = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert leftover == set()
    migrate.upgrade(empty_engine)
    assert migrate.is_up_to_date(empty_engine)


def test_the_migrations_build_exactly_the_models(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": migrate.include_name})
        differences = compare_metadata(context, metadata)
    assert differences == []

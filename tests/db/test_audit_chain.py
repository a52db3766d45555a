"""The audit log as a hash chain: every line names the one before it; `hotline audit
verify` finds a line edited, removed or re-sealed in the database (with the triggers
that forbid it lifted); concurrent writers never fork the chain; on PostgreSQL the
runtime role of `hotline db grants` may only add and read lines."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError

from db import audit, audit_chain
from db.engine import make_engine, make_session_factory
from db.user_models import AuditEvent
from hotline.cli import main
from tests.helpers import SEED_CAMPAIGNS, triggers_lifted

AT = datetime(2023, 6, 1, 2, 0, tzinfo=UTC)


def run(engine: Engine, *args: str, url: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env={
        "HOTLINE_DATABASE_URL": url or engine.url.render_as_string(hide_password=False),
        "HOTLINE_CAMPAIGNS": str(SEED_CAMPAIGNS)})


def write_lines(engine: Engine, count: int) -> list[int]:
    with make_session_factory(engine, writer=True).begin() as session:
        for n in range(count):
            audit.status_changed(session, at=AT + timedelta(minutes=n), actor="lin",
                                 reference=f"4829173{n:02d}", before="new",
                                 after="acknowledged", address="10.0.0.1")
    with engine.connect() as connection:
        return list(connection.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars())


@contextlib.contextmanager
def audit_triggers_lifted(engine: Engine) -> Iterator[Connection]:
    """What someone with the database's owner role could do: the audit log's triggers
    off for one transaction."""
    with engine.begin() as connection, triggers_lifted(connection, "%ON audit_events%"):
        yield connection


def test_each_line_names_the_one_before(engine: Engine) -> None:
    ids = write_lines(engine, 3)
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_hash == audit_chain.GENESIS
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    assert len({row.hash for row in rows}) == 3
    verified = run(engine, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.output == f"audit log intact: 3 lines, head {rows[-1].hash}\n"
    assert len(ids) == 3


def test_verify_names_a_line_edited_with_the_triggers_lifted(engine: Engine) -> None:
    ids = write_lines(engine, 5)
    with audit_triggers_lifted(engine) as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE id = :id"),
                           {"id": ids[2]})
    found = run(engine, "audit", "verify")
    assert found.exit_code == 1
    assert f"audit log broken at line {ids[2]} " in found.output
    assert "does not match its hash (edited); 2 lines before it intact" in found.output


def test_verify_finds_a_line_resealed_or_removed(engine: Engine) -> None:
    ids = write_lines(engine, 5)
    # An edit whose own hash is recomputed breaks the link to the next line.
    with engine.connect() as connection:
        row = connection.execute(select(AuditEvent).where(AuditEvent.id == ids[1])).one()
    forged = audit_chain.digest(row.prev_hash, audit_chain.canonical(
        row.at, row.actor, row.action, row.target, "closed → new", row.address))
    with audit_triggers_lifted(engine) as connection:
        connection.execute(text("UPDATE audit_events SET detail = 'closed → new', hash = :hash "
                                "WHERE id = :id"), {"hash": forged, "id": ids[1]})
    resealed = run(engine, "audit", "verify")
    assert resealed.exit_code == 1 and f"broken at line {ids[2]} " in resealed.output
    assert "does not follow the line before it" in resealed.output
    with audit_triggers_lifted(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id IN (:a, :b)"),
                           {"a": ids[1], "b": ids[2]})
    removed = run(engine, "audit", "verify")
    assert removed.exit_code == 1 and f"broken at line {ids[3]} " in removed.output


def test_concurrent_writers_never_fork_the_chain(engine: Engine) -> None:
    writers, each = 4, 15
    sessions = make_session_factory(engine, writer=True)
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(who: int) -> None:
        try:
            start.wait()
            for n in range(each):
                with sessions.begin() as session:
                    audit.sign_in(session, at=AT + timedelta(seconds=n), name=f"user{who}",
                                  address=None)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sessions() as session:
        verdict = audit_chain.verify(session)
    assert verdict.broken is None and verdict.lines == writers * each


def test_the_runtime_role_may_only_add_and_read_audit_lines(engine: Engine,
                                                            backend: str) -> None:
    if backend == "sqlite":
        # SQLite has no roles: whoever can write the file can rewrite it.
        refused = run(engine, "db", "grants", "hotline_web")
        assert refused.exit_code == 2 and "grants are for PostgreSQL" in refused.output
        return
    role = f"hotline_web_{secrets.token_hex(4)}"
    printed = run(engine, "db", "grants", role)
    assert printed.exit_code == 0, printed.output
    assert f'GRANT SELECT, INSERT ON public.audit_events TO {role};' in printed.output
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON public.calls TO" in printed.output
    absent = run(engine, "db", "grants", role, "--apply")
    assert absent.exit_code == 2 and "there is no role" in absent.output
    owner = engine.url.username or "postgres"
    assert run(engine, "db", "grants", owner, "--apply").exit_code == 2
    with engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
    runtime = make_engine(engine.url.set(username=role).render_as_string(hide_password=False))
    try:
        applied = run(engine, "db", "grants", role, "--apply")
        assert applied.exit_code == 0, applied.output
        with make_session_factory(runtime).begin() as session:
            audit.sign_in(session, at=AT, name="lin", address="10.0.0.1")
            session.execute(text("UPDATE users SET active = active"))  # its own tables: yes
        for statement in ("UPDATE audit_events SET detail = 'x'",
                          "DELETE FROM audit_events",
                          "TRUNCATE audit_events",
                          "DROP TRIGGER audit_events_append_only ON audit_events",
                          "ALTER TABLE audit_events DISABLE TRIGGER ALL",
                          "SET session_replication_role = replica"):
            with runtime.connect() as connection, pytest.raises(DBAPIError) as refused:
                connection.execute(text(statement))
            assert "permission denied" in str(refused.value) or "must be owner" in str(
                refused.value), statement
        verified = run(engine, "audit", "verify", url=runtime.url.render_as_string(
            hide_password=False))
        assert verified.exit_code == 0 and "intact: 1 line," in verified.output, verified.output
    finally:
        runtime.dispose()
        with engine.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))

"""The console under concurrent writers.

On SQLite a deferred transaction that has read cannot become a writer once
another connection has committed ("database is locked", whatever the busy
timeout), so a console action that reads, waits (hashing, Twilio, a long
export) and then writes must never do so in one deferred transaction. Each
test below commits a write from another connection, as a webhook would,
between the console's read and its write. And parallel sign-ins, from two
web processes, must not get more password checks than the throttle allows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from console_helpers import csrf_token, post, sign_in
from sqlalchemy import select

from db import followup
from db.engine import make_session_factory
from db.models import Report
from db.user_models import AuditEvent, LoginAttempt
from hotline.app import create_app


@pytest.fixture
def interloper(engine) -> Iterator[Callable[[], None]]:  # type: ignore[no-untyped-def]
    """interloper() commits a write from another connection (a webhook), waiting for it
    briefly; a console holding the write lock makes it wait its turn instead."""
    threads: list[threading.Thread] = []

    def write() -> None:
        with make_session_factory(engine, writer=True).begin() as session:
            session.add(LoginAttempt(at=datetime(2023, 6, 1, tzinfo=UTC), username="webhook",
                                     address="twilio", result="ok"))

    def run() -> None:
        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        threads.append(thread)
        thread.join(0.5)

    yield run
    for thread in threads:
        thread.join(10)


def _reference(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(select(Report.reference)).scalar_one()


def _actions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return list(connection.execute(select(AuditEvent.action).order_by(AuditEvent.id))
                    .scalars())


class HookedHasher(PasswordHasher):
    def __init__(self, hook: Callable[[], None]) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.hook = hook

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.hook()
        return super().verify(hash, password)


def test_a_sign_in_survives_a_webhook_committing_while_it_hashes(app, users, console,
                                                                  interloper, engine) -> None:
    console.hasher = HookedHasher(interloper)
    assert sign_in(app.test_client(), "operator").status_code == 302
    assert sign_in(app.test_client(), "operator", "wrong password!").status_code == 401
    assert _actions(engine)[-2:] == ["sign_in", "sign_in_failed"]


def test_playing_survives_a_webhook_committing_while_twilio_answers(
        signed_in, reported_call, console, interloper, engine) -> None:
    client = signed_in("operator")
    media_open = console.media.open

    def slow_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        interloper()
        return media_open(*args, **kwargs)

    console.media.open = slow_open
    response = client.get(f"/console/reports/{_reference(engine)}/audio")
    assert response.status_code == 200 and response.data
    assert _actions(engine)[-1] == "recording_played"


def test_an_export_survives_a_webhook_committing_while_it_reads(
        signed_in, reported_call, interloper, engine, monkeypatch) -> None:
    from console import calls

    client = signed_in("manager")
    record = calls.call_record

    def slow_record(*args, **kwargs):  # type: ignore[no-untyped-def]
        interloper()
        return record(*args, **kwargs)

    monkeypatch.setattr(calls, "call_record", slow_record)
    response = client.get("/console/calls.csv")
    assert response.status_code == 200
    # Streamed as it is read, not spooled first.
    assert response.is_streamed and "Content-Length" not in response.headers
    assert len(response.get_data(as_text=True).splitlines()) == 2
    assert _actions(engine)[-1] == "export"


@pytest.mark.parametrize("action", ["status", "note", "assign"])
def test_follow_up_survives_a_webhook_committing_between_read_and_write(
        action, signed_in, reported_call, interloper, engine, monkeypatch) -> None:
    client = signed_in("operator")
    reference = _reference(engine)
    name = {"status": "change_status", "note": "add_note", "assign": "assign"}[action]
    original = getattr(followup, name)

    def after_the_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        interloper()
        return original(*args, **kwargs)

    monkeypatch.setattr(followup, name, after_the_read)
    form = {"status": {"to": "acknowledged", "expected": "new"},
            "note": {"body": "called back"}, "assign": {"assignee": "operator"}}[action]
    path = {"status": "status", "note": "notes", "assign": "assignee"}[action]
    response = post(client, f"/console/reports/{reference}/{path}", form)
    assert response.status_code == 302
    expected = {"status": "status_changed", "note": "note_added", "assign": "assigned"}
    assert _actions(engine)[-1] == expected[action]


class CountingHasher(PasswordHasher):
    """Counts password checks; each takes a while, like Argon2 with production costs."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checks = 0
        self.lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.checks += 1
        time.sleep(0.05)
        return super().verify(hash, password)


def test_parallel_attempts_from_two_processes_get_five_password_checks(
        app, users, settings, clock, campaigns, engine) -> None:
    # A second app with its own engine on the same database: another web worker.
    other = create_app(settings, clock=clock, campaigns=campaigns)
    hasher = CountingHasher()
    app.extensions["hotline.console"].hasher = hasher
    other.extensions["hotline.console"].hasher = hasher
    attempts = 16
    clients = [(app if i % 2 else other).test_client() for i in range(attempts)]
    tokens = [csrf_token(client) for client in clients]
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def attempt(i: int) -> None:
        barrier.wait()
        response = clients[i].post("/console/login", data={
            "csrf_token": tokens[i], "name": "operator", "password": "wrong password!"},
            environ_base={"REMOTE_ADDR": f"10.1.0.{i}"})
        statuses.append(response.status_code)

    try:
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        other.extensions["hotline.engine"].dispose()
    assert len(statuses) == attempts
    assert hasher.checks <= 5
    assert statuses.count(401) == hasher.checks and statuses.count(429) == attempts - \
        hasher.checks

"""Fixtures shared by the whole suite.

Every test that touches the call log runs twice: on SQLite (the embedded
default) and on PostgreSQL (the production database). PostgreSQL comes from
HOTLINE_TEST_DATABASE_URL, by default the local server; each run creates a
throw-away database and drops it at the end. When PostgreSQL cannot be
reached those tests are skipped with a line saying so, unless
HOTLINE_REQUIRE_ALL=1 (set by .ci/run), which turns every skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from campaign.loader import load_campaigns
from campaign.model import Campaigns
from db.engine import make_engine
from db.migrate import upgrade
from db.schema import metadata
from hotline.app import create_app
from hotline.settings import Settings
from hotline.simulator import CallResult, CallSimulator, FlaskTransport, ScriptedCaller
from tests.helpers import (
    AUTH_TOKEN,
    DEFAULT_PG_URL,
    REQUIRE_ALL,
    SEED_CAMPAIGNS,
    SEED_NUMBER,
    FakeClock,
    triggers_lifted,
)


@pytest.fixture
def clock() -> FakeClock:
    clock = FakeClock()
    clock.set_local("2023-06-01 10:00")
    return clock


# --- databases -------------------------------------------------------------------------------

def _postgres_engine() -> Iterator[Engine | str]:
    """Yields an engine on a fresh throw-away database, or the reason there is none."""
    admin_url = os.environ.get("HOTLINE_TEST_DATABASE_URL", DEFAULT_PG_URL)
    if admin_url in _UNREACHABLE:
        yield _UNREACHABLE[admin_url]
        return
    try:
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except OperationalError as exc:
        reason = (f"PostgreSQL not reachable at {make_url(admin_url).render_as_string()}: "
                  f"{str(exc.orig).strip().splitlines()[0]}")
        _UNREACHABLE[admin_url] = reason
        yield reason
        return
    name = f"hotline_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_ENGINES: dict[str, Engine | str] = {}
_UNREACHABLE: dict[str, str] = {}
_CLEANUPS: list[Callable[[], None]] = []


def _engine_for(backend: str, tmp_root: Path) -> Engine | str:
    if backend not in _ENGINES:
        if backend == "sqlite":
            engine: Engine | str = make_engine(f"sqlite:///{tmp_root / 'hotline-test.sqlite3'}")
            _CLEANUPS.append(engine.dispose)  # type: ignore[union-attr]
        else:
            generator = _postgres_engine()
            engine = next(generator)
            _CLEANUPS.append(lambda: next(generator, None))
        if not isinstance(engine, str):
            upgrade(engine, "heads")
        _ENGINES[backend] = engine
    return _ENGINES[backend]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for cleanup in reversed(_CLEANUPS):
        cleanup()
    if REQUIRE_ALL:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
        if skipped:
            reporter.write_line(f"HOTLINE_REQUIRE_ALL=1: {skipped} test(s) skipped; failing.",
                                red=True)
            session.exitstatus = 1


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A brand-new, empty database (not migrated) on `backend`, for migration tests."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    generator = _postgres_engine()
    found = next(generator)
    if isinstance(found, str):
        if REQUIRE_ALL:
            pytest.fail(found)
        pytest.skip(found)
    try:
        yield found
    finally:
        next(generator, None)


@pytest.fixture
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    found = _engine_for(backend, tmp_path_factory.getbasetemp())
    if isinstance(found, str):
        if REQUIRE_ALL:
            pytest.fail(found)
        pytest.skip(found)
    yield found
    # Each test starts from an empty (but migrated) database.
    with found.begin() as connection, _deletes_allowed(connection):
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))


def _deletes_allowed(connection: Connection) -> contextlib.AbstractContextManager[None]:
    """Lift the audit log's no-DELETE triggers (migration 0007) for the test cleanup,
    inside its transaction only."""
    return triggers_lifted(connection, "%BEFORE DELETE%")


# --- the app ---------------------------------------------------------------------------------

@pytest.fixture
def campaigns() -> Campaigns:
    return load_campaigns(SEED_CAMPAIGNS)


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        campaigns_path=SEED_CAMPAIGNS, instance_path=tmp_path / "instance",
        twilio_auth_token=AUTH_TOKEN, secret_key="test-secret",
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: FakeClock, campaigns: Campaigns):  # type: ignore[no-untyped-def]
    # The journal drains in the request, so a webhook's facts are in the database when it
    # returns; the fault tests (test_journal_faults.py) use the real background writer.
    app = create_app(settings, clock=clock, campaigns=campaigns, engine=engine,
                     drain_inline=True)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


PlaceCall = Callable[..., CallResult]


@pytest.fixture
def place_call(app) -> PlaceCall:  # type: ignore[no-untyped-def]
    """Play a whole call through signed webhooks: place_call("1", "3", "1", "r30", "2")."""

    def place(*script: object, from_number: str = "+8613800138000",
              to_number: str = SEED_NUMBER, base_url: str = "http://localhost",
              **options: object) -> CallResult:
        caller = ScriptedCaller(script)
        transport = FlaskTransport(app, AUTH_TOKEN, base_url=base_url)
        simulator = CallSimulator(transport, base_url, caller, from_number=from_number,
                                  to_number=to_number, **options)  # type: ignore[arg-type]
        result = simulator.run()
        assert next(caller._items, "END") == "END", "the call ended before the script did"
        return result

    return place

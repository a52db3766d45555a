"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
WRITER = "hotline_writer"  # execution option: this connection's transactions will write
# Request paths (the served app: the console, the journal's writer) never wait on the
# database for more than about 2 s: connecting, a statement, a lock, a pooled connection.
BOUNDED_WAIT_SECONDS = 2
BOUNDED_LOCK_MS = 1500


def make_engine(url: str, *, bounded: bool = False, **options: Any) -> Engine:
    """An engine tuned for short transactions on either database.

    `bounded=True` (the served app) caps every wait near 2 s; commands such as
    migrations, exports and reports keep the database's own limits. Bound
    parameters never appear in error messages (they hold callers' numbers).
    """
    options.setdefault("hide_parameters", True)
    busy_ms = BOUNDED_WAIT_SECONDS * 1000 if bounded else SQLITE_BUSY_TIMEOUT_MS
    if url.startswith("postgres://"):  # Heroku-style and libpq URLs say postgres://
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_ms / 1000}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling would let a SAVEPOINT outside BEGIN
            # commit on its own; SQLAlchemy emits BEGIN itself instead (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL lets the console read while a webhook writes; the busy timeout makes
            # concurrent writers wait instead of failing.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A writer takes the write lock up front (BEGIN IMMEDIATE), so it waits its turn
            # under the busy timeout instead of failing when a read turns into a write;
            # readers (the console, exports) stay deferred and never block webhooks.
            writer = connection.get_execution_options().get(WRITER, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2; this project ships psycopg 3.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if bounded and parsed.get_backend_name() == "postgresql":
        options.setdefault("pool_timeout", BOUNDED_WAIT_SECONDS)
        options.setdefault("connect_args", {
            "connect_timeout": BOUNDED_WAIT_SECONDS,
            "options": (f"-c statement_timeout={BOUNDED_WAIT_SECONDS * 1000} "
                        f"-c lock_timeout={BOUNDED_LOCK_MS}")})
    return create_engine(url, pool_pre_ping=True, **options)


def make_session_factory(engine: Engine, *, writer: bool = False) -> sessionmaker[Session]:
    """Sessions on `engine`; `writer=True` for short write transactions (the webhooks)."""
    bind = engine.execution_options(**{WRITER: True}) if writer else engine
    return sessionmaker(bind, expire_on_commit=False)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a cursor's)."""
    return cast("CursorResult[Any]", result).rowcount

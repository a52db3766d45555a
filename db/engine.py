"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
WRITER = "hotline_writer"  # execution option: this connection's transactions will write


def make_engine(url: str, **options: Any) -> Engine:
    """An engine tuned for short webhook transactions on either database."""
    if url.startswith("postgres://"):  # Heroku-style and libpq URLs say postgres://
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling would let a SAVEPOINT outside BEGIN
            # commit on its own; SQLAlchemy emits BEGIN itself instead (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL lets the console read while a webhook writes; the busy timeout makes
            # concurrent writers wait instead of failing.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
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
    return create_engine(url, pool_pre_ping=True, **options)


def make_session_factory(engine: Engine, *, writer: bool = False) -> sessionmaker[Session]:
    """Sessions on `engine`; `writer=True` for short write transactions (the webhooks)."""
    bind = engine.execution_options(**{WRITER: True}) if writer else engine
    return sessionmaker(bind, expire_on_commit=False)

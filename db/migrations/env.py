"""Alembic environment: the engine comes from db.migrate, never from an ini file."""

from alembic import context

import db.report_models  # noqa: F401  (the daily_reports table joins Base.metadata)
from db.models import Base

# Tables that other code creates and owns; Alembic never compares or drops them.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})  # APScheduler's SQLAlchemyJobStore


def include_name(name, type_, parent_names):  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name in FOREIGN_TABLES)

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    context.run_migrations()

"""Alembic environment: the engine comes from db.migrate, never from an ini file."""

from alembic import context

from db.migrate import include_name
from db.schema import metadata

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite's batch mode rebuilds a table (copy, drop, rename); with foreign keys
        # enforced, dropping the old table would cascade-delete the rows that refer to it.
        # The pragma only works outside a transaction, so it goes straight to the driver.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=metadata,
                # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
                render_as_batch=sqlite,
                compare_type=True,
                include_name=include_name,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left {len(broken)} dangling reference(s)")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")

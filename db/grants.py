"""PostgreSQL privileges for the web process's own role (least privilege).

The tables belong to the role that runs `hotline db upgrade` (the owner). The web and
scheduler processes connect as another role, which may read and write the call log
and the console's tables, but may only INSERT and SELECT on the audit log: it cannot
change or delete a line, and, not owning the table, cannot drop the triggers that
refuse that either (only an owner or a superuser may).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from db.schema import metadata

AUDIT_TABLE = "audit_events"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class GrantsError(ValueError):
    pass


def statements(connection: Connection, role: str) -> list[str]:
    """The GRANT and REVOKE statements for `role`, for the database `connection` is on."""
    if connection.dialect.name != "postgresql":
        raise GrantsError("database roles and grants are for PostgreSQL; SQLite has none")
    if not ROLE_NAME.match(role):
        raise GrantsError(f"{role!r} is not a role name (lowercase letters, digits, '_')")
    quote = connection.dialect.identifier_preparer.quote
    database = quote(connection.execute(text("SELECT current_database()")).scalar_one())
    schema = quote(connection.execute(text("SELECT current_schema()")).scalar_one())
    who = quote(role)
    tables = [quote(t.name) for t in metadata.sorted_tables if t.name != AUDIT_TABLE]
    audit = quote(AUDIT_TABLE)
    return [
        f"GRANT CONNECT ON DATABASE {database} TO {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {who}",
        *(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.{t} TO {who}" for t in tables),
        f"GRANT SELECT ON {schema}.alembic_version TO {who}",
        f"REVOKE ALL ON {schema}.{audit} FROM {who}",
        f"GRANT SELECT, INSERT ON {schema}.{audit} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
    ]


def check_role(connection: Connection, role: str) -> None:
    """The role exists and owns none of the tables (an owner could drop the triggers)."""
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"),
                                {"role": role}).scalar()
    if not exists:
        raise GrantsError(f"there is no role {role!r}; create it first "
                          f"(createuser --no-createdb --no-createrole {role})")
    owner = connection.execute(text(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = :table"), {"table": AUDIT_TABLE}).scalar()
    if owner == role:
        raise GrantsError(f"{role!r} owns the tables: the runtime role must be another one, "
                          "so that it cannot drop the audit log's triggers")
    superuser = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"),
                                   {"role": role}).scalar()
    if superuser:
        raise GrantsError(f"{role!r} is a superuser, which no grant can limit")


def apply(connection: Connection, role: str) -> list[str]:
    """Apply the grants (in the caller's transaction); the statements applied."""
    check_role(connection, role)
    applied = statements(connection, role)
    for statement in applied:
        connection.execute(text(statement))
    return applied

"""The SQL behind the tallies (db/tally_models.py): the triggers that keep them, and the
rebuild from the facts. Migration 0013 creates them with it; a bulk load (the bench's
fill) drops the triggers, loads, rebuilds and creates them again in one transaction.
A change here that alters the tallies needs a migration of its own.
"""

# ruff: noqa: S608 - the SQL below is built from this module's own constant names only
from __future__ import annotations

from sqlalchemy import Connection

# The period keys of a time column per level (month, day, hour), in UTC text.
# The last level is all time ('all'; '' for a report without its call's start).
_ALL = "CASE WHEN {c} IS NULL THEN '' ELSE 'all' END"
_PERIODS = {
    "sqlite": ("substr({c}, 1, 7)", "substr({c}, 1, 10)", "substr({c}, 1, 13)", _ALL),
    "postgresql": ("to_char({c}, 'YYYY-MM')", "to_char({c}, 'YYYY-MM-DD')",
                   "to_char({c}, 'YYYY-MM-DD HH24')", _ALL),
}
# Per dimension, the value a report counts under; "seconds": its length, when recorded
# (a histogram, for the median).
SERIALIZE_KEY = 7_315_015  # the advisory lock the call log's writers take (PostgreSQL)
_DIMENSIONS = ("category", "subject", "follow_up", "seconds")
_WATCHED = {"calls": ("campaign_id", "started_at", "outcome", "chose_category"),
            "reports": ("campaign_id", "call_started_at", "category", "subject", "follow_up",
                        "recording_status", "recording_seconds")}


def _shares(dialect: str, row: str) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """Every tally row one call or report (`row` = NEW / OLD / the table) counts in:
    (table, key columns → SQL, value columns → SQL)."""
    shares = []
    for level, period in enumerate(_PERIODS[dialect]):
        shares.append(("call_tallies", {
            "campaign_id": f"COALESCE({row}.campaign_id, '')", "level": str(level),
            "period": period.format(c=f"{row}.started_at"), "outcome": f"{row}.outcome",
            "chose_category": f"{row}.chose_category"}, {"calls": "1"}))
    recorded = f"({row}.recording_status = 'completed' AND {row}.recording_seconds IS NOT NULL)"
    values = {"reports": "1", "recorded": f"CASE WHEN {recorded} THEN 1 ELSE 0 END",
              "recorded_seconds": f"CASE WHEN {recorded} THEN {row}.recording_seconds ELSE 0 END"}
    for level, period in enumerate(_PERIODS[dialect]):
        for dimension in _DIMENSIONS:
            shares.append(("report_tallies", {
                "campaign_id": f"COALESCE({row}.campaign_id, '')", "level": str(level),
                "period": f"COALESCE({period.format(c=f'{row}.call_started_at')}, '')",
                "dimension": f"'{dimension}'",
                "value": (f"CASE WHEN {recorded} THEN CAST({row}.recording_seconds AS VARCHAR) "
                          "ELSE '' END" if dimension == "seconds"
                          else f"COALESCE({row}.{dimension}, '')")}, values))
    return shares


def _add(table: str, key: dict[str, str], values: dict[str, str]) -> str:
    return (f"INSERT INTO {table} ({', '.join([*key, *values])}) "
            f"VALUES ({', '.join([*key.values(), *values.values()])}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
            + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in values))


def _take(table: str, key: dict[str, str], values: dict[str, str]) -> str:
    return (f"UPDATE {table} SET "
            + ", ".join(f"{name} = {name} - ({value})" for name, value in values.items())
            + " WHERE " + " AND ".join(f"{name} = {value}" for name, value in key.items()))


def create_triggers(dialect: str) -> list[str]:
    """The statements that create the triggers."""
    statements = []
    if dialect == "postgresql":
        # Writers of the call log take one transaction-level lock before their first row
        # lock on it, so two transactions never hold tally rows (or call rows) the other
        # waits for: no deadlock. SQLite's writers are one at a time already.
        statements.append(f"""
            CREATE FUNCTION tallies_serialize() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock({SERIALIZE_KEY});
                RETURN NULL;
            END $$""")
        statements.append("CREATE TRIGGER call_events_tally_serialize BEFORE INSERT OR UPDATE "
                          "OR DELETE ON call_events FOR EACH STATEMENT EXECUTE FUNCTION "
                          "tallies_serialize()")
    for table, watched in _WATCHED.items():
        tally = "call_tallies" if table == "calls" else "report_tallies"
        add = "; ".join(_add(*s) for s in _shares(dialect, "NEW") if s[0] == tally)
        take = "; ".join(_take(*s) for s in _shares(dialect, "OLD") if s[0] == tally)
        distinct = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
        changed = " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in watched)
        columns = ", ".join(watched)
        if dialect == "sqlite":
            statements += [
                f"CREATE TRIGGER {table}_tally_insert AFTER INSERT ON {table} "
                f"BEGIN {add}; END",
                f"CREATE TRIGGER {table}_tally_update AFTER UPDATE OF {columns} "
                f"ON {table} WHEN {changed} BEGIN {take}; {add}; END",
                f"CREATE TRIGGER {table}_tally_delete AFTER DELETE ON {table} "
                f"BEGIN {take}; END"]
            continue
        statements.append(f"""
            CREATE FUNCTION {table}_tally() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN {take}; END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN {add}; END IF;
                RETURN NULL;
            END $$""")
        statements += [
            f"CREATE TRIGGER {table}_tally_serialize BEFORE INSERT OR UPDATE OR DELETE ON "
            f"{table} FOR EACH STATEMENT EXECUTE FUNCTION tallies_serialize()",
            f"CREATE TRIGGER {table}_tally_change AFTER INSERT OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_tally()",
            f"CREATE TRIGGER {table}_tally_update AFTER UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {table}_tally()"]
    return statements


def backfill(dialect: str) -> list[str]:
    """The statements that fill empty tallies from the calls and reports."""
    statements = []
    for table, key, values in _shares(dialect, "facts"):
        source = "calls" if table == "call_tallies" else "reports"
        sums = ", ".join(f"sum({value})" for value in values.values())
        # Constants (the level, the dimension) are no grouping terms: GROUP BY 0 is positional.
        grouped = [v for v in key.values() if not v.isdigit() and not v.startswith("'")]
        statements.append(f"INSERT INTO {table} ({', '.join([*key, *values])}) "
                          f"SELECT {', '.join(key.values())}, {sums} FROM {source} AS facts "
                          f"GROUP BY {', '.join(grouped)}")
    return statements


def drop_triggers(dialect: str) -> list[str]:
    """The statements that drop the triggers (the tallies stay)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_tally_{kind}" for table in _WATCHED
                for kind in ("insert", "update", "delete")]
    return [statement for table in _WATCHED for statement in (
        f"DROP TRIGGER IF EXISTS {table}_tally_serialize ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_tally_change ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_tally_update ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_tally()")] + [
        "DROP TRIGGER IF EXISTS call_events_tally_serialize ON call_events",
        "DROP FUNCTION IF EXISTS tallies_serialize()"]


def rebuild(connection: Connection) -> None:
    """Count the tallies again from the facts, in the caller's transaction."""
    dialect = connection.dialect.name
    connection.exec_driver_sql("DELETE FROM call_tallies")
    connection.exec_driver_sql("DELETE FROM report_tallies")
    for statement in backfill(dialect):
        connection.exec_driver_sql(statement)

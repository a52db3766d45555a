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
# The year (level 4) came last, in migration 0021: the levels keep their numbers.
_PERIODS = {
    "sqlite": ("substr({c}, 1, 7)", "substr({c}, 1, 10)", "substr({c}, 1, 13)", _ALL,
               "substr({c}, 1, 4)"),
    "postgresql": ("to_char({c}, 'YYYY-MM')", "to_char({c}, 'YYYY-MM-DD')",
                   "to_char({c}, 'YYYY-MM-DD HH24')", _ALL, "to_char({c}, 'YYYY')"),
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
    connection.exec_driver_sql("DELETE FROM call_value_tallies")
    for statement in backfill(dialect) + value_backfill(dialect):
        connection.exec_driver_sql(statement)


# --- calls by a report's value (migration 0019) -------------------------------------------------
# The call list filtered by a category or a subject counts, per outcome, the calls that have
# at least one report with that value. `call_value_tallies` holds that count per campaign,
# UTC period, dimension, value and outcome: a call counts once under each distinct value of
# its reports, under its own campaign, start and outcome. Triggers on reports (a value
# arriving, changing or leaving a call) and on calls (its outcome, start or campaign
# moving) keep it in the same transaction; each adds signed deltas with one upsert per
# dimension over every level. The PostgreSQL serialisation above covers these writes too.
#
# "Another report of the call has the value" depends on what the statement's other rows
# did: SQLite runs row triggers as each row changes, so the rows before are already there;
# PostgreSQL runs them after the whole statement, so there the reports' triggers are
# per statement, with the changed rows as transition tables.
VALUE_DIMENSIONS = ("category", "subject")
_VALUE_KEY = ("campaign_id", "level", "period", "dimension", "value", "outcome")
_LEVELS = ("(SELECT 0 AS level" + "".join(f" UNION ALL SELECT {level}" for level in
                                          range(1, len(_PERIODS["sqlite"]))) + ") AS levels")


def _period_of(dialect: str, column: str) -> str:
    """The period key of `column` at the level `levels.level`."""
    cases = " ".join(f"WHEN {level} THEN {period.format(c=column)}"
                     for level, period in enumerate(_PERIODS[dialect]))
    return f"CASE levels.level {cases} END"


def _value_of(row: str, dimension: str) -> str:
    """The row's value of the dimension named by the SQL text `dimension`."""
    return f"CASE {dimension} WHEN 'category' THEN {row}.category ELSE {row}.subject END"


def _value_upsert(select: str) -> str:
    columns = ", ".join(_VALUE_KEY)
    return (f"INSERT INTO call_value_tallies ({columns}, calls) {select} "
            f"ON CONFLICT ({columns}) DO UPDATE SET calls = call_value_tallies.calls "
            "+ excluded.calls")


def _sqlite_report(row: str, sign: int) -> str:
    """A report's values count (+1) or uncount (-1) its call, unless another report of the
    call has the same value."""
    dims = (f"(SELECT 'category' AS dimension, {row}.category AS value UNION ALL "
            f"SELECT 'subject', {row}.subject) AS dims")
    return _value_upsert(
        f"SELECT COALESCE(owner.campaign_id, ''), levels.level, "
        f"{_period_of('sqlite', 'owner.started_at')}, dims.dimension, dims.value, "
        f"owner.outcome, {sign} FROM calls AS owner, {_LEVELS}, {dims} "
        f"WHERE owner.id = {row}.call_id AND dims.value IS NOT NULL AND NOT EXISTS ("
        f"SELECT 1 FROM reports AS other WHERE other.call_id = {row}.call_id "
        f"AND other.id <> {row}.id AND {_value_of('other', 'dims.dimension')} = dims.value)")


def _call_move(dialect: str, row: str, sign: int) -> str:
    """Every distinct value of a call's reports counted (+1) or uncounted (-1) under the
    call's key as `row` (NEW or OLD) holds it."""
    dims = (f"(SELECT 'category' AS dimension, category AS value FROM reports "
            f"WHERE call_id = {row}.id UNION SELECT 'subject', subject FROM reports "
            f"WHERE call_id = {row}.id) AS dims")
    return _value_upsert(
        f"SELECT COALESCE({row}.campaign_id, ''), levels.level, "
        f"{_period_of(dialect, f'{row}.started_at')}, dims.dimension, dims.value, "
        f"{row}.outcome, {sign} FROM {_LEVELS}, {dims} WHERE dims.value IS NOT NULL")


# The rows a statement changed, as (id, old call and values, new call and values).
_CHANGED = {
    "INSERT": "SELECT id, CAST(NULL AS INTEGER) AS old_call, CAST(NULL AS VARCHAR) AS "
              "old_category, CAST(NULL AS VARCHAR) AS old_subject, call_id AS new_call, "
              "category AS new_category, subject AS new_subject FROM inserted",
    "DELETE": "SELECT id, call_id AS old_call, category AS old_category, subject AS "
              "old_subject, CAST(NULL AS INTEGER) AS new_call, CAST(NULL AS VARCHAR) AS "
              "new_category, CAST(NULL AS VARCHAR) AS new_subject FROM deleted",
    "UPDATE": "SELECT n.id, o.call_id AS old_call, o.category AS old_category, o.subject AS "
              "old_subject, n.call_id AS new_call, n.category AS new_category, n.subject AS "
              "new_subject FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id "
              "WHERE (o.call_id, o.category, o.subject) IS DISTINCT FROM "
              "(n.call_id, n.category, n.subject)",
}


def _postgresql_reports(operation: str) -> str:
    """One statement's changed reports: each (call, value) they touch is counted where it
    is held now and was not before, uncounted where it was and is not."""
    pairs = " UNION ".join(
        f"SELECT {side}_call AS call_id, '{dimension}' AS dimension, {side}_{dimension} AS value "
        f"FROM changed WHERE {side}_call IS NOT NULL AND {side}_{dimension} IS NOT NULL"
        for side in ("old", "new") for dimension in VALUE_DIMENSIONS)
    held_by = ("SELECT 1 FROM reports AS r WHERE r.call_id = p.call_id AND "
               f"{_value_of('r', 'p.dimension')} = p.value")
    was_held_by = ("SELECT 1 FROM changed AS c WHERE c.old_call = p.call_id AND "
                   "CASE p.dimension WHEN 'category' THEN c.old_category ELSE c.old_subject "
                   "END = p.value")
    key = (f"COALESCE(owner.campaign_id, ''), levels.level, "
           f"{_period_of('postgresql', 'owner.started_at')}, s.dimension, s.value, "
           "owner.outcome")
    return _value_upsert(
        f"WITH changed AS ({_CHANGED[operation]}), pairs AS ({pairs}), states AS ("
        f"SELECT p.call_id, p.dimension, p.value, (EXISTS ({held_by} AND r.id NOT IN "
        f"(SELECT id FROM changed)) OR EXISTS ({was_held_by})) AS before, "
        f"EXISTS ({held_by}) AS after FROM pairs AS p) "
        f"SELECT {key}, sum(CASE WHEN s.after THEN 1 ELSE -1 END) FROM states AS s "
        f"JOIN calls AS owner ON owner.id = s.call_id CROSS JOIN {_LEVELS} "
        f"WHERE s.before <> s.after GROUP BY {key}")


def create_value_triggers(dialect: str) -> list[str]:
    """The statements that create call_value_tallies' triggers."""
    distinct = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    call_changed = " OR ".join(f"OLD.{c} {distinct} NEW.{c}"
                               for c in ("campaign_id", "started_at", "outcome"))
    call_take, call_add = _call_move(dialect, "OLD", -1), _call_move(dialect, "NEW", 1)
    if dialect == "sqlite":
        report_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}"
                                     for c in ("call_id", *VALUE_DIMENSIONS))
        add, take = _sqlite_report("NEW", 1), _sqlite_report("OLD", -1)
        return [
            f"CREATE TRIGGER reports_value_tally_insert AFTER INSERT ON reports "
            f"BEGIN {add}; END",
            f"CREATE TRIGGER reports_value_tally_update AFTER UPDATE OF call_id, category, "
            f"subject ON reports WHEN {report_changed} BEGIN {take}; {add}; END",
            f"CREATE TRIGGER reports_value_tally_delete AFTER DELETE ON reports "
            f"BEGIN {take}; END",
            f"CREATE TRIGGER calls_value_tally_update AFTER UPDATE OF campaign_id, started_at, "
            f"outcome ON calls WHEN {call_changed} BEGIN {call_take}; {call_add}; END",
            # Before: deleting a call deletes its reports (ON DELETE CASCADE), and after
            # that neither the call's reports nor, for theirs, the call are left to read.
            f"CREATE TRIGGER calls_value_tally_delete BEFORE DELETE ON calls "
            f"BEGIN {call_take}; END"]
    branches = " ".join(f"{'IF' if n == 0 else 'ELSIF'} TG_OP = '{op}' THEN "
                        f"{_postgresql_reports(op)};"
                        for n, op in enumerate(_CHANGED))
    return [
        f"""CREATE FUNCTION reports_value_tally() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {branches} END IF;
                RETURN NULL;
            END $$""",
        f"""CREATE FUNCTION calls_value_tally() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {call_take};
                {call_add};
                RETURN NULL;
            END $$""",
        f"""CREATE FUNCTION calls_value_untally() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {call_take};
                RETURN OLD;
            END $$""",
        "CREATE TRIGGER reports_value_tally_insert AFTER INSERT ON reports REFERENCING "
        "NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION reports_value_tally()",
        "CREATE TRIGGER reports_value_tally_delete AFTER DELETE ON reports REFERENCING "
        "OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION reports_value_tally()",
        # (A trigger with transition tables may not name columns: it sees every update of
        # reports, and `changed` keeps only those of a call or a value.)
        "CREATE TRIGGER reports_value_tally_update AFTER UPDATE ON reports REFERENCING "
        "OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION reports_value_tally()",
        "CREATE TRIGGER calls_value_tally_update AFTER UPDATE OF campaign_id, started_at, "
        f"outcome ON calls FOR EACH ROW WHEN ({call_changed}) "
        "EXECUTE FUNCTION calls_value_tally()",
        # Before, as on SQLite: the cascade takes the call's reports with it.
        "CREATE TRIGGER calls_value_tally_delete BEFORE DELETE ON calls "
        "FOR EACH ROW EXECUTE FUNCTION calls_value_untally()"]


def drop_value_triggers(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in (
            "reports_value_tally_insert", "reports_value_tally_update",
            "reports_value_tally_delete", "calls_value_tally_update", "calls_value_tally_delete")]
    return [*(f"DROP TRIGGER IF EXISTS reports_value_tally_{kind} ON reports"
              for kind in ("insert", "update", "delete")),
            "DROP TRIGGER IF EXISTS calls_value_tally_update ON calls",
            "DROP TRIGGER IF EXISTS calls_value_tally_delete ON calls",
            "DROP FUNCTION IF EXISTS reports_value_tally()",
            "DROP FUNCTION IF EXISTS calls_value_tally()",
            "DROP FUNCTION IF EXISTS calls_value_untally()"]


def value_backfill(dialect: str) -> list[str]:
    """The statement that fills an empty call_value_tallies from the calls and reports."""
    dims = " UNION ".join(f"SELECT call_id, '{d}' AS dimension, {d} AS value FROM reports "
                          f"WHERE {d} IS NOT NULL" for d in VALUE_DIMENSIONS)
    key = (f"COALESCE(facts.campaign_id, ''), levels.level, "
           f"{_period_of(dialect, 'facts.started_at')}, dims.dimension, dims.value, "
           "facts.outcome")
    return [f"INSERT INTO call_value_tallies ({', '.join(_VALUE_KEY)}, calls) "
            f"SELECT {key}, count(*) FROM ({dims}) AS dims JOIN calls AS facts "
            f"ON facts.id = dims.call_id CROSS JOIN {_LEVELS} GROUP BY {key}"]


def drop_all_triggers(dialect: str) -> list[str]:
    """Every tally trigger (a bulk load rests them all, then `rebuild` and `create_all`)."""
    return drop_value_triggers(dialect) + drop_triggers(dialect)


def create_all_triggers(dialect: str) -> list[str]:
    return create_triggers(dialect) + create_value_triggers(dialect)

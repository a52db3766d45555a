"""call_tallies, report_tallies: the call log by UTC month, day and hour, kept by triggers

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-01

The daily report's "campaign so far", the statistics page and the call list's
counts per outcome read every call of a campaign, so they slowed down with
every day of the campaign. These tallies hold the same counts per UTC month,
day and hour; triggers adjust them in the transaction that changes a call or a
report, so they are as current as the facts. They are filled here from the
existing rows. Two indexes let the overdue counts read only overdue reports. (A later batch rebuild of calls or reports on SQLite must
create the triggers again: a rebuilt table loses them.)
"""

# ruff: noqa: S608 - the SQL below is built from this module's own constant names only
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None

# The period keys of a time column per level (month, day, hour), in UTC text.
_PERIODS = {
    "sqlite": ("substr({c}, 1, 7)", "substr({c}, 1, 10)", "substr({c}, 1, 13)"),
    "postgresql": ("to_char({c}, 'YYYY-MM')", "to_char({c}, 'YYYY-MM-DD')",
                   "to_char({c}, 'YYYY-MM-DD HH24')"),
}
_DIMENSIONS = ("category", "subject", "follow_up")
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
                "dimension": f"'{dimension}'", "value": f"COALESCE({row}.{dimension}, '')"},
                values))
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


def _create_triggers(dialect: str) -> None:
    for table, watched in _WATCHED.items():
        tally = "call_tallies" if table == "calls" else "report_tallies"
        add = "; ".join(_add(*s) for s in _shares(dialect, "NEW") if s[0] == tally)
        take = "; ".join(_take(*s) for s in _shares(dialect, "OLD") if s[0] == tally)
        distinct = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
        changed = " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in watched)
        columns = ", ".join(watched)
        if dialect == "sqlite":
            op.execute(f"CREATE TRIGGER {table}_tally_insert AFTER INSERT ON {table} "
                       f"BEGIN {add}; END")
            op.execute(f"CREATE TRIGGER {table}_tally_update AFTER UPDATE OF {columns} "
                       f"ON {table} WHEN {changed} BEGIN {take}; {add}; END")
            op.execute(f"CREATE TRIGGER {table}_tally_delete AFTER DELETE ON {table} "
                       f"BEGIN {take}; END")
            continue
        op.execute(f"""
            CREATE FUNCTION {table}_tally() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN {take}; END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN {add}; END IF;
                RETURN NULL;
            END $$""")
        op.execute(f"CREATE TRIGGER {table}_tally_change AFTER INSERT OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_tally()")
        op.execute(f"CREATE TRIGGER {table}_tally_update AFTER UPDATE OF {columns} ON {table} "
                   f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {table}_tally()")


def _backfill(dialect: str) -> None:
    for table, key, values in _shares(dialect, "facts"):
        source = "calls" if table == "call_tallies" else "reports"
        sums = ", ".join(f"sum({value})" for value in values.values())
        # Constants (the level, the dimension) are no grouping terms: GROUP BY 0 is positional.
        grouped = [v for v in key.values() if not v.isdigit() and not v.startswith("'")]
        op.execute(f"INSERT INTO {table} ({', '.join([*key, *values])}) "
                   f"SELECT {', '.join(key.values())}, {sums} FROM {source} AS facts "
                   f"GROUP BY {', '.join(grouped)}")


def upgrade() -> None:
    op.create_table(
        "call_tallies",
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.String(13), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("chose_category", sa.Boolean(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "level", "period", "outcome", "chose_category",
                                name="pk_call_tallies"),
    )
    op.create_table(
        "report_tallies",
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.String(13), nullable=False),
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
        sa.Column("recorded_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "level", "period", "dimension", "value",
                                name="pk_report_tallies"),
    )
    # The overdue counts read only overdue reports: follow-up state, then due date.
    op.create_index("ix_reports_overdue_acknowledgement", "reports",
                    ["follow_up", "acknowledge_due", "campaign_id", "call_started_at",
                     "feedback_due"])
    op.create_index("ix_reports_overdue_feedback", "reports",
                    ["follow_up", "feedback_due", "campaign_id", "call_started_at"])
    dialect = op.get_bind().dialect.name
    _backfill(dialect)
    _create_triggers(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in _WATCHED:
        if dialect == "sqlite":
            for kind in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_tally_{kind}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_tally_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_tally_update ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_tally()")
    op.drop_index("ix_reports_overdue_feedback", table_name="reports")
    op.drop_index("ix_reports_overdue_acknowledgement", table_name="reports")
    op.drop_table("report_tallies")
    op.drop_table("call_tallies")

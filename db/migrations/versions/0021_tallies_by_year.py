"""The tallies count by UTC year too: "so far" on an old day reads a row per year

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

A window of many months (the daily report's campaign so far, for a day a year and
more into the campaign) summed one tally row per month, dimension and value: the
recordings' length histogram alone has a row per second of length, so the thousandth
day's "so far" read 5,000 rows where the tenth read 1,500. A fourth period, the year
(level 4, period 'YYYY'), keeps that to a row per year. The triggers are made again
with the year in them and every tally is counted again from the rows (db/tally_sql.py),
in this transaction.
"""

from alembic import op

from db import tally_sql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

YEAR = 4


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in tally_sql.drop_all_triggers(dialect):
        op.execute(statement)
    tally_sql.rebuild(op.get_bind())
    for statement in tally_sql.create_all_triggers(dialect):
        op.execute(statement)
    # Every tally row was written again: the planner's statistics of the old ones would
    # mislead it (PostgreSQL's daily report read twice the rows until the next ANALYZE).
    for table in ("call_tallies", "report_tallies", "call_value_tallies"):
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    # The code before this revision reads no year rows; the triggers (this code's) keep
    # counting them, harmlessly, until the tables go with 0013's and 0019's downgrades.
    for table in ("call_tallies", "report_tallies", "call_value_tallies"):
        op.execute(f"DELETE FROM {table} WHERE level = {YEAR}")  # noqa: S608 - constants

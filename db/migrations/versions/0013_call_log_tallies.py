"""call_tallies, report_tallies: the call log by UTC month, day and hour, kept by triggers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

The daily report's "campaign so far", the statistics page and the call list's
counts per outcome read every call of a campaign, so they slowed down with
every day of the campaign. These tallies hold the same counts per UTC month,
day and hour; triggers adjust them in the transaction that changes a call or a
report, so they are as current as the facts. They are filled here from the
existing rows. Two indexes let the overdue counts read only overdue reports, one a day's
reports.
The SQL is db/tally_sql.py's. (A later batch rebuild of calls or reports on
SQLite must create the triggers again: a rebuilt table loses them.)
"""

import sqlalchemy as sa
from alembic import op

from db import tally_sql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


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
    # A day's reports by their call's start (the day's median reads these alone).
    op.create_index("ix_reports_campaign_started", "reports",
                    ["campaign_id", "call_started_at", "recording_status", "recording_seconds"])
    # The overdue counts read only overdue reports: follow-up state, then due date.
    op.create_index("ix_reports_overdue_acknowledgement", "reports",
                    ["follow_up", "acknowledge_due", "campaign_id", "call_started_at",
                     "feedback_due"])
    op.create_index("ix_reports_overdue_feedback", "reports",
                    ["follow_up", "feedback_due", "campaign_id", "call_started_at"])
    dialect = op.get_bind().dialect.name
    for statement in tally_sql.backfill(dialect) + tally_sql.create_triggers(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in tally_sql.drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_reports_campaign_started", table_name="reports")
    op.drop_index("ix_reports_overdue_feedback", table_name="reports")
    op.drop_index("ix_reports_overdue_acknowledgement", table_name="reports")
    op.drop_table("report_tallies")
    op.drop_table("call_tallies")

"""daily report: delivery bookkeeping and the indexes that make it fast at a million calls

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

- daily_reports.smtp_started_at: set when an attempt starts its SMTP conversation, so
  a row left in `sending` without it is known never to have reached the mail server.
- daily_report_schedules: when the scheduler first ran for each campaign (catch-up
  never reaches back before it).
- covering indexes for the daily report's "so far" figures: calls by outcome
  (campaign_id, started_at, outcome) and the gave-up anti-join (call_id, result).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("daily_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("smtp_started_at", sa.DateTime(), nullable=True))
    op.create_table(
        "daily_report_schedules",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("first_run_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_campaign_started_outcome",
                              ["campaign_id", "started_at", "outcome"], unique=False)
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index("ix_call_events_call_result", ["call_id", "result"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index("ix_call_events_call_result")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_campaign_started_outcome")
    op.drop_table("daily_report_schedules")
    with op.batch_alter_table("daily_reports", schema=None) as batch_op:
        batch_op.drop_column("smtp_started_at")

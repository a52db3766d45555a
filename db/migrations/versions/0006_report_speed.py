"""daily report: delivery bookkeeping and the indexes that make it fast at a million calls

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

- daily_reports.smtp_started_at: set when an attempt starts its SMTP conversation, so
  a row left in `sending` without it is known never to have reached the mail server.
- daily_report_schedules: when the scheduler first ran for each campaign (catch-up
  never reaches back before it).
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


def downgrade() -> None:
    op.drop_table("daily_report_schedules")
    with op.batch_alter_table("daily_reports", schema=None) as batch_op:
        batch_op.drop_column("smtp_started_at")

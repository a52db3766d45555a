"""reports carry their call's campaign and start time, with covering indexes for the figures

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

The daily report's "so far" figures grouped every report of a campaign joined to
its call; at a million calls that join dominated. The two copied columns are
filled from calls for existing rows.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("call_started_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE reports SET "
        "campaign_id = (SELECT calls.campaign_id FROM calls WHERE calls.id = reports.call_id), "
        "call_started_at = (SELECT calls.started_at FROM calls WHERE calls.id = reports.call_id)")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reports_campaign_figures",
            ["campaign_id", "category", "subject", "follow_up", "call_started_at",
             "recording_status", "recording_seconds", "acknowledge_due", "feedback_due"],
            unique=False)
        batch_op.create_index(
            "ix_reports_campaign_seconds",
            ["campaign_id", "recording_seconds", "call_started_at", "recording_status"],
            unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_campaign_seconds")
        batch_op.drop_index("ix_reports_campaign_figures")
        batch_op.drop_column("call_started_at")
        batch_op.drop_column("campaign_id")

"""call log: calls, steps, reports

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("calls",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("call_sid", sa.String(length=64), nullable=False),
    sa.Column("campaign_id", sa.String(length=64), nullable=True),
    sa.Column("from_number", sa.String(length=32), nullable=True),
    sa.Column("to_number", sa.String(length=32), nullable=True),
    sa.Column("started_at", sa.DateTime(), nullable=False),
    sa.Column("ended_at", sa.DateTime(), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("status_sequence", sa.Integer(), nullable=True),
    sa.Column("duration_seconds", sa.Integer(), nullable=True),
    sa.Column("language", sa.String(length=8), nullable=True),
    sa.Column("refusal", sa.String(length=16), nullable=True),
    sa.Column("referred", sa.Boolean(), nullable=False),
    sa.Column("transferred", sa.Boolean(), nullable=False),
    sa.Column("outcome", sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("call_sid")
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_campaign_started", ["campaign_id", "started_at"], unique=False)
        batch_op.create_index("ix_calls_from_number", ["from_number"], unique=False)
        batch_op.create_index("ix_calls_outcome_started", ["outcome", "started_at"], unique=False)
        batch_op.create_index("ix_calls_started_at", ["started_at"], unique=False)

    op.create_table("call_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("call_id", sa.Integer(), nullable=False),
    sa.Column("step_no", sa.Integer(), nullable=False),
    sa.Column("step", sa.String(length=32), nullable=False),
    sa.Column("result", sa.String(length=64), nullable=False),
    sa.Column("digits", sa.String(length=16), nullable=True),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("call_id", "step_no", name="uq_call_events_call_step")
    )
    op.create_table("reports",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("call_id", sa.Integer(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("reference", sa.String(length=16), nullable=False),
    sa.Column("category", sa.String(length=64), nullable=True),
    sa.Column("subject", sa.String(length=64), nullable=True),
    sa.Column("recording_sid", sa.String(length=64), nullable=True),
    sa.Column("recording_url", sa.String(length=512), nullable=True),
    sa.Column("recording_seconds", sa.Integer(), nullable=True),
    sa.Column("recording_status", sa.String(length=16), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("follow_up", sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("call_id", "number", name="uq_reports_call_number"),
    sa.UniqueConstraint("recording_sid"),
    sa.UniqueConstraint("reference")
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_category", ["category"], unique=False)
        batch_op.create_index("ix_reports_follow_up", ["follow_up"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_follow_up")
        batch_op.drop_index("ix_reports_category")

    op.drop_table("reports")
    op.drop_table("call_events")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_started_at")
        batch_op.drop_index("ix_calls_outcome_started")
        batch_op.drop_index("ix_calls_from_number")
        batch_op.drop_index("ix_calls_campaign_started")

    op.drop_table("calls")

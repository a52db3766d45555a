"""calls: whether the caller chose a category, for the daily report's "gave up" figure

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

"Gave up before choosing a category" was an anti-join of every abandoned call
against its steps; a flag on the call, filled from the steps for existing rows,
lets an index answer it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chose_category", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute(
        "UPDATE calls SET chose_category = true WHERE EXISTS (SELECT 1 FROM call_events "
        "WHERE call_events.call_id = calls.id AND call_events.result LIKE 'category:%')")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_campaign_outcome_started",
                              ["campaign_id", "outcome", "started_at", "chose_category"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_campaign_outcome_started")
        batch_op.drop_column("chose_category")

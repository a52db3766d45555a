"""reports: whether the matter is within the campaign's scope

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01

A referred caller (key 9, or a subject outside the scope) may now leave a message;
it is kept as a report marked out of scope, passed on to the city and the
departments concerned. Every report made before this revision was in scope (a
referral left no report), so existing rows are true. The index serves the daily
report's count of referred messages per campaign and day.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_scope", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.create_index("ix_reports_campaign_in_scope",
                              ["campaign_id", "in_scope", "call_started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_campaign_in_scope")
        batch_op.drop_column("in_scope")

"""reports: acknowledgement and feedback due dates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledge_due", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("feedback_due", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_reports_acknowledge_due", ["acknowledge_due"], unique=False)
        batch_op.create_index("ix_reports_feedback_due", ["feedback_due"], unique=False)
    # Reports taken before this revision get the defaults: 7 days and 90 days after the call.
    op.execute(
        "UPDATE reports SET acknowledge_due = (SELECT calls.started_at FROM calls "
        "WHERE calls.id = reports.call_id) WHERE acknowledge_due IS NULL")
    op.execute(
        "UPDATE reports SET feedback_due = acknowledge_due WHERE feedback_due IS NULL")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("UPDATE reports SET acknowledge_due = datetime(acknowledge_due, '+7 days'), "
                   "feedback_due = datetime(feedback_due, '+90 days')")
    else:
        op.execute("UPDATE reports SET acknowledge_due = acknowledge_due + interval '7 days', "
                   "feedback_due = feedback_due + interval '90 days'")


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_feedback_due")
        batch_op.drop_index("ix_reports_acknowledge_due")
        batch_op.drop_column("feedback_due")
        batch_op.drop_column("acknowledge_due")

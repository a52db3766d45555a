"""The follow-up chart's index: reports by follow-up state and the time it last changed

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-01

The statistics page charts open and overdue follow-ups by day. It reads the reports
open now (ix_reports_follow_up) and those referred or closed within the chart's window:
(follow_up, follow_up_at) makes the latter an index range, so the chart costs what the
window holds, never what the campaign closed before it. A plain CREATE INDEX: no table
rebuild, so 0013's tally triggers stay on SQLite.
"""

from alembic import op

revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reports_follow_up_at", "reports", ["follow_up", "follow_up_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_follow_up_at", table_name="reports")

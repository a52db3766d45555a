"""The overdue indexes carry the assignee: overdue by assignee reads the indexes alone

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

The daily report counts every overdue report by its assignee. The two overdue indexes
(0013) found those reports, but each was then read from the table for its assignee: a
row lookup per overdue report, 10 ms with five thousand overdue at a million calls. With
the assignee in both indexes the count reads the indexes only (2 ms). Indexes alone
change (no table rebuild), so the tally triggers stay.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BEFORE = {
    "ix_reports_overdue_acknowledgement": ["follow_up", "acknowledge_due", "campaign_id",
                                           "call_started_at", "feedback_due"],
    "ix_reports_overdue_feedback": ["follow_up", "feedback_due", "campaign_id",
                                    "call_started_at"],
}


def _rebuild(columns: dict[str, list[str]]) -> None:
    for name, listed in columns.items():
        op.drop_index(name, table_name="reports")
        op.create_index(name, "reports", listed)


def upgrade() -> None:
    _rebuild({name: [*listed, "assignee_id"] for name, listed in BEFORE.items()})


def downgrade() -> None:
    _rebuild(BEFORE)

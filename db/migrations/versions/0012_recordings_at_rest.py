"""recording_files and legal_holds: recordings at rest, their state, key and checksum

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Each report's recording gets a row once the download job sees it: where the audio
is (at Twilio, downloaded, deleted at Twilio, failed, purged), its SHA-256, the id
of the key its encrypted files are under, and the download's retries. A legal hold
keeps a report out of the retention purge. New tables only; existing rows untouched.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        "recording_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("purged_at", sa.DateTime(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("disguise", sa.String(length=16), nullable=True),
        sa.Column("original_file", sa.String(length=128), nullable=True),
        sa.Column("disguised_file", sa.String(length=128), nullable=True),
        sa.Column("disguised_sha256", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recording_sid"),
        sa.UniqueConstraint("report_id"),
    )
    op.create_index("ix_recording_files_state_next", "recording_files",
                    ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "legal_holds",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id"),
    )
    op.create_index("ix_reports_created_at", "reports", ["created_at"], unique=False)

def downgrade() -> None:
    op.drop_index("ix_reports_created_at", table_name="reports")
    op.drop_table("legal_holds")
    op.drop_index("ix_recording_files_state_next", table_name="recording_files")
    op.drop_table("recording_files")

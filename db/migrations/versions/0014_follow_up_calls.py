"""Follow-up calls: additions to a report, the team's reply, followed_up calls

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

A caller who rings back with a reference may add a message (report_additions,
one row per message, keyed by call and number and by recording SID) and hears
the team's reply (reports.reply_*; reply_heard_at is when it was first heard).
calls.followed_up marks a call that reached a report; the (from_number,
started_at) index counts a calling number's wrong references over 24 h.
recording_files may now belong to an addition (addition_id) instead of a report.
Existing rows keep their values (new columns are empty or false). Columns are only
added to calls and reports (no table rebuild), so 0013's tally triggers stay; the
downgrade rebuilds those tables on SQLite and so creates the triggers again.
"""

import sqlalchemy as sa
from alembic import op

from db import tally_sql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

REPLY_COLUMNS = ("reply_text", "reply_language", "reply_by", "reply_at", "reply_heard_at",
                 "new_info_at")


def upgrade() -> None:
    # Plain ADD COLUMN (never a batch rebuild, which would drop 0013's triggers on SQLite).
    op.add_column("calls", sa.Column("followed_up", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.create_index("ix_calls_from_started", "calls", ["from_number", "started_at"])
    op.add_column("reports", sa.Column("reply_text", sa.Text(), nullable=True))
    op.add_column("reports", sa.Column("reply_language", sa.String(length=8), nullable=True))
    op.add_column("reports", sa.Column("reply_by", sa.String(length=64), nullable=True))
    op.add_column("reports", sa.Column("reply_at", sa.DateTime(), nullable=True))
    op.add_column("reports", sa.Column("reply_heard_at", sa.DateTime(), nullable=True))
    op.add_column("reports", sa.Column("new_info_at", sa.DateTime(), nullable=True))
    op.create_table(
        "report_additions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=16), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=True),
        sa.Column("recording_url", sa.String(length=512), nullable=True),
        sa.Column("recording_seconds", sa.Integer(), nullable=True),
        sa.Column("recording_status", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recording_sid"),
        sa.UniqueConstraint("call_id", "number", name="uq_report_additions_call_number"),
    )
    op.create_index("ix_report_additions_report", "report_additions", ["report_id", "at"])
    op.create_index("ix_report_additions_unmatched", "report_additions",
                    ["campaign_id", "report_id"])
    # An added message's recording comes home like a report's: a row of its own.
    with op.batch_alter_table("recording_files") as batch:
        batch.alter_column("report_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("addition_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint("uq_recording_files_addition_id", ["addition_id"])
        batch.create_foreign_key("fk_recording_files_addition_id", "report_additions",
                                 ["addition_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    op.execute("DELETE FROM recording_files WHERE report_id IS NULL")
    with op.batch_alter_table("recording_files") as batch:
        batch.drop_constraint("fk_recording_files_addition_id", type_="foreignkey")
        batch.drop_constraint("uq_recording_files_addition_id", type_="unique")
        batch.drop_column("addition_id")
        batch.alter_column("report_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_report_additions_unmatched", table_name="report_additions")
    op.drop_index("ix_report_additions_report", table_name="report_additions")
    op.drop_table("report_additions")
    dialect = op.get_bind().dialect.name
    for statement in tally_sql.drop_triggers(dialect):
        op.execute(statement)
    with op.batch_alter_table("reports") as batch:
        for column in reversed(REPLY_COLUMNS):
            batch.drop_column(column)
    op.drop_index("ix_calls_from_started", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("followed_up")
    for statement in tally_sql.create_triggers(dialect):
        op.execute(statement)

"""The console's second factor: a TOTP secret per user, one-time recovery codes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

users.totp_secret holds the user's TOTP secret sealed with the recordings' key
(AES-256-GCM, never in clear); totp_pending a secret shown at enrolment and not yet
confirmed by a code; totp_last_step the last time step accepted (a code is never
taken twice); totp_enrolled_at when the user enrolled. recovery_codes holds ten
Argon2id hashes per user, each used at most once. Existing users keep their rows
with no second factor: they enrol at their next sign-in where it is required.
Plain ADD COLUMN and a new table only (no batch rebuild).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = ("totp_secret", "totp_pending", "totp_last_step", "totp_enrolled_at")


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret", sa.String(length=255), nullable=True))
    op.add_column("users", sa.Column("totp_pending", sa.String(length=255), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("totp_enrolled_at", sa.DateTime(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_codes_user", "recovery_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_recovery_codes_user", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("users") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)

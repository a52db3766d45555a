"""Need to know: campaigns per user, searches kept on the server, the audit chain

Revision ID: 0016
Revises: 0018
Create Date: 2026-12-01

user_campaigns limits a user to some campaigns (no row: every campaign).
saved_searches holds the call list's search text under the id in the URL, instead of
the session cookie. audit_events gains prev_hash and hash (db/audit_chain.py); the
lines already there are chained in id order, with 0003's no-UPDATE trigger lifted for
that one statement per line and put back. The (target, at) index answers "who has
viewed this call". audit_events is not tallied, so plain ADD COLUMN is enough on SQLite.
"""

import sqlalchemy as sa
from alembic import op

from db import audit_chain

revision = "0016"
down_revision = "0018"
branch_labels = None
depends_on = None

SQLITE_NO_UPDATE = ("CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events "
                    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
POSTGRES_NO_UPDATE = ("CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events "
                      "FOR EACH ROW EXECUTE FUNCTION hotline_append_only()")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "user_campaigns",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "campaign_id"),
    )
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_saved_searches_created_at", "saved_searches", ["created_at"])
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_events_target_at", "audit_events", ["target", "at"])

    lines = sa.table("audit_events", sa.column("id", sa.Integer()),
                     sa.column("at", sa.DateTime()), sa.column("actor", sa.String()),
                     sa.column("action", sa.String()), sa.column("target", sa.String()),
                     sa.column("detail", sa.String()), sa.column("address", sa.String()),
                     sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(lines).order_by(lines.c.id)).all()
    if not rows:
        return
    op.execute("DROP TRIGGER audit_events_append_only" + ("" if sqlite else " ON audit_events"))
    previous = audit_chain.GENESIS
    for row in rows:
        content = audit_chain.canonical(row.at, row.actor, row.action, row.target, row.detail,
                                        row.address)
        sealed = audit_chain.digest(previous, content)
        connection.execute(lines.update().where(lines.c.id == row.id)
                           .values(prev_hash=previous, hash=sealed))
        previous = sealed
    op.execute(SQLITE_NO_UPDATE if sqlite else POSTGRES_NO_UPDATE)


def downgrade() -> None:
    op.drop_index("ix_audit_events_target_at", table_name="audit_events")
    # DROP COLUMN in place (SQLite 3.35+): a batch rebuild would lose the table's triggers.
    op.execute("ALTER TABLE audit_events DROP COLUMN hash")
    op.execute("ALTER TABLE audit_events DROP COLUMN prev_hash")
    op.drop_index("ix_saved_searches_created_at", table_name="saved_searches")
    op.drop_table("saved_searches")
    op.drop_table("user_campaigns")

"""console: users, sign-in attempts, report follow-up and activity, audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

The audit log and report activity are append-only: a trigger refuses any UPDATE
of their rows in the database itself, whatever the client.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_events", "report_activity")


def upgrade() -> None:
    op.create_table("users",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=64), nullable=False),
    sa.Column("role", sa.String(length=16), nullable=False),
    sa.Column("password_hash", sa.String(length=255), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("session_token", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("password_changed_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("name")
    )
    # Before report_activity exists: SQLite's batch mode rebuilds the reports table.
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("follow_up_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_reports_assignee_id_users", "users", ["assignee_id"], ["id"])
        batch_op.create_index("ix_reports_assignee", ["assignee_id"], unique=False)

    op.create_table("login_attempts",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("username", sa.String(length=64), nullable=False),
    sa.Column("address", sa.String(length=64), nullable=False),
    sa.Column("result", sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["address", "at"])

    op.create_table("audit_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("actor", sa.String(length=64), nullable=False),
    sa.Column("action", sa.String(length=32), nullable=False),
    sa.Column("target", sa.String(length=128), nullable=True),
    sa.Column("detail", sa.String(length=512), nullable=True),
    sa.Column("address", sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_actor_at", "audit_events", ["actor", "at"])
    op.create_index("ix_audit_events_action_at", "audit_events", ["action", "at"])

    op.create_table("report_activity",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("report_id", sa.Integer(), nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("author_id", sa.Integer(), nullable=True),
    sa.Column("author_name", sa.String(length=64), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("from_status", sa.String(length=16), nullable=True),
    sa.Column("to_status", sa.String(length=16), nullable=True),
    sa.Column("body", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_report_activity_report_at", "report_activity", ["report_id", "at"])

    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        op.execute("CREATE FUNCTION hotline_append_only() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION hotline_append_only()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS hotline_append_only()")

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_assignee")
        batch_op.drop_constraint("fk_reports_assignee_id_users", type_="foreignkey")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("follow_up_reason")
        batch_op.drop_column("follow_up_at")

    op.drop_index("ix_report_activity_report_at", table_name="report_activity")
    op.drop_table("report_activity")
    op.drop_index("ix_audit_events_action_at", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_at", table_name="audit_events")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_login_attempts_address_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_username_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("users")

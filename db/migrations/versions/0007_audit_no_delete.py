"""audit log: no DELETE (nor TRUNCATE on PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

0003 made audit_events and report_activity refuse UPDATE. The audit log now also
refuses DELETE, and on PostgreSQL TRUNCATE, in the database itself. Report activity
keeps accepting deletes: it goes with its report (ON DELETE CASCADE), on purpose.

(The console's outcome index, calls(campaign_id, outcome, started_at), comes with
0009; 0006 has calls(campaign_id, started_at, outcome).)
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
    else:
        # hotline_append_only() (0003) raises '<table> is append-only'.
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION hotline_append_only()")
        op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION hotline_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete ON audit_events")

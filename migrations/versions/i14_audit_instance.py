"""issue 14: each audit event names the process instance it came from, so that a case run as one instance
per item (a control plan's points) shows a responsible person the events of their own points only.

Revision ID: i14_audit_instance
Revises: i15_goals

A plain ADD COLUMN (no foreign key, no table copy): SQLite's batch mode would copy the table and lose
the append-only triggers; the events written before this revision have no instance.
"""
import sqlalchemy as sa
from alembic import op

revision = "i14_audit_instance"
down_revision = "i15_goals"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("audit_events", sa.Column("instance_id", sa.Integer(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # ALTER TABLE ... DROP COLUMN (SQLite 3.35+) keeps the table and its append-only triggers.
        op.execute("ALTER TABLE audit_events DROP COLUMN instance_id")
    else:
        op.drop_column("audit_events", "instance_id")

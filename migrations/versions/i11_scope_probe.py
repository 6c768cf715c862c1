"""Lists at volume: the case scope probes each case's tasks from one index alone.

Revision ID: i11_scope_probe
Revises: i16_admin

`ix_tasks_case_part` is the task rows of a case with the columns need-to-know asks about (who holds,
held or is offered the task), so a list that probes "has this user a part in this case?" per row reads
the index only (PostgreSQL; SQLite indexes case_id). It replaces `ix_tasks_case_id`, whose key it starts
with. Imports no application code.
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "i11_scope_probe"
down_revision = "i16_admin"
branch_labels = None
depends_on = None

PART_COLUMNS = ["assignee_id", "completed_by_id", "state", "role", "unit_id"]


def upgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_case_part", ["case_id"], unique=False, postgresql_include=PART_COLUMNS)
        batch_op.drop_index("ix_tasks_case_id")


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_case_id", ["case_id"], unique=False)
        batch_op.drop_index("ix_tasks_case_part")

"""process specs stored once per version (process_specs) instead of in every instance's state

Revision ID: i18b_process_specs
Revises: i17_lex_maria

An instance's saved state no longer embeds its process spec (about 24 of its 40 kB); new states are
restored against the row of their version. Existing states keep their embedded copy and keep loading
as they are, so nothing is rewritten here. Imports no application code.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "i18b_process_specs"
down_revision = "i17_lex_maria"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_specs",
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("spec_hash", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("process_id", "spec_hash", name=op.f("pk_process_specs")),
    )


def downgrade():
    # The code before this revision reads the spec from the state: put it back into the states saved
    # without it, then drop the table.
    conn = op.get_bind()
    specs = sa.table("process_specs", sa.column("process_id", sa.String), sa.column("spec_hash", sa.String),
                     sa.column("spec", sa.Text))
    instances = sa.table("process_instances", sa.column("id", sa.Integer), sa.column("process_id", sa.String),
                         sa.column("spec_hash", sa.String), sa.column("state", sa.Text))
    stored = {(r.process_id, r.spec_hash): json.loads(r.spec) for r in conn.execute(sa.select(specs))}
    for row in conn.execute(sa.select(instances)).all():
        try:
            state = json.loads(row.state)
        except ValueError:
            continue
        if isinstance(state, dict) and "spec" not in state and (row.process_id, row.spec_hash) in stored:
            state.update(stored[(row.process_id, row.spec_hash)])
            conn.execute(sa.update(instances).where(instances.c.id == row.id).values(state=json.dumps(state)))
    op.drop_table("process_specs")

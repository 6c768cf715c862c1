"""process specs stored once per version (process_specs) instead of in every instance's state

Revision ID: i18b_process_specs
Revises: i17_lex_maria

An instance's saved state no longer embeds its process spec (about 24 of its 40 kB); new states are
restored against the row of their version. Existing states keep their embedded copy and keep loading
as they are, so nothing is rewritten here. Imports no application code.
"""
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
    op.drop_table("process_specs")

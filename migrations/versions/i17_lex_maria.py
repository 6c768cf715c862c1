"""issue 17: lex Maria — health-care deviations and their lex Maria notifications on the case

Revision ID: i17_lex_maria
Revises: i11_scope_probe
"""
import sqlalchemy as sa
from alembic import op

revision = "i17_lex_maria"
down_revision = "i11_scope_probe"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("health_care", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("is_lex_maria", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("lex_maria_notified", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("lex_maria_notified")
        batch.drop_column("is_lex_maria")
        batch.drop_column("health_care")

"""issue 10: law-true flows — skyddsbedömning and extension dates on investigations, orphan tasks, the
dated log of ej verkställda beslut

Revision ID: i10_lawtrue
Revises: i14_kontrollplan
"""
import sqlalchemy as sa
from alembic import op

revision = "i10_lawtrue"
down_revision = "i14_kontrollplan"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("protection_assessed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("immediate_protection", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("extension_decided_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("extension_in_time", sa.Boolean(), nullable=True))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("orphan", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "ej_verkstallt_handelser",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_ej_verkstallt_handelser_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_ej_verkstallt_handelser_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ej_verkstallt_handelser")),
    )
    op.create_index(op.f("ix_ej_verkstallt_handelser_case_id"), "ej_verkstallt_handelser", ["case_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_ej_verkstallt_handelser_case_id"), table_name="ej_verkstallt_handelser")
    op.drop_table("ej_verkstallt_handelser")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("orphan")
    with op.batch_alter_table("investigations") as batch:
        batch.drop_column("extension_in_time")
        batch.drop_column("extension_decided_on")
        batch.drop_column("immediate_protection")
        batch.drop_column("protection_assessed_on")

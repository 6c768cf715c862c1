"""Planned controls and supervision: the points of a control plan, and what a task carries (its attachment).

Revision ID: i14_kontrollplan
Revises: i13_hardening

Imports no application code, so it keeps building the same schema whatever the models become.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "i14_kontrollplan"
down_revision = "i13_hardening"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "kontroll_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.Column("consequence", sa.Integer(), nullable=True),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("risk_value", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=32), nullable=True),
        sa.Column("sample_case_type", sa.String(length=32), nullable=True),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("sample_from", sa.Date(), nullable=True),
        sa.Column("sample_to", sa.Date(), nullable=True),
        sa.Column("sample_closed", sa.Boolean(), nullable=False),
        sa.Column("sample_seed", sa.String(length=64), nullable=True),
        sa.Column("sample", JSON, nullable=True),
        sa.Column("verdicts", JSON, nullable=True),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=True),
        sa.Column("action_text", sa.Text(), nullable=True),
        sa.Column("action_due_on", sa.Date(), nullable=True),
        sa.Column("action_responsible_id", sa.Integer(), nullable=True),
        sa.Column("action_done_on", sa.Date(), nullable=True),
        sa.Column("action_notes", sa.Text(), nullable=True),
        sa.Column("action_escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pdca_case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["action_responsible_id"], ["users.id"],
                                name=op.f("fk_kontroll_points_action_responsible_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_kontroll_points_case_id_cases")),
        sa.ForeignKeyConstraint(["completed_by_id"], ["users.id"], name=op.f("fk_kontroll_points_completed_by_id_users")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"],
                                name=op.f("fk_kontroll_points_instance_id_process_instances")),
        sa.ForeignKeyConstraint(["pdca_case_id"], ["cases.id"], name=op.f("fk_kontroll_points_pdca_case_id_cases")),
        sa.ForeignKeyConstraint(["responsible_id"], ["users.id"], name=op.f("fk_kontroll_points_responsible_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kontroll_points")),
        sa.UniqueConstraint("case_id", "number", name="uq_kontroll_points_case_number"),
        sa.UniqueConstraint("instance_id", name=op.f("uq_kontroll_points_instance_id")),
    )
    with op.batch_alter_table("kontroll_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kontroll_points_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kontroll_points_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_kontroll_points_responsible_id"), ["responsible_id"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("attachment")
    op.drop_table("kontroll_points")

"""Goals, indicators and their values, and brukarundersökningar (the kvalitetsberättelse's goals and surveys).

Revision ID: i15_goals
Revises: i11_lists

Imports no application code, so it keeps building the same schema whatever the models become.
"""
import sqlalchemy as sa
from alembic import op

revision = "i15_goals"
down_revision = "i11_lists"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("perspective", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_goals_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(op.f("ix_goals_year"), "goals", ["year"], unique=False)
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], name=op.f("fk_indicators_goal_id_goals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("goal_id", "code", name="uq_indicators_goal_code"),
    )
    op.create_index(op.f("ix_indicators_goal_id"), "indicators", ["goal_id"], unique=False)
    op.create_index(op.f("ix_indicators_code"), "indicators", ["code"], unique=False)
    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("gender", sa.String(length=1), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_indicator_values_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_values")),
        sa.UniqueConstraint("code", "period", "gender", "unit_code", name="uq_indicator_values_key"),
    )
    op.create_index(op.f("ix_indicator_values_code"), "indicator_values", ["code"], unique=False)
    op.create_table(
        "survey_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("share_positive", sa.Float(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_survey_results_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_results")),
        sa.UniqueConstraint("year", "service", "unit_code", "question", name="uq_survey_results_key"),
    )
    op.create_index(op.f("ix_survey_results_year"), "survey_results", ["year"], unique=False)


def downgrade():
    op.drop_table("survey_results")
    op.drop_table("indicator_values")
    op.drop_table("indicators")
    op.drop_table("goals")

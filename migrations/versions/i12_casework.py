"""Case work: comments, attachments, substitutes, and a task's draft on its inbox row.

Revision ID: i12_casework
Revises: i18b_process_specs

Like the initial schema, it imports no application code.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "i12_casework"
down_revision = "i18b_process_specs"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "case_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_comments_case_id_cases")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_case_comments_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_comments")),
    )
    op.create_index(op.f("ix_case_comments_case_id"), "case_comments", ["case_id"], unique=False)
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_attachments_case_id_cases")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_attachments_task_id_tasks")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_case_id"), "attachments", ["case_id"], unique=False)
    op.create_table(
        "substitutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_substitutes_user_id_users")),
        sa.ForeignKeyConstraint(["substitute_id"], ["users.id"], name=op.f("fk_substitutes_substitute_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_substitutes_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitutes")),
    )
    op.create_index(op.f("ix_substitutes_user_id"), "substitutes", ["user_id"], unique=False)
    op.create_index("ix_substitutes_substitute_period", "substitutes", ["substitute_id", "starts_on", "ends_on"],
                    unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft", JSON, nullable=True))
        batch_op.add_column(sa.Column("draft_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("draft_saved_at", WHEN, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_tasks_draft_by_id_users"), "users", ["draft_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tasks_draft_by_id_users"), type_="foreignkey")
        batch_op.drop_column("draft_saved_at")
        batch_op.drop_column("draft_by_id")
        batch_op.drop_column("draft")
    op.drop_index("ix_substitutes_substitute_period", table_name="substitutes")
    op.drop_index(op.f("ix_substitutes_user_id"), table_name="substitutes")
    op.drop_table("substitutes")
    op.drop_index(op.f("ix_attachments_case_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index(op.f("ix_case_comments_case_id"), table_name="case_comments")
    op.drop_table("case_comments")

"""Lists: paging, search, filters — the search index, saved filters, the case's earliest deadline,
and the indexes the inbox and the case list read in their order.

Revision ID: i11_lists
Revises: i18_write_path

Like the initial schema, it imports no application code. After upgrading an existing installation, run
`flask --app app search reindex` once so the cases already there become searchable.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "i11_lists"
down_revision = "i18_write_path"
branch_labels = None
depends_on = None

SEARCH_VECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
SQLITE_FTS_DDL = ("CREATE VIRTUAL TABLE IF NOT EXISTS case_fts USING fts5(document, full_document, "
                  "tokenize = 'unicode61 remove_diacritics 0')")


def upgrade():
    op.create_table(
        "case_search",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("document", SEARCH_VECTOR, nullable=False),
        sa.Column("full_document", SEARCH_VECTOR, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_search_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_search")),
    )
    with op.batch_alter_table("case_search", schema=None) as batch_op:
        batch_op.create_index("ix_case_search_document", ["document"], unique=False, postgresql_using="gin")
        batch_op.create_index("ix_case_search_full_document", ["full_document"], unique=False,
                              postgresql_using="gin")
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_saved_filters_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("user_id", "page", "name", name="uq_saved_filters_user_page_name"),
    )
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_filters_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_cases_created_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_cases_unit_created", ["unit_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_cases_due_id", ["due_at", "id"], unique=False)
    op.execute("UPDATE cases SET due_at = (SELECT min(tasks.due_at) FROM tasks "
               "WHERE tasks.case_id = cases.id AND tasks.state = 'open')")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_inbox_offered", ["role", "unit_id", "due_at", "created_at", "id"],
                              unique=False, postgresql_where=sa.text("state = 'open' AND assignee_id IS NULL"),
                              sqlite_where=sa.text("state = 'open' AND assignee_id IS NULL"))
        batch_op.create_index("ix_tasks_inbox_assignee", ["assignee_id", "state", "due_at", "created_at", "id"],
                              unique=False)
        batch_op.create_index("ix_tasks_assignee_case", ["assignee_id", "case_id"], unique=False)
        batch_op.create_index("ix_tasks_completed_by_case", ["completed_by_id", "case_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_FTS_DDL)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS case_fts")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_completed_by_case")
        batch_op.drop_index("ix_tasks_assignee_case")
        batch_op.drop_index("ix_tasks_inbox_assignee")
        batch_op.drop_index("ix_tasks_inbox_offered")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_due_id")
        batch_op.drop_index("ix_cases_unit_created")
        batch_op.drop_index("ix_cases_created_id")
        batch_op.drop_column("due_at")
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_filters_user_id"))
    op.drop_table("saved_filters")
    with op.batch_alter_table("case_search", schema=None) as batch_op:
        batch_op.drop_index("ix_case_search_full_document")
        batch_op.drop_index("ix_case_search_document")
    op.drop_table("case_search")

"""the organisation's revision, moved by triggers on units, role_assignments and users

Revision ID: i18c_org_revision
Revises: i12_casework

A completion reads the revision with its lock; while it is unchanged, a process keeps what it looked
up about lanes and role holders instead of asking again. Imports no application code: the triggers
are written out here as app.models.organisation.revision_ddl makes them.
"""
import sqlalchemy as sa
from alembic import op

revision = "i18c_org_revision"
down_revision = "i12_casework"
branch_labels = None
depends_on = None

TABLES = ("units", "role_assignments", "users")


def upgrade():
    op.create_table(
        "organisation_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_revision")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION organisation_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO organisation_revision (id, revision) VALUES (1, floor(random() * 1e15)::bigint) "
            "ON CONFLICT (id) DO UPDATE SET revision = excluded.revision; RETURN NULL; END $$")
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
            op.execute(f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION organisation_revision_bump()")
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_revision_{event.lower()} AFTER {event} ON {table} "
                           "BEGIN INSERT INTO organisation_revision (id, revision) "
                           "VALUES (1, abs(random() % 1000000000000000)) "
                           "ON CONFLICT(id) DO UPDATE SET revision = excluded.revision; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        op.execute("DROP FUNCTION IF EXISTS organisation_revision_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
    op.drop_table("organisation_revision")

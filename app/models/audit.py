from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.organisation import User
from app.models.types import JSONType, UTCDateTime


class AuditEvent(Model):
    """Append-only: written in the transaction of the change it describes. The database refuses
    UPDATE, DELETE and TRUNCATE on this table (triggers in the migrations); the mapper refuses them too."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # The process instance the event came from (none for case-level events): a case run as one instance
    # per item (a plan's points) shows each responsible person their own items' events. No foreign key:
    # adding one would copy this append-only table on SQLite.
    instance_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict | None] = mapped_column(JSONType)
    actor: Mapped[User | None] = relationship(lazy="joined")


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("audit events are append-only")


# The tables the database keeps append-only: the audit log and the read log (who read which case).
APPEND_ONLY_TABLES = ("audit_events", "case_access_log")
_MESSAGES = {"audit_events": "audit events are append-only", "case_access_log": "the read log is append-only"}


def append_only_ddl(dialect: str, table: str) -> list[str]:
    """Triggers that refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE on `table`. The message names the
    table's rows as append-only. Used by create_all (below) and by the migrations, so both ways of building
    the schema carry the same guard. TRUNCATE fires no row trigger: it needs its own statement trigger."""
    message = _MESSAGES.get(table, f"{table} is append-only")
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ]
    if dialect == "postgresql":
        function = f"{table}_append_only"
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return []


def create_append_only_guard(connection, table: str = "audit_events") -> None:
    for statement in append_only_ddl(connection.dialect.name, table):
        connection.exec_driver_sql(statement)


@event.listens_for(AuditEvent.__table__, "after_create")
def _after_create(target, connection, **kw):
    create_append_only_guard(connection, "audit_events")

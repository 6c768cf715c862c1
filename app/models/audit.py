from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.organisation import User
from app.models.types import JSONType, UTCDateTime


class AuditEvent(Model):
    """Append-only: written in the transaction of the change it describes. The database refuses
    UPDATE and DELETE on this table (triggers in the migration); the mapper refuses them too."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
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


# The database itself refuses to change or remove an audit row. Used by create_all (below) and by
# the migration, so both ways of building the schema carry the same guard.
APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}


def create_append_only_guard(connection) -> None:
    for statement in APPEND_ONLY_DDL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


@event.listens_for(AuditEvent.__table__, "after_create")
def _after_create(target, connection, **kw):
    create_append_only_guard(connection)

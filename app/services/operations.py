"""Operations: the background jobs' heartbeat and the health answer for the municipality's monitoring
(database reachable, age of the scheduler's last run, mail waiting in the outbox). Nothing in the
answer is about a case or a person."""
from __future__ import annotations

from typing import cast

from flask import current_app
from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from app import clock
from app.extensions import db
from app.models import Heartbeat, OutboxMessage


def beat(name: str) -> None:
    """Record that the job `name` has just finished a run (its own small transaction)."""
    # One upsert: two scheduler processes beating at once must not collide on the first row.
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(cast(Table, Heartbeat.__table__)).values(name=name, at=clock.now())
    db.session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"at": statement.excluded.at}))
    db.session.commit()


def health() -> tuple[dict, bool]:
    """The health document and whether the service can serve at all (the database answers)."""
    try:
        db.session.execute(text("SELECT 1"))
        last = db.session.scalar(select(Heartbeat.at).where(Heartbeat.name == "timers"))
        queued = int(db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None)))
                     or 0)
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "fel", "database": {"ok": False}, "scheduler": None, "mail_queue": None}, False
    limit = int(current_app.config["HEALTH_SCHEDULER_MAX_AGE_SECONDS"])
    age = round((clock.now() - last).total_seconds()) if last is not None else None
    scheduler_ok = age is not None and age <= limit
    body = {"status": "ok" if scheduler_ok else "varning", "database": {"ok": True},
            "scheduler": {"ok": scheduler_ok, "heartbeat_age_seconds": age, "max_age_seconds": limit},
            "mail_queue": {"length": queued}}
    return body, True

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from app import clock
from app.extensions import db
from app.models import AuditEvent

# Inside `kept()`: the events recorded so far.
_kept: ContextVar[list[AuditEvent] | None] = ContextVar("audit_kept", default=None)


@contextmanager
def kept() -> Iterator[list[AuditEvent]]:
    """The events recorded inside the block, in order: an answer about what the block did shows them
    without reading them back."""
    events: list[AuditEvent] = []
    token = _kept.set(events)
    try:
        yield events
    finally:
        _kept.reset(token)


def record(action: str, *, case=None, actor=None, task_id: str | None = None, summary: str = "",
           details: dict | None = None, instance_id: int | None = None) -> AuditEvent:
    """Append an audit event to the current transaction (it commits with the change it describes).
    `instance_id`: the process instance the event belongs to, when it belongs to one."""
    event = AuditEvent(
        case_id=case.id if case is not None else None, instance_id=instance_id,
        actor_id=actor.id if actor is not None else None,
        at=clock.now(), action=action, task_id=task_id, summary=summary[:500], details=details,
    )
    db.session.add(event)
    kept_events = _kept.get()
    if kept_events is not None:
        kept_events.append(event)
    return event

"""Firing due BPMN timers: claim a due timer row, advance its instance through the engine, commit.

One transaction per instance. On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so two workers
never take the same row; on SQLite there is a single writer, and the instance's version check turns
a second, late firing into a rollback. Either way a timer fires once.
"""
from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app import clock, engine
from app.extensions import db
from app.models import ProcessInstance, Task, Timer
from app.services import audit, notifications
from app.services.access import role_holders
from app.services.projection import apply_step

log = logging.getLogger(__name__)


def _claim_next(now, skip: set[int]):
    query = (
        select(Timer).where(
            Timer.state == "waiting", Timer.due_at <= now,
            or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now),
        ).order_by(Timer.due_at, Timer.id).limit(1)
    )
    if skip:
        query = query.where(Timer.id.not_in(skip))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def run_due(limit: int | None = None) -> int:
    """Fire every timer due at clock.now(), oldest first; returns how many fired."""
    now = clock.now()
    fired = 0
    seen: set[int] = set()
    while limit is None or fired < limit:
        timer = _claim_next(now, seen)
        if timer is None:
            db.session.rollback()
            break
        seen.add(timer.id)
        timer_id, instance_id = timer.id, timer.instance_id
        try:
            instance = db.session.execute(
                select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
                .execution_options(populate_existing=True)
            ).scalar_one()
            result = engine.fire_timers(instance)
            case = instance.case
            if result.fired_timers:
                audit.record("timer_fired", case=case, summary=f"Tidsfrist: {timer.event_name}",
                             details={"due_at": timer.due_at.isoformat(), "timers": result.fired_timers})
            apply_step(case, result, None)
            _mail_overdue(instance, now)
            instance.error = None
            db.session.commit()
            fired += max(result.fired_timers, 1)
        except (StaleDataError, OperationalError) as err:
            # Another worker advanced the instance first: nothing to do here.
            db.session.rollback()
            log.info("timer %s skipped: %s", timer_id, err)
        except Exception as err:  # a broken instance must never block the others
            db.session.rollback()
            _record_failure(timer_id, instance_id, err, now)
    notifications.deliver_pending()
    return fired


def _record_failure(timer_id: int, instance_id: int, err: Exception, now) -> None:
    timer = db.session.get(Timer, timer_id)
    instance = db.session.get(ProcessInstance, instance_id)
    base = int(current_app.config.get("TIMER_RETRY_BASE_SECONDS", 60))
    timer.attempts = (timer.attempts or 0) + 1
    timer.last_error = "".join(traceback.format_exception_only(type(err), err))[-2000:]
    timer.next_attempt_at = now + timedelta(seconds=base * 2 ** min(timer.attempts - 1, 10))
    if timer.attempts >= int(current_app.config.get("TIMER_MAX_ATTEMPTS", 8)):
        timer.state = "failed"
    if instance is not None:
        instance.error = timer.last_error
    audit.record("timer_failed", case=instance.case if instance else None,
                 summary=f"Tidsfristen kunde inte hanteras (försök {timer.attempts})", details={"error": timer.last_error})
    db.session.commit()
    log.warning("timer %s failed (attempt %s): %s", timer_id, timer.attempts, err)


def _mail_overdue(instance: ProcessInstance, now) -> None:
    """One mail per task that has become overdue (the outbox key makes a repeat impossible)."""
    overdue = db.session.scalars(
        select(Task).where(Task.instance_id == instance.id, Task.state == "open", Task.due_at <= now)
    ).all()
    for task in overdue:
        recipients = [task.assignee] if task.assignee_id else role_holders(task.role, task.unit_id)
        for user in recipients:
            notifications.queue(
                user, f"Försenad uppgift: {task.name} ({instance.case.number})",
                f"Hej {user.name},\n\nUppgiften {task.name} i ärende {instance.case.number} har passerat sin "
                f"tidsfrist ({clock.to_local(task.due_at):%Y-%m-%d}).\n\n{notifications.case_url(instance.case)}\n",
                event_key=f"overdue:{task.id}", case=instance.case,
            )

"""Firing due BPMN timers: claim a due timer row, advance its instance through the engine, commit.

One transaction per instance, and the claim holds both the timer row and its instance:
- PostgreSQL: `FOR UPDATE OF timers, process_instances SKIP LOCKED`. A second worker skips a timer
  whose row or instance another worker (or a user completing a task) holds, so two workers never
  advance the same instance at once and cannot deadlock on each other's timer rows.
- SQLite has one writer at a time; a worker that read an instance before another worker's commit
  fails the instance's version check (or SQLite's stale-snapshot check) and rolls back.
Either way a timer fires once: firing changes the row from `waiting` to `fired` in the same
transaction as the engine step, and only `waiting` rows are claimed.

Timers that came due while nothing ran (downtime) are simply due now: the next sweep fires them,
oldest first. A timer whose step fails is rolled back to a savepoint, keeps its claim, and records the
error with a back-off (TIMER_RETRY_BASE_SECONDS doubling per attempt, at most TIMER_MAX_ATTEMPTS);
the sweep goes on with the other timers.
"""
from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from app import clock, engine
from app.extensions import db
from app.models import Case, ProcessInstance, Timer
from app.models.roles import memo
from app.services import access, audit, notifications
from app.services.kvartalsrapport import start_due_quarters
from app.services.projection import apply_step

log = logging.getLogger(__name__)


class TimerNotFired(Exception):
    """The row said the timer was due, but the engine did not fire it."""


# Due timers are read in due order this many at a time and then claimed one by one by id: one ordered
# scan per batch, not one per timer (without planner statistics PostgreSQL sorts every due timer, with
# its instance, for each ordered claim: that made a sweep over a large backlog quadratic).
_CLAIM_BATCH = 100


def _claim(now, skip: set[int], timer_id: int | None = None):
    """The oldest due timer (or the timer `timer_id`, if still due) that nobody else is working on,
    with its instance, both locked (PG), and the instance's case (read, not locked)."""
    query = (
        select(Timer, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .options(joinedload(ProcessInstance.case, innerjoin=True).lazyload(Case.reporter))
        .where(Timer.state == "waiting", Timer.due_at <= now,
               or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now))
        .order_by(Timer.due_at, Timer.id)
        .limit(1)
    )
    if timer_id is not None:
        query = query.where(Timer.id == timer_id)
    elif skip:
        query = query.where(Timer.id.not_in(skip))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=[Timer, ProcessInstance])
    row = db.session.execute(query.execution_options(populate_existing=True)).first()
    return (row[0], row[1]) if row is not None else None


class _DueTimers:
    """Claims the due timers of one sweep, oldest first (`next`).

    The ids of the next due timers are read in order, _CLAIM_BATCH at a time, and each is claimed by
    id. A timer that someone else holds (PG), or that fired meanwhile, is passed over; when no batch
    is left, one ordered claim over every due timer takes any that has come free since, so the sweep
    ends only when no due timer is left that it could claim (as with one ordered claim per timer)."""

    def __init__(self, now, skip: set[int]):
        self.now, self.skip = now, skip
        self.ids: list[int] = []
        self.passed: set[int] = set()

    def next(self):
        while True:
            while self.ids:
                timer_id = self.ids.pop(0)
                claim = _claim(self.now, self.skip, timer_id)
                if claim is not None:
                    return claim
                self.passed.add(timer_id)
            excluded = self.skip | self.passed
            query = (select(Timer.id)
                     .where(Timer.state == "waiting", Timer.due_at <= self.now,
                            or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= self.now))
                     .order_by(Timer.due_at, Timer.id).limit(_CLAIM_BATCH))
            if excluded:
                query = query.where(Timer.id.not_in(excluded))
            self.ids = list(db.session.scalars(query))
            if not self.ids:
                return _claim(self.now, self.skip)

    def read_again(self) -> None:
        """A step made a timer that is due already (a cycle catching up): it may come before the
        ones read, so the next claim reads the due timers again."""
        self.ids.clear()


def next_due():
    """When the next timer falls due: the earliest due_at of a waiting timer, or the end of a back-off
    if that comes first (aware UTC; None when nothing waits). Two index look-ups."""
    plain = select(func.min(Timer.due_at)).where(Timer.state == "waiting", Timer.next_attempt_at.is_(None))
    retry = select(func.min(Timer.next_attempt_at)).where(Timer.state == "waiting", Timer.next_attempt_at.is_not(None))
    found = db.session.execute(select(plain.scalar_subquery(), retry.scalar_subquery())).one()
    db.session.rollback()
    moments = [clock.as_utc(m) for m in found if m is not None]
    return min(moments) if moments else None


def run_due(limit: int | None = None) -> int:
    """Fire every timer due at clock.now(), oldest first; returns how many timers fired."""
    with memo():  # role holders and lane units: looked up once per sweep
        return _run_due(limit)


def _run_due(limit: int | None) -> int:
    start_due_quarters()  # the quarterly IVO report's instance starts when its period opens, once
    now = clock.now()
    fired = 0
    claims = 0
    # Timers handled in this sweep that are still claimable (a lost race): not again in this sweep.
    skip: set[int] = set()
    due = _DueTimers(now, skip)
    while limit is None or claims < limit:
        claim = due.next()
        if claim is None:
            db.session.rollback()
            break
        timer, instance = claim
        claims += 1
        timer_id = timer.id
        try:
            try:
                with db.session.begin_nested():
                    count, due_again = _fire(timer, instance, now)
            except (StaleDataError, OperationalError):
                raise
            except Exception as err:  # a broken instance must never block the others
                _record_failure(timer, instance, err, now)
                count, due_again = 0, False
            db.session.commit()
            fired += count
            if due_again:
                due.read_again()
        except (StaleDataError, OperationalError) as err:
            # Another worker advanced the instance first (SQLite), or the database said no: the row
            # is left as it is and looked at again in the next sweep.
            db.session.rollback()
            skip.add(timer_id)
            log.info("timer %s skipped: %s", timer_id, err)
    notifications.deliver_pending()
    return fired


def _fire(timer: Timer, instance: ProcessInstance, now) -> tuple[int, bool]:
    """Advance the instance; returns how many of its timers fired and whether it now has a new timer
    that is due already."""
    with notifications.batch():  # the step's mails: one outbox look-up
        result = engine.fire_timers(instance)
        if timer.state == "waiting":
            raise TimerNotFired(f"tidsfristen {timer.event_name!r} ({timer.due_at.isoformat()}) utlöstes inte")
        case = instance.case
        for row in result.fired_rows:
            audit.record("timer_fired", case=case, summary=f"Tidsfrist: {row.event_name or 'timer'}",
                         details={"timer_id": row.id, "event": row.event_name, "due_at": row.due_at.isoformat()})
        apply_step(case, result, None)
        _mail_overdue(instance, result.open_tasks, now)
    if timer.attempts:
        timer.last_error = None
    instance.error = None
    return result.fired_timers, any(row.due_at <= now for row in result.new_timers)


def _record_failure(timer: Timer, instance: ProcessInstance, err: Exception, now) -> None:
    """Still inside the claim (the savepoint rolled back only the failed step)."""
    base = int(current_app.config["TIMER_RETRY_BASE_SECONDS"])
    timer.attempts = (timer.attempts or 0) + 1
    timer.last_error = "".join(traceback.format_exception_only(type(err), err))[-2000:]
    timer.next_attempt_at = now + timedelta(seconds=base * 2 ** min(timer.attempts - 1, 12))
    gave_up = timer.attempts >= int(current_app.config["TIMER_MAX_ATTEMPTS"])
    if gave_up:
        timer.state = "failed"
    instance.error = timer.last_error
    retry = "inga fler försök" if gave_up else f"nytt försök {clock.to_local(timer.next_attempt_at):%Y-%m-%d %H:%M}"
    audit.record(
        "timer_failed", case=instance.case,
        summary=f"Tidsfristen '{timer.event_name}' kunde inte hanteras (försök {timer.attempts}, {retry})",
        details={"timer_id": timer.id, "error": timer.last_error, "attempts": timer.attempts},
    )
    log.warning("timer %s failed (attempt %s): %s", timer.id, timer.attempts, err)


def _mail_overdue(instance: ProcessInstance, open_tasks, now) -> None:
    """One mail per task that has become overdue (the outbox key makes a repeat impossible)."""
    overdue = [task for task in open_tasks if task.due_at is not None and task.due_at <= now]
    for task in overdue:
        recipients = [task.assignee] if task.assignee_id else access.role_holders(task.role, task.unit_id)
        for user in recipients:
            notifications.queue(
                user, f"Försenad uppgift: {task.name} ({instance.case.number})",
                f"Hej {user.name},\n\nUppgiften {task.name} i ärende {instance.case.number} har passerat sin "
                f"tidsfrist ({clock.to_local(task.due_at):%Y-%m-%d}).\n\n{notifications.case_url(instance.case)}\n",
                event_key=f"overdue:{task.id}", case=instance.case,
            )


def retry_failed(case_number: str | None = None) -> int:
    """After the cause is fixed: failed timers, and those waiting out a back-off, are claimed again at
    the next sweep (attempts start over). Returns how many."""
    query = select(Timer).where(or_(Timer.state == "failed",
                                    and_(Timer.state == "waiting", Timer.next_attempt_at.is_not(None))))
    if case_number:
        query = query.join(Case, Case.id == Timer.case_id).where(Case.number == case_number)
    timers = db.session.scalars(query).all()
    for timer in timers:
        audit.record("timer_retry", case=db.session.get(Case, timer.case_id),
                     summary=f"Tidsfristen '{timer.event_name}' körs om efter {timer.attempts} misslyckade försök",
                     details={"timer_id": timer.id, "last_error": timer.last_error})
        timer.state, timer.attempts, timer.next_attempt_at = "waiting", 0, None
    db.session.commit()
    return len(timers)

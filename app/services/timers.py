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
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from app import clock, engine
from app.extensions import db
from app.models import Case, ProcessInstance, Task, Timer
from app.models.roles import memo
from app.services import access, audit, notifications, search
from app.services.kvartalsrapport import start_due_quarters
from app.services.projection import apply_step

log = logging.getLogger(__name__)


class TimerNotFired(Exception):
    """The row said the timer was due, but the engine did not fire it."""


# Due timers are read in due order this many at a time: one ordered scan per batch, not one per timer
# (without planner statistics PostgreSQL sorts every due timer, with its instance, for each ordered
# claim: that made a sweep over a large backlog quadratic).
_CLAIM_BATCH = 100
# Timers fired in one transaction: claimed in one statement, their rows read in two, their writes sent
# per table, one commit. A batch in which anything fails is rolled back and fired one timer at a time.
_FIRE_BATCH = 50


def _claim_query(now):
    return (
        select(Timer, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .options(joinedload(ProcessInstance.case, innerjoin=True).lazyload(Case.reporter))
        .where(Timer.state == "waiting", Timer.due_at <= now,
               or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now))
        .order_by(Timer.due_at, Timer.id)
    )


def _locked(query):
    """With the rows locked (PG): timers and their instances, skipping those someone else holds."""
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=[Timer, ProcessInstance])
    return db.session.execute(query.execution_options(populate_existing=True)).all()


def _claim(now, skip: set[int], timer_id: int | None = None):
    """The oldest due timer (or the timer `timer_id`, if still due) that nobody else is working on,
    with its instance, both locked (PG), and the instance's case (read, not locked)."""
    query = _claim_query(now).limit(1)
    if timer_id is not None:
        query = query.where(Timer.id == timer_id)
    elif skip:
        query = query.where(Timer.id.not_in(skip))
    rows = _locked(query)
    return (rows[0][0], rows[0][1]) if rows else None


class _DueTimers:
    """Claims the due timers of one sweep, oldest first, a batch at a time (`next_batch`).

    The ids of the next due timers are read in order, _CLAIM_BATCH at a time, and claimed by id. A
    timer that someone else holds (PG), or that fired meanwhile, is passed over; when no id is left,
    one ordered claim over every due timer takes any that has come free since, so the sweep ends only
    when no due timer is left that it could claim (as with one ordered claim per timer)."""

    def __init__(self, now, skip: set[int]):
        self.now, self.skip = now, skip
        self.ids: list[int] = []
        self.passed: set[int] = set()

    def next_batch(self, size: int) -> list[tuple[Timer, ProcessInstance]]:
        while True:
            if not self.ids:
                self._read()
                if not self.ids:
                    claim = _claim(self.now, self.skip)
                    return [claim] if claim is not None else []
            ids, self.ids = self.ids[:size], self.ids[size:]
            claims = [(timer, instance) for timer, instance in _locked(_claim_query(self.now).where(Timer.id.in_(ids)))]
            self.passed.update(set(ids) - {timer.id for timer, _ in claims})
            if claims:
                return claims

    def _read(self) -> None:
        excluded = self.skip | self.passed
        query = (select(Timer.id)
                 .where(Timer.state == "waiting", Timer.due_at <= self.now,
                        or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= self.now))
                 .order_by(Timer.due_at, Timer.id).limit(_CLAIM_BATCH))
        if excluded:
            query = query.where(Timer.id.not_in(excluded))
        self.ids = list(db.session.scalars(query))

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
        batch = due.next_batch(_FIRE_BATCH if limit is None else min(_FIRE_BATCH, limit - claims))
        if not batch:
            db.session.rollback()
            break
        claims += len(batch)
        ids = [timer.id for timer, _ in batch]
        try:
            count, due_again = _fire_batch(batch, now)
        except Exception as err:  # noqa: BLE001 - the batch is undone and each timer fired on its own
            db.session.rollback()
            log.info("timer batch %s..%s fired one by one: %s", ids[0], ids[-1], err)
            count, due_again = 0, False
            for timer_id in ids:
                one, again = _fire_one(timer_id, now, skip)
                count, due_again = count + one, due_again or again
        fired += count
        if due_again:
            due.read_again()
    notifications.deliver_pending()
    return fired


def _fire_batch(batch: list[tuple[Timer, ProcessInstance]], now) -> tuple[int, bool]:
    """Fire the claimed timers in one transaction. Raises if any step fails (the caller rolls back)."""
    instances = list({instance.id: instance for _, instance in batch}.values())
    instance_ids = [instance.id for instance in instances]
    waiting: dict[int, list[Timer]] = {i: [] for i in instance_ids}
    for row in db.session.scalars(select(Timer).where(Timer.instance_id.in_(instance_ids), Timer.state == "waiting")):
        waiting[row.instance_id].append(row)
    case_rows: dict[int, list[Task]] = {instance.case_id: [] for instance in instances}
    for task in db.session.scalars(select(Task).where(Task.case_id.in_(list(case_rows)), Task.state == "open")
                                   .options(lazyload("*"))):
        case_rows[task.case_id].append(task)
    steps = []
    with db.session.no_autoflush:  # the steps' rows are written together below
        for instance in instances:
            open_rows = [r for r in case_rows[instance.case_id] if r.instance_id == instance.id]
            steps.append((instance, engine.fire_timers(instance, timer_rows=waiting[instance.id],
                                                       open_rows=open_rows, flush=False)))
    for timer, _ in batch:
        if timer.state == "waiting":
            raise TimerNotFired(f"tidsfristen {timer.event_name!r} ({timer.due_at.isoformat()}) utlöstes inte")
    db.session.flush()  # every step's rows at once: new inbox rows get the ids their mails are keyed by
    count, due_again = 0, False
    with notifications.batch(), search.batch():
        for instance, result in steps:
            still_open = [r for r in case_rows[instance.case_id] if r.state == "open"] + result.new_tasks
            _project(instance, result, now, still_open)
            count += result.fired_timers
            due_again = due_again or any(row.due_at <= now for row in result.new_timers)
            instance.error = None
            for timer in waiting[instance.id]:
                if timer.attempts:
                    timer.last_error = None
    db.session.commit()
    return count, due_again


def _fire_one(timer_id: int, now, skip: set[int]) -> tuple[int, bool]:
    """One timer in its own transaction, as it was claimed: a failing step is recorded with a back-off
    (inside a savepoint, so the claim holds); a lost race leaves the timer for the next sweep."""
    claim = _claim(now, skip, timer_id)
    if claim is None:
        db.session.rollback()
        return 0, False
    timer, instance = claim
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
        return count, due_again
    except (StaleDataError, OperationalError) as err:
        # Another worker advanced the instance first (SQLite), or the database said no: the row
        # is left as it is and looked at again in the next sweep.
        db.session.rollback()
        skip.add(timer_id)
        log.info("timer %s skipped: %s", timer_id, err)
        return 0, False


def _fire(timer: Timer, instance: ProcessInstance, now) -> tuple[int, bool]:
    """Advance the instance; returns how many of its timers fired and whether it now has a new timer
    that is due already."""
    with notifications.batch():  # the step's mails: one outbox look-up
        result = engine.fire_timers(instance)
        if timer.state == "waiting":
            raise TimerNotFired(f"tidsfristen {timer.event_name!r} ({timer.due_at.isoformat()}) utlöstes inte")
        _project(instance, result, now)
    if timer.attempts:
        timer.last_error = None
    instance.error = None
    return result.fired_timers, any(row.due_at <= now for row in result.new_timers)


def _project(instance: ProcessInstance, result, now, case_open_tasks: list[Task] | None = None) -> None:
    """The step's audit events, the case's fields and the mails (new tasks, tasks now overdue)."""
    case = instance.case
    for row in result.fired_rows:
        audit.record("timer_fired", case=case, summary=f"Tidsfrist: {row.event_name or 'timer'}",
                     details={"timer_id": row.id, "event": row.event_name, "due_at": row.due_at.isoformat()},
                     instance_id=instance.id)
    apply_step(case, result, None, case_open_tasks)
    _mail_overdue(instance, result.open_tasks, now)


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
        details={"timer_id": timer.id, "error": timer.last_error, "attempts": timer.attempts}, instance_id=instance.id,
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
                     details={"timer_id": timer.id, "last_error": timer.last_error}, instance_id=timer.instance_id)
        timer.state, timer.attempts, timer.next_attempt_at = "waiting", 0, None
    db.session.commit()
    return len(timers)

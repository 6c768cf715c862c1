"""The task inbox and the life of a task: claim, release, complete."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import cast

from flask import g, has_request_context
from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import lazyload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app import clock, engine, forms
from app.extensions import db
from app.models import Case, Task
from app.models.roles import memo
from app.services import audit, lists, notifications, one_statement, search, substitutes
from app.services.access import can_view, candidate_filter, own_part, sees_everything
from app.services.cases import commit, supply_lookups, task_order
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.projection import apply_step

SCOPES = ("mine", "candidate", "all")
TASK_SORTS = ("due_at", "-due_at", "created_at", "-created_at")


def _scope_condition(user, scope: str):
    if scope not in SCOPES:
        raise Invalid("Okänt urval.", {"scope": ["Välj mine, candidate eller all."]})
    mine = Task.assignee_id == user.id
    offered = and_(Task.assignee_id.is_(None), candidate_filter(user))
    for absent in substitutes.absent_for(user):  # what is theirs is in the substitute's inbox too
        mine = or_(mine, Task.assignee_id == absent.id)
        offered = or_(offered, and_(Task.assignee_id.is_(None), candidate_filter(absent)))
    return {"mine": mine, "candidate": offered, "all": or_(mine, offered)}[scope]


def _task_order(sort: str | None):
    # Earliest deadline first, tasks without one last: the order of the inbox indexes (ix_tasks_inbox_*).
    if sort in (None, "due_at"):
        return [Task.due_at.asc().nulls_last(), Task.created_at, Task.id]
    if sort == "-due_at":
        return [Task.due_at.desc().nulls_last(), Task.created_at.desc(), Task.id.desc()]
    return [Task.created_at.desc(), Task.id.desc()] if sort.startswith("-") else [Task.created_at, Task.id]


def inbox_query(user, scope: str = "all", filters: lists.Filters | None = None):
    """The open tasks of the caller's inbox matching `filters`, in their order. The filters on the case
    (type, unit with the units below, severity, search) join the case; `from`/`to` are the due dates."""
    filters = filters or lists.Filters()
    query = select(Task).where(Task.state == "open", _scope_condition(user, scope))
    if filters.overdue:
        query = query.where(Task.due_at < clock.now())
    if filters.from_date:
        query = query.where(Task.due_at >= clock.local_midnight(filters.from_date))
    if filters.to_date:
        query = query.where(Task.due_at < clock.local_midnight(filters.to_date + timedelta(days=1)))
    on_case = []
    if filters.type:
        on_case.append(Case.type == filters.type)
    if filters.unit_ids is not None:
        on_case.append(Case.unit_id.in_(filters.unit_ids))
    if filters.status:
        on_case.append(Case.status == filters.status)
    if filters.severity:
        on_case.append(Case.severity == filters.severity)
    if not filters.query.empty:
        on_case.append(search.condition(user, filters.query))
    if on_case:
        query = query.where(Task.case_id.in_(select(Case.id).where(*on_case)))
    # The case, unit and assignee of the page's rows are read after the LIMIT.
    return query.order_by(*_task_order(filters.sort)).options(
        selectinload(Task.case).options(lazyload(Case.reporter), selectinload(Case.unit)),
        selectinload(Task.unit), selectinload(Task.assignee))


def find_tasks(user, scope: str, filters: lists.Filters) -> lists.Page:
    return lists.paginate(inbox_query(user, scope, filters), Task.id, filters)


def inbox(user, scope: str = "all", overdue: bool = False) -> list[Task]:
    """The first 1,000 tasks of the inbox (a list, not a page: scripts and tests)."""
    return list(db.session.scalars(inbox_query(user, scope, lists.Filters(overdue=overdue)).limit(1000)))


def count_overdue(user, scope: str, filters: lists.Filters) -> int:
    """Of the inbox matching `filters`, how many are overdue (the summary line of an inbox page)."""
    overdue = replace(filters, overdue=True, sort=None)
    return int(db.session.scalar(select(func.count()).select_from(
        inbox_query(user, scope, overdue).with_only_columns(Task.id).order_by(None).subquery())) or 0)


def counts(user) -> dict[str, int]:
    """What the menu and the inbox pages show: tasks taken by the user, offered to them, and overdue
    among both, including those the user sees as a substitute (the inbox's own scopes). Without a
    substitute period each count reads one of the inbox's partial indexes."""
    if has_request_context() and "inbox_counts" in g:
        return g.inbox_counts
    now = clock.now()

    def count(*conditions) -> int:
        return int(db.session.scalar(select(func.count()).select_from(Task).where(Task.state == "open", *conditions))
                   or 0)

    mine, offered = _scope_condition(user, "mine"), _scope_condition(user, "candidate")
    result = {"mine": count(mine), "candidate": count(offered),
              "overdue": count(mine, Task.due_at < now) + count(offered, Task.due_at < now)}
    if has_request_context():
        g.inbox_counts = result
    return result


def is_candidate(user, task: Task) -> bool:
    return any(r.role == task.role and r.unit_id == task.unit_id for r in user.roles)


def may_work_on(user, task: Task) -> bool:
    return task.assignee_id == user.id or (task.assignee_id is None and is_candidate(user, task)) \
        or acting_for(user, task) is not None


def acting_for(user, task: Task):
    """Whom `user` acts for on `task` as their substitute, None when the task is the user's own to do."""
    if task.assignee_id == user.id or (task.assignee_id is None and is_candidate(user, task)):
        return None
    for absent in substitutes.absent_for(user):
        if task.assignee_id == absent.id or (task.assignee_id is None and is_candidate(absent, task)):
            return absent
    return None


def may_see(user, task: Task) -> bool:
    """The user works on the task, or sees its case (of a case run per item seen only through their own
    items, a plan's responsible person, only the tasks of those items)."""
    if may_work_on(user, task) or sees_everything(user):
        return True
    if not can_view(user, task.case):
        return False
    part = own_part(user, task.case)
    return part is None or task.instance_id in part.instances


def get_task(user, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not may_see(user, task):
        raise NotFound("Uppgiften finns inte eller så saknar du behörighet.")
    return task


def claim(user, task_id: int) -> Task:
    task = get_task(user, task_id)
    if task.state != "open":
        raise Conflict("Uppgiften är redan slutförd.")
    if task.assignee_id == user.id:
        return task
    behalf = acting_for(user, task)
    if not is_candidate(user, task) and behalf is None:
        raise Forbidden("Uppgiften är inte erbjuden din roll.")
    # Atomic: only one of two simultaneous claims finds the row unassigned.
    claimed = cast(CursorResult, db.session.execute(  # an UPDATE's result: it has a rowcount
        update(Task).where(Task.id == task.id, Task.assignee_id.is_(None), Task.state == "open")
        .values(assignee_id=user.id)
    )).rowcount
    if not claimed:
        db.session.rollback()
        raise Conflict("Någon annan har redan tagit uppgiften.")
    audit.record("task_claimed", case=task.case, actor=user, task_id=task.task_id,
                 summary=f"{user.name} tog uppgiften {task.name}", instance_id=task.instance_id)
    commit()
    db.session.refresh(task)
    return task


def release(user, task_id: int) -> Task:
    task = get_task(user, task_id)
    if task.state != "open":
        raise Conflict("Uppgiften är redan slutförd.")
    if task.assignee_id != user.id and not user.has_role("admin"):
        raise Forbidden("Bara den som har uppgiften kan lämna tillbaka den.")
    task.assignee_id = None
    audit.record("task_released", case=task.case, actor=user, task_id=task.task_id,
                 summary=f"{user.name} lämnade tillbaka uppgiften {task.name}", instance_id=task.instance_id)
    commit()
    return task


def task_form(task: Task, formdata=None, *, csrf: bool = True):
    form_cls = forms.TASK_FORMS.get(task.task_id)
    if form_cls is None:
        raise NotFound(f"Det finns inget formulär för uppgiften {task.name}.")
    form = forms.build(form_cls, formdata, csrf=csrf)
    supply_lookups(form, task)  # what the validators need from the database (e.g. the case's decision date)
    return form


@dataclass
class Completion:
    """A completed task and what the answer to it shows, all in hand after the commit."""

    task: Task
    case: Case
    open_tasks: list[Task]  # the case's open tasks after the step, in the order of cases.open_tasks
    case_visible: bool  # whether the user still sees the case (the step may have moved it on)


def complete(user, task_id: int, formdata, *, csrf: bool = True) -> Task:
    """Validate the data with the task's form and complete it; 409 if someone was first."""
    return complete_task(user, task_id, formdata, csrf=csrf).task


def complete_task(user, task_id: int, formdata, *, csrf: bool = True) -> Completion:
    """complete(), returning what the answer needs. One read (the case's open rows and their instances,
    locked), lane look-ups once per organisation revision (memo), the step's writes in one flush, mail by one INSERT ...
    ON CONFLICT (batch), and the rows kept as written after the commit."""
    locked = engine.lock_for_completion(task_id)
    with memo(locked.organisation_revision):  # lanes and role holders as this process knows them for it
        task = locked.task
        if task is None:
            get_task(user, task_id)  # 404 when the row does not exist or is not the user's to see
            db.session.rollback()
            raise Conflict("Uppgiften är redan slutförd av någon annan.")
        case = task.case
        if not may_see(user, task):
            db.session.rollback()
            raise NotFound("Uppgiften finns inte eller så saknar du behörighet.")
        if not may_work_on(user, task):
            db.session.rollback()
            if task.assignee is not None:
                raise Conflict(f"Uppgiften är tilldelad {task.assignee.name}.")
            raise Forbidden("Uppgiften är inte erbjuden din roll.")
        form = task_form(task, formdata, csrf=csrf)
        if not form.validate():
            db.session.rollback()
            raise Invalid("Uppgifterna behöver rättas.", forms.form_errors(form))
        data = forms.form_data(form)
        behalf = acting_for(user, task)
        try:
            # The step's writes (rows, search row, mail) when the block ends, on PostgreSQL in one statement;
            # the search row once, as the case is at the end (a step may change its texts twice).
            with one_statement.joined(db.session()), notifications.batch(), search.batch():
                result = engine.complete(task, data, user, instance=locked.instance, open_rows=locked.case_open_tasks,
                                         timer_rows=locked.timer_rows, flush=False)
                if task.draft is not None:  # the draft goes with the completion, in the same UPDATE
                    task.draft, task.draft_by_id, task.draft_saved_at = None, None, None
                audit.record("task_completed", case=case, actor=user, task_id=task.task_id,
                             summary=f"{user.name} slutförde {task.name}"
                             + (f" som ersättare för {behalf.name}" if behalf is not None else ""),
                             details=data, instance_id=task.instance_id)
                still_open = [row for row in locked.case_open_tasks if row.state == "open"] + result.new_tasks
                apply_step(case, result, user, still_open)
        except (engine.TaskNotReady, StaleDataError):
            # SQLite has no row lock: a simultaneous completion shows as a stale instance version at a flush.
            db.session.rollback()
            raise Conflict("Uppgiften är redan slutförd av någon annan.") from None
        visible = can_view(user, case)
        commit(keep_loaded=True)
    return Completion(task=task, case=case, open_tasks=sorted(still_open, key=task_order), case_visible=visible)

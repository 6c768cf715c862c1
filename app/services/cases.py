"""Cases: create (starting their process), find within the caller's access, describe."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app import clock, engine, forms
from app.config import deadline_length
from app.extensions import db
from app.forms.fields import options
from app.models import AuditEvent, Case, CaseAccessLog, Task, Unit, User
from app.models.roles import memo
from app.services import audit, categories, links, lists, monster, notifications, one_statement, search
from app.services.access import (
    OwnPart,
    can_view,
    descendants_and_self,
    has_lex_maria_part,
    has_part,
    may_register_for,
    own_part,
    own_parts,
    redact,
    reporter_only,
    reporter_units,
    scope_cases,
    units_held,
)
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.numbering import next_case_number
from app.services.projection import apply_step
from app.services.read_log import log_reads
from app.vocabulary import CASE_TYPES, LEX_MARIA_TASKS, STARTABLE_CASE_TYPES


def supply_lookups(form, task: Task | None = None) -> None:
    """Give a form what its validators must know beyond the posted data (forms only validate; what
    needs the database is looked up here): whether a username is an active user, whether a unit
    registers ej verkställda beslut, and for a task's form the fields of its case."""
    form.user_exists = _active_user_exists
    form.registers_decisions = may_register_for
    kind = getattr(form, "category_list", None)  # the municipality's categories (app.services.categories)
    if kind is not None and "category" in form:
        pairs = categories.deviation_categories() if kind == "avvikelse" else categories.complaint_categories()
        form.category.choices = options(pairs, "Välj kategori")
    if task is not None:
        form.case_fields = dict(task.case.fields or {}) if task.case is not None else {}
        if task.attachment is not None:
            form.attach(task.attachment)


def _active_user_exists(username: str) -> bool:
    return db.session.scalar(select(User.id).where(User.username == username, User.active.is_(True))) is not None


def start_form(case_type: str, user, formdata=None, *, csrf: bool = True):
    spec = STARTABLE_CASE_TYPES.get(case_type)
    if spec is None or spec.start_form is None:
        raise Invalid("Okänd ärendetyp.", {"type": [f"Okänd ärendetyp: {case_type!r}."]})
    if spec.started_by is not None and not any(r.role in spec.started_by for r in user.roles):
        raise Forbidden(f"Du har ingen roll som kan registrera {spec.label.lower()}.")
    form = forms.build(forms.START_FORMS[spec.start_form], formdata, csrf=csrf)
    supply_lookups(form)
    form.user_roles = frozenset(r.role for r in user.roles)
    if hasattr(form, "unit"):
        units = reporter_units(user) if spec.started_by is None else units_held(user, spec.started_by)
        form.unit.choices = [("", "Välj enhet")] + [(u.code, u.name) for u in units]
    return form


def create_case(user, case_type: str, formdata, *, csrf: bool = True, commit_now: bool = True) -> Case:
    # Lane look-ups once (memo), the mails in one INSERT ... ON CONFLICT (batch).
    with memo(), notifications.batch():
        case, _ = _create_case(user, case_type, formdata, csrf=csrf)
    if commit_now:  # an import creates many cases in one transaction and commits once
        commit(keep_loaded=True)  # the answer shows the case as written: nothing read again
    return case


def create_case_dict(user, case_type: str, formdata, *, csrf: bool = True) -> dict:
    """create_case, answered with its case_dict built from the rows the creation wrote (its tasks and
    history are all new): nothing is read again after the commit."""
    with memo(), notifications.batch(), audit.kept() as events:
        case, tasks = _create_case(user, case_type, formdata, csrf=csrf)
    commit(keep_loaded=True)
    history_rows = sorted((e for e in events if e.case_id == case.id), key=lambda e: (e.at, e.id))
    return case_dict(user, case, tasks=sorted((t for t in tasks if t.state == "open"), key=task_order),
                     every_task=tasks, events=history_rows)


def _create_case(user, case_type: str, formdata, *, csrf: bool) -> tuple[Case, list[Task]]:
    """The new case and every task row it was given."""
    form = start_form(case_type, user, formdata, csrf=csrf)
    if not form.validate():
        raise Invalid("Uppgifterna behöver rättas.", forms.form_errors(form))
    spec = STARTABLE_CASE_TYPES[case_type]
    data = links.before_create(user, case_type, forms.form_data(form))
    unit = db.session.scalars(select(Unit).where(Unit.code == data["unit"])).one()  # one of the form's choices
    now = clock.now()
    case = Case(
        number=next_case_number(case_type), type=case_type, status="pagaende", unit=unit, unit_id=unit.id,
        reporter_id=user.id, title=spec.title(data) if spec.title else "", fields=data, created_at=now, updated_at=now,
        category=data.get(spec.category_field) if spec.category_field else None,
        occurred_on=date.fromisoformat(data[spec.occurred_on_field]) if spec.occurred_on_field else None,
    )
    db.session.add(case)
    db.session.flush()
    audit.record("case_created", case=case, actor=user, summary=f"{case.number} registrerades",
                 details=data)
    tasks: list[Task] = []
    for start in instance_starts(spec, {**data, "reported_at": now.isoformat(), "case_number": case.number}):
        # The step's writes (inbox, timer and audit rows, the case, its search row, the mail) when the block
        # ends, on PostgreSQL in one statement (as a completion's).
        with one_statement.joined(db.session()), search.batch():
            result = engine.start(case, spec.process_id, start, user, flush=False)
            tasks += result.new_tasks
            # A single new instance: its open tasks are the step's new ones (no query); several: let it read them.
            apply_step(case, result, user, None if spec.instance_per else result.new_tasks)
    links.after_create(user, case)
    monster.check(case, new=True)
    return case, tasks


def instance_starts(spec, start: dict) -> list[dict]:
    """The start data of each process instance of a new case: one, or one per item of the start field
    `spec.instance_per` (the item's keys beside the rest, numbered from 1 as `item_number`)."""
    if not spec.instance_per:
        return [start]
    rest = {k: v for k, v in start.items() if k != spec.instance_per}
    return [{**rest, **item, "item_number": number} for number, item in enumerate(start[spec.instance_per], 1)]


def commit(*, keep_loaded: bool = False) -> None:
    """Commit, turning a lost optimistic-lock race into a Swedish conflict.

    keep_loaded: the rows in the session keep the values this transaction gave them (no expiry), so an
    answer built from them afterwards reads nothing again."""
    session = db.session()
    session.expire_on_commit = not keep_loaded
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict("Ärendet ändrades av någon annan samtidigt. Ladda om sidan och försök igen.") from None
    finally:
        session.expire_on_commit = True
    notifications.deliver_after_commit()


def get_case(user, case_id: int, *, log_read: bool = True, via: str = "web") -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_view(user, case):
        raise NotFound("Ärendet finns inte eller så saknar du behörighet.")
    if log_read:
        log_reads(user, [case.id], via)
    return case


CASE_SORTS = ("reported_at", "-reported_at", "due_at", "-due_at", "number", "-number")


def _case_order(sort: str | None):
    column, descending = {"reported_at": Case.created_at, "due_at": Case.due_at, "number": Case.number}[
        (sort or "-reported_at").lstrip("-")], (sort or "-reported_at").startswith("-")
    if column is Case.due_at:  # cases without a deadline last, whichever way
        return [Case.due_at.desc().nulls_last() if descending else Case.due_at.asc().nulls_last(), Case.id]
    return [column.desc(), Case.id.desc()] if descending else [column.asc(), Case.id.asc()]


def cases_query(user, filters: lists.Filters, *, reporter_only: bool = False):
    """The cases `user` may see (or reported, for Mina rapporter) that match `filters`, in their order.
    Searching is a filter like the others: what the user may not see is never found nor counted."""
    query = select(Case).where(Case.reporter_id == user.id) if reporter_only else scope_cases(select(Case), user)
    if not filters.query.empty:
        query = query.where(search.condition(user, filters.query, rows=lists.rows_read(filters)))
    if filters.type:
        query = query.where(Case.type == filters.type)
    if filters.unit_ids is not None:
        query = query.where(Case.unit_id.in_(filters.unit_ids))
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.severity:
        query = query.where(Case.severity == filters.severity)
    if filters.from_date:
        query = query.where(Case.created_at >= clock.local_midnight(filters.from_date))
    if filters.to_date:
        query = query.where(Case.created_at < clock.local_midnight(filters.to_date + timedelta(days=1)))
    if filters.overdue:
        query = query.where(Case.status == "pagaende", Case.due_at < clock.now())
    # The units of the page's rows are read after the LIMIT, in one query (the reporter when asked for).
    return query.order_by(*_case_order(filters.sort)).options(selectinload(Case.unit), lazyload(Case.reporter))


def find_cases(user, filters: lists.Filters, *, reporter_only: bool = False) -> lists.Page:
    return lists.paginate(cases_query(user, filters, reporter_only=reporter_only), Case.id, filters)


def list_cases(user, *, case_type=None, unit_code=None, status=None, from_date=None, to_date=None,
               reporter_only=False, limit=500) -> list[Case]:
    """The first `limit` cases (newest first) matching plain filters: for callers that want a list, not
    a page (the tests, scripts)."""
    filters = lists.Filters(type=case_type, status=status, from_date=from_date, to_date=to_date)
    if unit_code:
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
        filters.unit_ids = descendants_and_self(unit_id) if unit_id is not None else set()
    return list(db.session.scalars(cases_query(user, filters, reporter_only=reporter_only).limit(limit)))


def case_summary(case: Case, now=None, tasks: list[Task] | None = None, part: OwnPart | None = None) -> dict:
    """A list item (DESIGN.md "Lists"): never the case's fields; its open tasks when the caller has
    fetched them (open_tasks_by_case, after the page's LIMIT). `part`: the caller sees only their own
    items of the case (access.own_parts): its phase, deadline and tasks are theirs."""
    now = now or clock.now()
    phase, due_at = (case.phase, case.due_at) if part is None else own_progress(case, part)
    if part is not None and tasks is not None:
        tasks = own_tasks(tasks, part)
    result: dict[str, Any] = {
        "id": case.id, "number": case.number, "type": case.type, "status": case.status, "phase": phase,
        "unit": case.unit.code, "title": case.title, "severity": case.severity, "lex_sarah": case.is_lex_sarah,
        "lex_maria": case.is_lex_maria, "reported_at": case.created_at.isoformat(),
        "due_at": due_at.isoformat() if due_at else None,
        "overdue": bool(due_at and case.status == "pagaende" and due_at < now),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
    }
    if tasks is not None:
        result["tasks"] = [task_dict(t, now) for t in tasks]
        result["deadlines"] = {t["task_id"]: t["due_at"] for t in result["tasks"] if t["due_at"]}
    return result


def own_tasks(tasks: list[Task], part: OwnPart | None) -> list[Task]:
    """Of a case's tasks, those of the user's own items (all of them when `part` is None)."""
    return tasks if part is None else [t for t in tasks if t.instance_id in part.instances]


def own_progress(case: Case, part: OwnPart) -> tuple[str, Any]:
    """The case's phase and next deadline as its own items show them (Case.phase and Case.due_at name every
    item's open tasks)."""
    rows = db.session.execute(select(Task.name, Task.due_at).where(
        Task.case_id == case.id, Task.state == "open", Task.instance_id.in_(part.instances)).order_by(Task.id)).all()
    return (", ".join(dict.fromkeys(name for name, _ in rows))[:200],
            min((due for _, due in rows if due is not None), default=None))


def list_views(user, cases: list[Case]) -> dict[int, dict]:
    """For a page of cases: the phase and deadline of each case the user sees only through their own items
    (the list shows these instead of the case's)."""
    by_id = {case.id: case for case in cases}
    views = {}
    for case_id, part in own_parts(user, cases).items():
        phase, due_at = own_progress(by_id[case_id], part)
        views[case_id] = {"phase": phase, "due_at": due_at}
    return views


def task_order(task: Task) -> tuple:
    """The order of a case's open tasks: by deadline (none last), then as created (as open_tasks)."""
    return (task.due_at is None, clock.as_utc(task.due_at) or clock.now(), task.id)


def open_tasks(case: Case) -> list[Task]:
    return list(db.session.scalars(
        select(Task).where(Task.case_id == case.id, Task.state == "open")
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id).options(*engine.TASK_ROW_LOADS)
    ).unique().all())


def open_tasks_by_case(case_ids) -> dict[int, list[Task]]:
    """The open tasks of many cases in one query (a list of cases must not ask once per case)."""
    grouped: dict[int, list[Task]] = {}
    if case_ids:
        for task in db.session.scalars(
            select(Task).where(Task.case_id.in_(list(case_ids)), Task.state == "open")
            .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
        ):
            grouped.setdefault(task.case_id, []).append(task)
    return grouped


def history(case: Case) -> list[AuditEvent]:
    # Who acted, in the same query; not their roles.
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.at, AuditEvent.id)
        .options(joinedload(AuditEvent.actor).lazyload(User.roles))).all())


def reads(case: Case) -> list[CaseAccessLog]:
    return list(db.session.scalars(
        select(CaseAccessLog).where(CaseAccessLog.case_id == case.id).order_by(CaseAccessLog.at.desc()).limit(200)
    ).all())


def task_dict(task: Task, now=None) -> dict:
    now = now or clock.now()
    return {
        "id": task.id, "task_id": task.task_id, "name": task.name, "case_id": task.case_id,
        "case_number": task.case.number if task.case else None, "lane": task.lane,
        "unit": task.unit.code if task.unit else None,
        "assignee": task.assignee.username if task.assignee else None,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "overdue": bool(task.due_at and task.due_at < now and task.state == "open"),
        "state": task.state,
        **({"attachment": task.attachment} if task.attachment is not None else {}),
        "orphan": bool(task.orphan),
    }


def lex_sarah_target(case: Case) -> date | None:
    """The local routine's target for a whole lex Sarah case, report to closed (TARGET_LEX_SARAH_CASE_DAYS)."""
    if not case.is_lex_sarah:
        return None
    return clock.to_local(case.created_at).date() + timedelta(
        days=deadline_length(current_app.config, "TARGET_LEX_SARAH_CASE_DAYS"))


# What a reporter without another part in the case reads of its history (access.reporter_only): the
# steps, never their answers (details only of her report and of a new task: its role and deadline).
REPORTER_EVENTS = ("case_created", "task_created", "task_claimed", "task_released", "task_completed", "case_closed",
                   "reporter_notified")
_REPORTER_DETAILS = ("case_created", "task_created")
# Written for the reporter at the end of the case (the aterkoppling): shown to her with her report.
FEEDBACK_FIELD = "reporter_feedback"


def reporter_fields(case: Case) -> dict:
    """Of the case's fields, what its reporter reads: her report and the feedback written for her."""
    spec = STARTABLE_CASE_TYPES.get(case.type)
    own = set(forms.field_names(forms.START_FORMS[spec.start_form])) if spec and spec.start_form else set()
    return {k: v for k, v in (case.fields or {}).items() if k in own or k == FEEDBACK_FIELD}


def case_dict(user, case: Case, *, with_history: bool = True, tasks: list[Task] | None = None,
              every_task: list[Task] | None = None, events: list[AuditEvent] | None = None) -> dict:
    """`tasks`: the case's open tasks when the caller has fetched them already (open_tasks_by_case);
    `every_task` and `events`: all its task rows and its history, when the caller holds them (a case
    created in this request). A user who sees a case run per item only through their own items (a plan's
    responsible person) gets those items: in the fields, the tasks, the phase and the history."""
    if reporter_only(user, case, every_task=every_task):
        return _reporter_dict(user, case, with_history=with_history, tasks=tasks, events=events)
    sensitive = not case.is_lex_sarah or has_part(user, case, every_task=every_task)
    # The MAS's investigation is a part of its own: seen by those with a part in it (access.has_lex_maria_part).
    maria = not case.is_lex_maria or has_lex_maria_part(user, case)
    part = own_part(user, case)
    now = clock.now()
    result: dict[str, Any] = {
        "id": case.id, "number": case.number, "type": case.type, "status": case.status,
        "phase": case.phase if part is None else own_progress(case, part)[0],
        "unit": case.unit.code, "title": case.title, "severity": case.severity, "risk_value": case.risk_value,
        "lex_sarah": case.is_lex_sarah, "ivo_notified": case.ivo_notified,
        "health_care": case.health_care, "lex_maria": case.is_lex_maria, "lex_maria_notified": case.lex_maria_notified,
        "reporter": case.reporter.username if case.reporter else None,
        "created_at": case.created_at.isoformat(), "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "fields": own_fields(case, redact(case.fields or {}, sensitive, show_lex_maria=maria), part),
        "tasks": [task_dict(t, now) for t in own_tasks(open_tasks(case) if tasks is None else tasks, part)],
    }
    result["deadlines"] = {t["task_id"]: t["due_at"] for t in result["tasks"] if t["due_at"]}
    target = lex_sarah_target(case)
    result["target_closed_on"] = target.isoformat() if target else None
    if with_history:
        # After gallring the audit trail keeps what was entered (it is never changed) but no longer shows it.
        culled = bool((case.fields or {}).get("gallrad"))
        result["history"] = [
            {"at": e.at.isoformat(), "actor": e.actor.username if e.actor else None, "action": e.action,
             "task_id": e.task_id, "summary": e.summary,
             "details": None if culled and e.action != "case_gallrad"
             else own_fields(case, redact(e.details, maria if e.task_id in LEX_MARIA_TASKS else sensitive), part)
             if isinstance(e.details, dict) else e.details}
            for e in own_history(history(case) if events is None else events, part)
        ]
    return result


def _reporter_dict(user, case: Case, *, with_history: bool, tasks: list[Task] | None,
                   events: list[AuditEvent] | None) -> dict:
    """case_dict for the reporter without another part: her report, where the case stands, the outcome
    and the feedback written for her; none of the internal analysis, comments or files."""
    now = clock.now()
    result: dict[str, Any] = {
        "id": case.id, "number": case.number, "type": case.type, "status": case.status, "phase": case.phase,
        "unit": case.unit.code, "title": case.title, "lex_sarah": case.is_lex_sarah,
        "reporter": user.username, "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "fields": reporter_fields(case),
        "tasks": [task_dict(t, now) for t in (open_tasks(case) if tasks is None else tasks)],
    }
    result["deadlines"] = {t["task_id"]: t["due_at"] for t in result["tasks"] if t["due_at"]}
    result["target_closed_on"] = None
    if with_history:
        result["history"] = [
            {"at": e.at.isoformat(), "actor": e.actor.username if e.actor else None, "action": e.action,
             "task_id": e.task_id, "summary": e.summary,
             "details": e.details if e.action in _REPORTER_DETAILS else None}
            for e in (history(case) if events is None else events) if e.action in REPORTER_EVENTS
        ]
    return result


# The case's own events a user who sees only their own items still sees (the rest belongs to other items).
CASE_LEVEL_EVENTS = ("case_created", "case_closed")


def own_fields(case: Case, fields: dict, part: OwnPart | None) -> dict:
    """The start field that runs one instance per item keeps only the user's own items."""
    key = getattr(CASE_TYPES.get(case.type), "instance_per", None)
    if part is None or not key or not isinstance(fields.get(key), list):
        return fields
    return {**fields, key: [item for number, item in enumerate(fields[key], 1) if number in part.items]}


def own_history(events: list[AuditEvent], part: OwnPart | None) -> list[AuditEvent]:
    """The events of the user's own items, and the case's registration and closing. Events written before
    events named their instance have none and are left out."""
    if part is None:
        return events
    return [e for e in events if e.instance_id in part.instances
            or (e.instance_id is None and e.action in CASE_LEVEL_EVENTS)]

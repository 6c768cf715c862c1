"""Who may see what. Every case and task query goes through here."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_request_context
from sqlalchemy import ColumnElement, Select, and_, false, not_, or_, select, true, tuple_

from app.extensions import db
from app.models import Case, KontrollPoint, RoleAssignment, Task, Unit, User

# resolve_unit, holder_unit, role_holders and Holder: the lane rule lives with the models (the engine asks
# it too); re-exported here for the services and handlers.
from app.models.roles import Holder, holder_unit, memoized, resolve_unit, role_holders  # noqa: F401
from app.vocabulary import (
    AREA_ROLES,
    CASE_TYPES,
    HEALTH_CARE_ROLES,
    LANE_ROLES,
    LEX_MARIA_TASKS,
    MANAGER_ROLES,
    ORGANISATION_WIDE_ROLES,
    REPORT_WIDE_ROLES,
    REPORTABLE_CASE_TYPES,
    SUPERVISION_ROLES,
)

# Lex Sarah investigation content: shown only to people with a part in the case.
SENSITIVE_FIELDS = frozenset({
    "investigation", "causes", "primary_causes", "assessment", "final_assessment", "assessment_motivation",
    "motivation",
    "person_informed", "informed_how", "happened_before", "person_view",
    "documented_in_personakt", "police_report", "event_types",
})


# The lex Maria investigation's record in the case's fields (app.services.lex_maria).
LEX_MARIA_KEY = "lex_maria"


def _children_map() -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in db.session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent_id, []).append(unit_id)
    return children


def descendants_and_self(unit_id: int, children: dict | None = None) -> set[int]:
    children = children if children is not None else _children_map()
    result, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        result.add(current)
        stack.extend(children.get(current, []))
    return result


def sees_everything(user) -> bool:
    return any(r.role in ORGANISATION_WIDE_ROLES for r in user.roles)


def _roles_setting(key: str) -> set[str]:
    value = current_app.config.get(key) or []
    return {v.strip() for v in value.split(",")} if isinstance(value, str) else set(value)


def visible_unit_ids(user) -> set[int] | None:
    """The units whose every case the user reads; None means every unit. Need to know: only the roles
    of CASE_READER_ROLES (their unit) and CASE_AREA_READER_ROLES (their unit and those below) read a
    unit's cases; anyone else reads the cases they have a part in (scope_cases)."""
    if sees_everything(user):
        return None
    unit_readers, area_readers = _roles_setting("CASE_READER_ROLES"), _roles_setting("CASE_AREA_READER_ROLES")
    units: set[int] = set()
    children = None
    for assignment in user.roles:
        if assignment.role in area_readers:
            if children is None:  # the tree only when a role reaches below its unit; once inside memo()
                children = memoized(("unit_tree",), _children_map)
            units |= descendants_and_self(assignment.unit_id, children)
        elif assignment.role in unit_readers:
            units.add(assignment.unit_id)
    return units


def report_unit_ids(user) -> set[int] | None:
    """The units a report reader's figures cover (app.services.reports.access.report_scope's rule): the
    whole förvaltning (None) for the wide report roles, the units of a chef's role and those below."""
    if any(r.role in REPORT_WIDE_ROLES for r in user.roles):
        return None
    children = _children_map()
    units: set[int] = set()
    for assignment in user.roles:
        if assignment.role in MANAGER_ROLES:
            units |= descendants_and_self(assignment.unit_id, children)
    return units


def _task_part(user):
    """Cases in which the user holds, held or is offered a task, or is responsible for a control point
    (before its task appears, KONTROLL_NOTICE_DAYS ahead). Per case (EXISTS on the case's own tasks and
    points): a list probes the rows it reads, a search its few matches, instead of first collecting every
    task an enhetschef has held over the years."""
    # OFFSET 0 keeps PostgreSQL from turning the EXISTS into a hash of all those tasks (its plan for many
    # outer rows, chosen before the LIMIT is known): each case is probed in ix_tasks_case_part alone.
    return or_(
        select(Task.case_id).where(Task.case_id == Case.id, or_(
            Task.assignee_id == user.id, Task.completed_by_id == user.id,
            and_(Task.state == "open", Task.assignee_id.is_(None), candidate_filter(user))))
        .offset(0).correlate(Case).exists(),
        select(KontrollPoint.id).where(KontrollPoint.case_id == Case.id, KontrollPoint.responsible_id == user.id)
        .offset(0).correlate(Case).exists())


def supervises(user) -> bool:
    """Sees the nämnd's internkontroll and the supervision register (app.vocabulary.SUPERVISION_ROLES)."""
    return any(r.role in SUPERVISION_ROLES for r in user.roles)


def restricted_cases():
    """Cases only SUPERVISION_ROLES see by unit (the registry's `restricted`): e.g. tillsyn, internkontroll."""
    conditions = [Case.type == key if spec.restricted is True
                  else and_(Case.type == key, Case.category == spec.restricted)
                  for key, spec in CASE_TYPES.items() if spec.restricted]
    return or_(*conditions) if conditions else false()


def scope_cases(query: Select, user, *, via_tasks: bool = True) -> Select:
    """Need to know: cases in the units whose cases the user reads (restricted kinds only for
    SUPERVISION_ROLES), those they reported and, with via_tasks, those where they hold, held or are
    offered a task (e.g. a control point's responsible person)."""
    units = visible_unit_ids(user)
    if units is None and supervises(user):
        return query
    by_unit: ColumnElement[bool] = Case.unit_id.in_(units) if units else (true() if units is None else false())
    visible = [by_unit, Case.reporter_id == user.id]
    if supervises(user):
        # The supervision register and the nämnd's internkontroll are theirs, whatever units they read.
        visible.append(restricted_cases())
    else:
        visible[0] = and_(by_unit, not_(restricted_cases()))
    health_units = health_care_unit_ids(user)
    if health_units:  # the MAS: the health-care deviations of their units
        visible.append(and_(Case.health_care.is_(True), Case.unit_id.in_(health_units)))
    if via_tasks:
        visible.append(_task_part(user))
    return query.where(or_(*visible))


def health_care_unit_ids(user) -> set[int]:
    """The units whose health-care deviations the user follows up (HEALTH_CARE_ROLES: the MAS), with
    those below: usually held at the förvaltning, so every unit."""
    held = [r.unit_id for r in user.roles if r.role in HEALTH_CARE_ROLES]
    if not held:
        return set()
    children = memoized(("unit_tree",), _children_map)
    units: set[int] = set()
    for unit_id in held:
        units |= descendants_and_self(unit_id, children)
    return units


def can_view(user, case: Case) -> bool:
    """scope_cases for one case in hand: its unit, kind and reporter decide the common answers without
    a query; the rest (a part through a task or a control point) asks the database."""
    units = visible_unit_ids(user)
    watcher = supervises(user)
    if (units is None and watcher) or case.reporter_id == user.id:
        return True
    if (units is None or case.unit_id in units) and (watcher or not _restricted(case)):
        return True
    return db.session.scalar(scope_cases(select(Case.id).where(Case.id == case.id), user)) is not None


def _restricted(case: Case) -> bool:
    spec = CASE_TYPES.get(case.type)
    if spec is None or not spec.restricted:
        return False
    return spec.restricted is True or spec.restricted == case.category


def sees_whole_case(user, case: Case) -> bool:
    """Sees the case by unit or as its reporter, not only through a task given to them: a control point's
    responsible person sees their own points of a plan, the plan's owners all of them."""
    return db.session.scalar(scope_cases(select(Case.id).where(Case.id == case.id), user, via_tasks=False)) is not None


@dataclass(frozen=True)
class OwnPart:
    """What a user sees of a case that runs one process instance per item (a plan's points) when they see it
    only through their own items: those items' instances and numbers (KontrollPoint.number, the position
    in the start field `instance_per`, from 1)."""

    instances: frozenset[int]
    items: frozenset[int]


def own_parts(user, cases) -> dict[int, OwnPart]:
    """Of `cases`, those run per item that the user sees only through their own items, with those items:
    the points they are responsible for (the point or its action) and those whose tasks they hold, held or
    are offered. A case absent from the answer is seen whole (by unit, role or as its reporter)."""
    per_item = [c.id for c in cases if getattr(CASE_TYPES.get(c.type), "instance_per", None)]
    if not per_item:
        return {}
    whole = set(db.session.scalars(scope_cases(select(Case.id).where(Case.id.in_(per_item)), user, via_tasks=False)))
    partial = [case_id for case_id in per_item if case_id not in whole]
    if not partial:
        return {}
    by_task = select(Task.instance_id).where(Task.case_id.in_(partial), or_(
        Task.assignee_id == user.id, Task.completed_by_id == user.id,
        and_(Task.state == "open", Task.assignee_id.is_(None), candidate_filter(user))))
    found: dict[int, tuple[set[int], set[int]]] = {case_id: (set(), set()) for case_id in partial}
    for case_id, instance_id, number in db.session.execute(
            select(KontrollPoint.case_id, KontrollPoint.instance_id, KontrollPoint.number).where(
                KontrollPoint.case_id.in_(partial),
                or_(KontrollPoint.responsible_id == user.id, KontrollPoint.action_responsible_id == user.id,
                    KontrollPoint.instance_id.in_(by_task)))):
        found[case_id][0].add(instance_id)
        found[case_id][1].add(number)
    return {case_id: OwnPart(frozenset(i), frozenset(n)) for case_id, (i, n) in found.items()}


def own_part(user, case: Case) -> OwnPart | None:
    """own_parts for one case: None when the user sees the whole case."""
    return own_parts(user, [case]).get(case.id)


def units_held(user, roles) -> list[Unit]:
    """The units where the user holds one of `roles`, with those below an area role; every unit for an
    organisation-wide role (the units they may start a case for, app.vocabulary's `started_by`)."""
    held = [r for r in user.roles if r.role in roles]
    query = select(Unit).order_by(Unit.name)
    if any(r.role in ORGANISATION_WIDE_ROLES for r in held):
        return list(db.session.scalars(query))
    children = _children_map()
    ids: set[int] = set()
    for assignment in held:
        ids |= descendants_and_self(assignment.unit_id, children) if assignment.role in AREA_ROLES \
            else {assignment.unit_id}
    return list(db.session.scalars(query.where(Unit.id.in_(ids)))) if ids else []


def candidate_filter(user):
    """Task rows offered to the user's roles in the units where they hold them."""
    pairs = [(r.role, r.unit_id) for r in user.roles]
    if not pairs:
        return false()
    return tuple_(Task.role, Task.unit_id).in_(pairs)


def has_part(user, case: Case, *, every_task: list[Task] | None = None) -> bool:
    """A part in the case: organisation-wide roles, the unit's enhetschef, anyone who holds, held or
    is offered one of its tasks. `every_task`: all the case's task rows, when the caller has them (a case
    created in this request): decided from those rows, as part_condition decides in the database."""
    if every_task is None:
        return case.id in cases_with_part(user, [case.id])
    if sees_everything(user) or any(r.role == "enhetschef" and r.unit_id == case.unit_id for r in user.roles):
        return True
    offered = {(r.role, r.unit_id) for r in user.roles}
    return any(task.task_id not in LEX_MARIA_TASKS and (
        task.assignee_id == user.id or task.completed_by_id == user.id
        or (task.state == "open" and (task.role, task.unit_id) in offered)) for task in every_task)


def cases_with_part(user, case_ids: list[int]) -> set[int]:
    """Of `case_ids`, those in which the user has a part (has_part for many cases in one query)."""
    if sees_everything(user) or not case_ids:
        return set(case_ids)
    return set(db.session.scalars(select(Case.id).where(Case.id.in_(case_ids), part_condition(user))))


def part_condition(user, case=Case):
    """has_part as a WHERE clause on Case (or an alias of it, `case`): for searching what only those with
    a part may read."""
    if sees_everything(user):
        return true()
    chef_units = [r.unit_id for r in user.roles if r.role == "enhetschef"]
    # Per case (EXISTS on the case's own tasks): cheap for the few cases asked about, however many tasks
    # the user has held over the years. A task of the MAS's investigation is a part in that one, not here.
    return or_(
        case.unit_id.in_(chef_units) if chef_units else false(),
        select(Task.case_id).where(Task.case_id == case.id, Task.task_id.not_in(LEX_MARIA_TASKS), _holds(user))
        .offset(0).correlate(case).exists(),  # as _task_part
    )


def _holds(user):
    """Task rows the user holds, held or is offered."""
    return or_(Task.assignee_id == user.id, Task.completed_by_id == user.id,
               and_(Task.state == "open", candidate_filter(user)))


def has_lex_maria_part(user, case: Case) -> bool:
    """A part in the case's patient-safety investigation (lex Maria): the MAS of its unit, its enhetschef
    (who follows up the actions) and anyone who holds, held or is offered one of its tasks. Not the SAS
    or the other organisation-wide roles by their role alone (as the MAS has no part in lex Sarah)."""
    if case.unit_id in health_care_unit_ids(user):
        return True
    if any(r.role == "enhetschef" and r.unit_id == case.unit_id for r in user.roles):
        return True
    return db.session.scalar(select(Task.id).where(
        Task.case_id == case.id, Task.task_id.in_(LEX_MARIA_TASKS), _holds(user)).limit(1)) is not None


def reporter_units(user) -> list[Unit]:
    """The units a user may report for: every unit where they hold a role."""
    return list(db.session.scalars(
        select(Unit).join(RoleAssignment, RoleAssignment.unit_id == Unit.id)
        .where(RoleAssignment.user_id == user.id).distinct().order_by(Unit.name)
    ).all())


# --- who registers ej verkställda beslut (the units of EJ_VERKSTALLT_UNITS and those below them) ------

def _registering_roots() -> list[str]:
    value = current_app.config.get("EJ_VERKSTALLT_UNITS") or []
    return [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)


def registering_unit_ids() -> set[int]:
    if has_request_context() and "ejv_units" in g:  # an import validates thousands of rows
        return g.ejv_units
    roots = db.session.scalars(select(Unit.id).where(Unit.code.in_(_registering_roots()))).all()
    units: set[int] = set()
    for unit_id in roots:
        units |= descendants_and_self(unit_id)
    if has_request_context():
        g.ejv_units = units
    return units


def may_register_for(unit_code: str) -> bool:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
    return unit_id is not None and unit_id in registering_unit_ids()


def redact(fields: dict, show_sensitive: bool, *, show_lex_maria: bool = True) -> dict:
    """The fields without the lex Sarah investigation (show_sensitive False) and without the lex Maria
    one (kept apart under LEX_MARIA_KEY; show_lex_maria False)."""
    result = dict(fields) if show_sensitive else {k: v for k, v in fields.items() if k not in SENSITIVE_FIELDS}
    if not show_lex_maria and isinstance(result.get(LEX_MARIA_KEY), dict):
        result[LEX_MARIA_KEY] = {k: v for k, v in result[LEX_MARIA_KEY].items() if k not in SENSITIVE_FIELDS}
    return result


def admins() -> list[Holder]:
    """The active administrators, wherever their role is held."""
    return list(memoized(("admins",), lambda: tuple(Holder(*row) for row in db.session.execute(
        select(User.id, User.username, User.name, User.email).join(RoleAssignment)
        .where(RoleAssignment.role == "admin", User.active.is_(True)).distinct()
    ))))


def missing_role_holders() -> list[tuple[Unit, list[str]]]:
    """Units where a lane role has no active holder at the unit or above, with those roles: their tasks
    would go to FALLBACK_ROLE as orphans (the organisation page and `org import` warn)."""
    found = []
    for unit in db.session.scalars(select(Unit).order_by(Unit.name)):
        missing = [role for role in LANE_ROLES if holder_unit(role, unit) is None]
        if missing:
            found.append((unit, missing))
    return found


# --- the internal work on a case (comments, attachments, the analysis) -----------------------------

def reads_by_unit(user, case: Case) -> bool:
    units = visible_unit_ids(user)
    return (units is None or case.unit_id in units) and (supervises(user) or not _restricted(case))


def reads_internal_work(user, case: Case) -> bool:
    """Reads a case's internal work (the analysis, comments, attachments): anyone with a part in it, and,
    for a case other than lex Sarah, those who read the unit's cases. Lex Sarah: only those with a part;
    lex Maria: only those with a part in its investigation."""
    if case.is_lex_maria and not has_lex_maria_part(user, case):
        return False
    if has_part(user, case):
        return True
    return not case.is_lex_sarah and reads_by_unit(user, case)


def reporter_only(user, case: Case, *, every_task: list[Task] | None = None) -> bool:
    """The reporter of an avvikelse or a klagomål who has no other part in the case: she reads her report,
    the outcome and the feedback written for her (the aterkoppling), not the internal analysis. (Who
    registers a plan or a supervision case works on it: not a reporter in this sense.) `every_task`: as
    for has_part."""
    return (case.reporter_id == user.id and case.type in REPORTABLE_CASE_TYPES and not supervises(user)
            and not has_part(user, case, every_task=every_task) and not reads_by_unit(user, case))

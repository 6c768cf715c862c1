"""Who may see what. Every case and task query goes through here."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_request_context
from sqlalchemy import Select, and_, false, or_, select, true, tuple_

from app.extensions import db
from app.models import Case, RoleAssignment, Task, Unit, User
from app.models.roles import memoized, resolve_unit  # noqa: F401  (resolve_unit: re-exported for the handlers)
from app.vocabulary import AREA_ROLES, ORGANISATION_WIDE_ROLES

# Lex Sarah investigation content: shown only to people with a part in the case.
SENSITIVE_FIELDS = frozenset({
    "investigation", "causes", "primary_causes", "assessment", "assessment_motivation", "motivation",
    "person_informed", "informed_how", "documented_in_personakt", "police_report", "event_types",
})


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


def visible_unit_ids(user) -> set[int] | None:
    """The units whose cases the user sees; None means every unit."""
    if sees_everything(user):
        return None
    children = _children_map()
    units: set[int] = set()
    for assignment in user.roles:
        if assignment.role in AREA_ROLES:
            units |= descendants_and_self(assignment.unit_id, children)
        else:
            units.add(assignment.unit_id)
    return units


def scope_cases(query: Select, user) -> Select:
    units = visible_unit_ids(user)
    if units is None:
        return query
    # The "task I hold" part per case (EXISTS on the case's tasks), not as a set of every case the user
    # ever held a task in: a list walks its order and stops at the page, a search probes only its matches.
    held = select(Task.id).where(Task.case_id == Case.id, Task.assignee_id == user.id).exists()
    return query.where(or_(Case.unit_id.in_(units) if units else false(), Case.reporter_id == user.id, held))


def can_view(user, case: Case) -> bool:
    return db.session.scalar(scope_cases(select(Case.id).where(Case.id == case.id), user)) is not None


def candidate_filter(user):
    """Task rows offered to the user's roles in the units where they hold them."""
    pairs = [(r.role, r.unit_id) for r in user.roles]
    if not pairs:
        return false()
    return tuple_(Task.role, Task.unit_id).in_(pairs)


def has_part(user, case: Case) -> bool:
    """A part in the case: organisation-wide roles, the unit's enhetschef, anyone who holds, held or
    is offered one of its tasks."""
    return case.id in cases_with_part(user, [case.id])


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
    # the user has held over the years.
    return or_(
        case.unit_id.in_(chef_units) if chef_units else false(),
        select(Task.id).where(Task.case_id == case.id, or_(
            Task.assignee_id == user.id, Task.completed_by_id == user.id,
            and_(Task.state == "open", candidate_filter(user)))).exists(),
    )


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


def redact(fields: dict, show_sensitive: bool) -> dict:
    if show_sensitive:
        return dict(fields)
    return {k: v for k, v in fields.items() if k not in SENSITIVE_FIELDS}


@dataclass(frozen=True)
class Holder:
    """An active user holding a role: what a mail or an audit entry needs (plain values, so they stay
    valid after the transaction that read them)."""

    id: int
    username: str
    name: str
    email: str


def role_holders(role: str, unit_id: int) -> list[Holder]:
    """Inside `memo()` (app.models.roles) looked up once per block, like the unit a lane acts for."""
    return list(memoized(("holders", role, unit_id), lambda: tuple(Holder(*row) for row in db.session.execute(
        select(User.id, User.username, User.name, User.email).join(RoleAssignment)
        .where(RoleAssignment.role == role, RoleAssignment.unit_id == unit_id, User.active.is_(True))
    ))))

"""Who may see what. Every case and task query goes through here."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Select, and_, false, or_, select, tuple_

from app.extensions import db
from app.models import Case, RoleAssignment, Task, Unit
from app.models.organisation import ORGANISATION_WIDE_ROLES

# Lex Sarah investigation content: shown only to people with a part in the case.
SENSITIVE_FIELDS = frozenset({
    "investigation", "causes", "primary_causes", "assessment", "assessment_motivation", "motivation",
    "person_informed", "informed_how", "documented_in_personakt", "police_report", "event_types",
})


# A verksamhetschef answers for the units below; the nämnd secretary prepares the nämnd's reports
# (ej verkställda beslut, kvalitetsberättelse) for everything below their unit.
ROLES_SEEING_UNITS_BELOW = ("verksamhetschef", "namndsekreterare")


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
        if assignment.role in ROLES_SEEING_UNITS_BELOW:
            units |= descendants_and_self(assignment.unit_id, children)
        else:
            units.add(assignment.unit_id)
    return units


def scope_cases(query: Select, user) -> Select:
    units = visible_unit_ids(user)
    if units is None:
        return query
    return query.where(or_(Case.unit_id.in_(units) if units else false(), Case.reporter_id == user.id,
                           Case.id.in_(select(Task.case_id).where(Task.assignee_id == user.id))))


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
    chef_units = [r.unit_id for r in user.roles if r.role == "enhetschef"]
    query = select(Case.id).where(Case.id.in_(case_ids), or_(
        Case.unit_id.in_(chef_units) if chef_units else false(),
        Case.id.in_(select(Task.case_id).where(or_(Task.assignee_id == user.id, Task.completed_by_id == user.id,
                                                   and_(Task.state == "open", candidate_filter(user))))),
    ))
    return set(db.session.scalars(query))


def redact(fields: dict, show_sensitive: bool) -> dict:
    if show_sensitive:
        return dict(fields)
    return {k: v for k, v in fields.items() if k not in SENSITIVE_FIELDS}


# Within `memo()`: answers of role_holders and resolve_unit, looked up once per block.
_memo: ContextVar[dict | None] = ContextVar("access_memo", default=None)


@contextmanager
def memo():
    """Look up role holders and the unit a role acts for once inside the block. The timer sweep asks
    the same few questions for thousands of steps in a row, one transaction each; a role assignment
    changed while the block runs is seen from the next block (the next sweep)."""
    if _memo.get() is not None:  # already inside one
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


@dataclass(frozen=True)
class Holder:
    """An active user holding a role: what a mail or an audit entry needs (plain values, so they stay
    valid after the transaction that read them)."""

    id: int
    username: str
    name: str
    email: str


def role_holders(role: str, unit_id: int) -> list[Holder]:
    cache = _memo.get()
    key = ("holders", role, unit_id)
    if cache is not None and key in cache:
        return list(cache[key])
    from app.models import User  # local: avoid a cycle in type-only use

    holders = [Holder(*row) for row in db.session.execute(
        select(User.id, User.username, User.name, User.email).join(RoleAssignment)
        .where(RoleAssignment.role == role, RoleAssignment.unit_id == unit_id, User.active.is_(True))
    )]
    if cache is not None:
        cache[key] = tuple(holders)
    return holders


def resolve_unit(role: str, unit) -> int:
    """The unit whose holders of `role` act for a case in `unit`: the unit itself, or the nearest
    unit above it where someone holds the role (the lane rule of DESIGN.md)."""
    cache = _memo.get()
    if cache is None:
        return _resolve_unit(role, unit)
    key = ("unit", role, unit.id)
    if key not in cache:
        cache[key] = _resolve_unit(role, unit)
    return cache[key]


def _resolve_unit(role: str, unit) -> int:
    chain = unit.ancestors_and_self()
    holders = set(db.session.scalars(
        select(RoleAssignment.unit_id).where(RoleAssignment.role == role,
                                             RoleAssignment.unit_id.in_([u.id for u in chain]))
    ))
    for candidate in chain:
        if candidate.id in holders:
            return candidate.id
    return unit.id

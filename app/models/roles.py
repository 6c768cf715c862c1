"""Who acts for a role where: the lane rule of DESIGN.md as a plain query on the organisation tree,
below the engine (which maps each lane to a unit) and the services (which look up role holders).

Inside `memo()` the answers are looked up once per block: the timer sweep asks the same few questions
for thousands of steps in a row, one transaction each."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import select

from app.extensions import db
from app.models.organisation import RoleAssignment, Unit, User

T = TypeVar("T")

# Within `memo()`: answers keyed by question, e.g. ("unit", role, unit_id).
_memo: ContextVar[dict | None] = ContextVar("access_memo", default=None)


@contextmanager
def memo() -> Iterator[None]:
    """Look up role holders and the unit a role acts for once inside the block; a role assignment
    changed while the block runs is seen from the next block (the next sweep)."""
    if _memo.get() is not None:  # already inside one
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or inside `memo()` its answer from the first time `key` was asked."""
    cache = _memo.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def resolve_unit(role: str, unit: Unit) -> int:
    """The unit whose holders of `role` act for a case in `unit`: the unit itself, or the nearest
    unit above it where someone holds the role (the lane rule of DESIGN.md); the unit itself when
    nobody does (holder_unit tells that case apart)."""
    found = holder_unit(role, unit)
    return unit.id if found is None else found


def holder_unit(role: str, unit: Unit) -> int | None:
    """The nearest unit from `unit` upwards where someone active holds `role`, or None: nobody would
    see a task offered to that role for a case in `unit`."""
    return memoized(("unit", role, unit.id), lambda: _holder_unit(role, unit))


def _holder_unit(role: str, unit: Unit) -> int | None:
    chain = unit.ancestors_and_self()
    holders = set(db.session.scalars(
        select(RoleAssignment.unit_id).join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == role, RoleAssignment.unit_id.in_([u.id for u in chain]), User.active.is_(True))
    ))
    for candidate in chain:
        if candidate.id in holders:
            return candidate.id
    return None

"""Who acts for a role where: the lane rule of DESIGN.md as a plain query on the organisation tree,
below the engine (which maps each lane to a unit) and the services (which look up role holders).

Inside `memo()` the answers are looked up once per block: the timer sweep asks the same few questions
for thousands of steps in a row, one transaction each."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from sqlalchemy import bindparam, literal, select

from app.extensions import db
from app.models.organisation import RoleAssignment, Unit, User

T = TypeVar("T")

# Within `memo()`: answers keyed by question, e.g. ("unit", role, unit_id).
_memo: ContextVar[dict | None] = ContextVar("access_memo", default=None)

# Answers shared by the blocks of this process that read the same organisation revision (few: the
# newest and, briefly, the one before).
_shared: dict[int, dict] = {}
_shared_lock = threading.Lock()


@contextmanager
def memo(revision: int | None = None) -> Iterator[None]:
    """Look up role holders and the unit a role acts for once inside the block; a role assignment
    changed while the block runs is seen from the next block (the next sweep).

    `revision`: the organisation's revision (OrganisationRevision) read in the caller's transaction. The
    answers then come from, and go to, what this process keeps for that revision: a block that read the
    same revision asks nothing again (the organisation is as it was when they were looked up)."""
    if _memo.get() is not None:  # already inside one
        yield
        return
    token = _memo.set({} if revision is None else _answers_for(revision))
    try:
        yield
    finally:
        _memo.reset(token)


def _answers_for(revision: int) -> dict:
    with _shared_lock:
        answers = _shared.get(revision)
        if answers is None:
            if len(_shared) >= 2:
                _shared.clear()
            answers = _shared[revision] = {}
        return answers


def memoized(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or inside `memo()` its answer from the first time `key` was asked."""
    cache = _memo.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@dataclass(frozen=True)
class Holder:
    """An active user holding a role: what a mail or an audit entry needs (plain values, so they stay
    valid after the transaction that read them)."""

    id: int
    username: str
    name: str
    email: str


def resolve_unit(role: str, unit: Unit) -> int:
    """The unit whose holders of `role` act for a case in `unit`: the unit itself, or the nearest
    unit above it where someone holds the role (the lane rule of DESIGN.md); the unit itself when
    nobody does (holder_unit tells that case apart)."""
    found = holder_unit(role, unit)
    return unit.id if found is None else found


def holder_unit(role: str, unit: Unit) -> int | None:
    """The nearest unit from `unit` upwards where someone active holds `role`, or None: nobody would
    see a task offered to that role for a case in `unit`."""
    return memoized(("unit", role, unit.id), lambda: _holder_unit(role, unit.id))


def role_holders(role: str, unit_id: int) -> list[Holder]:
    """The active users holding `role` in the unit itself (no walk up the tree)."""
    return list(memoized(("holders", role, unit_id), lambda: tuple(Holder(*row) for row in db.session.execute(
        select(User.id, User.username, User.name, User.email).join(RoleAssignment)
        .where(RoleAssignment.role == role, RoleAssignment.unit_id == unit_id, User.active.is_(True))
        .order_by(User.id)
    ))))


@cache
def _chain_holders():
    """The unit's chain up to the root (a recursive CTE) with the role's assignments in it: built once,
    run with the parameters `unit_id` and `role` (building it anew each time cost more than running it)."""
    chain = select(Unit.id, Unit.parent_id, literal(0).label("depth")).where(Unit.id == bindparam("unit_id")) \
        .cte("chain", recursive=True)
    parent = Unit.__table__.alias("parent_unit")
    chain = chain.union_all(select(parent.c.id, parent.c.parent_id, chain.c.depth + 1)
                            .where(parent.c.id == chain.c.parent_id))
    return (select(chain.c.id, chain.c.depth, User.id, User.username, User.name, User.email, User.active)
            .join(RoleAssignment, (RoleAssignment.unit_id == chain.c.id) & (RoleAssignment.role == bindparam("role")))
            .join(User, User.id == RoleAssignment.user_id)
            .order_by(chain.c.depth, User.id))


def _holder_unit(role: str, unit_id: int) -> int | None:
    """One query (_chain_holders). The holders at the unit found are the next question a new task asks
    (who is told about it): inside `memo()` they are kept from the same rows, so that question costs no query."""
    found = db.session.execute(_chain_holders(), {"unit_id": unit_id, "role": role}).all()
    active = [row for row in found if row[6]]
    resolved = active[0][0] if active else None
    cache = _memo.get()
    if cache is not None and resolved is not None:
        cache.setdefault(("holders", role, resolved), tuple(
            Holder(user_id, username, name, email)
            for unit, _, user_id, username, name, email, _active in active if unit == resolved))
    return resolved

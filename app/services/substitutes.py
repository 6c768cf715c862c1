"""Substitutes (ersättare): a manager names a colleague to act for them over a period. During it, what is
offered or assigned to the manager is also in the substitute's inbox, marked "som ersättare för ...",
and the timeline names both when the substitute acts (app.services.tasks)."""
from __future__ import annotations

from datetime import date

from flask import g, has_request_context, request
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Substitute, User
from app.services import audit
from app.services.errors import Forbidden, Invalid, NotFound
from app.vocabulary import MANAGER_ROLES


def absent_for(user) -> list[User]:
    """The users `user` acts for today."""
    # Kept for the request (the inbox asks once per row); keyed by the request, as tests share one `g`.
    key = f"absent_for_{user.id}_{id(request.environ)}" if has_request_context() else ""
    if key and key in g:
        return g.get(key)
    today = clock.today()
    found = list(db.session.scalars(select(User).join(Substitute, Substitute.user_id == User.id).where(
        Substitute.substitute_id == user.id, Substitute.ended_at.is_(None), Substitute.starts_on <= today,
        Substitute.ends_on >= today, User.active.is_(True))))
    if key:
        setattr(g, key, found)
    return found


def _user(username) -> User | None:
    if not isinstance(username, str) or not username.strip():
        return None
    return db.session.scalar(select(User).where(User.username == username.strip(), User.active.is_(True)))


def _may_name(actor, user: User) -> bool:
    if actor.id == user.id or actor.has_role("admin"):
        return True
    # Their chef: an enhetschef or verksamhetschef of a unit where the user holds a role, or above it.
    from app.models import Unit

    for assignment in user.roles:
        unit = db.session.get(Unit, assignment.unit_id)
        chain = {u.id for u in unit.ancestors_and_self()} if unit is not None else set()
        if any(r.role in MANAGER_ROLES and r.unit_id in chain for r in actor.roles if r.user_id != user.id):
            return True
    return False


def _holds_role_of(substitute: User, user: User) -> bool:
    """The substitute takes the manager's tasks, so must hold (somewhere) a manager role the user holds."""
    needed = {r.role for r in user.roles if r.role in MANAGER_ROLES}
    return not needed or substitute.has_role("admin") or bool(needed & {r.role for r in substitute.roles})


def _day(value, field: str, errors: dict) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    errors[field] = ["Ange ett datum som ÅÅÅÅ-MM-DD."]
    return None


def _current(user: User) -> list[Substitute]:
    return list(db.session.scalars(select(Substitute).where(Substitute.user_id == user.id,
                                                            Substitute.ended_at.is_(None))))


def set_substitute(actor, username: str, body: dict) -> Substitute:
    user = _user(username)
    if user is None:
        raise NotFound("Användaren finns inte.")
    if not _may_name(actor, user):
        raise Forbidden("Bara användaren själv, dennes chef eller en administratör kan utse ersättare.")
    errors: dict = {}
    substitute = _user(body.get("substitute"))
    if substitute is None:
        errors["substitute"] = ["Ange en aktiv användare som ersättare."]
    elif substitute.id == user.id:
        errors["substitute"] = ["Man kan inte vara sin egen ersättare."]
    elif not _holds_role_of(substitute, user):
        errors["substitute"] = [f"{substitute.name} har inte samma chefsroll som {user.name} "
                                "och kan inte vara ersättare."]
    starts_on = _day(body.get("from"), "from", errors)
    ends_on = _day(body.get("to"), "to", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors["to"] = ["Perioden kan inte sluta innan den börjar."]
    if errors:
        raise Invalid("Uppgifterna behöver rättas.", errors)
    assert substitute is not None and starts_on is not None and ends_on is not None
    now = clock.now()
    for earlier in _current(user):  # one substitute at a time: a new one replaces the earlier
        earlier.ended_at = now
    row = Substitute(user_id=user.id, substitute_id=substitute.id, starts_on=starts_on, ends_on=ends_on,
                     created_at=now, created_by_id=actor.id)
    db.session.add(row)
    audit.record("substitute_named", actor=actor,
                 summary=f"{actor.name} utsåg {substitute.name} till ersättare för {user.name} "
                         f"{starts_on}–{ends_on}",
                 details={"user": user.username, "substitute": substitute.username, "from": starts_on.isoformat(),
                          "to": ends_on.isoformat()})
    db.session.commit()
    return row


def end_substitute(actor, username: str) -> None:
    user = _user(username)
    if user is None:
        raise NotFound("Användaren finns inte.")
    if not _may_name(actor, user):
        raise Forbidden("Bara användaren själv, dennes chef eller en administratör kan avsluta ersättningen.")
    current = _current(user)
    if not current:
        raise NotFound(f"{user.name} har ingen ersättare.")
    for row in current:
        row.ended_at = clock.now()
    audit.record("substitute_ended", actor=actor, summary=f"{actor.name} avslutade ersättningen för {user.name}",
                 details={"user": user.username})
    db.session.commit()


def periods_for(actor) -> list[Substitute]:
    """Current and coming periods (not ended, not over) the actor may see and end: their own, and for
    the people they are chef for (everyone's for an admin)."""
    rows = db.session.scalars(select(Substitute).where(Substitute.ended_at.is_(None),
                                                       Substitute.ends_on >= clock.today())
                              .order_by(Substitute.starts_on, Substitute.id))
    return [row for row in rows if _may_name(actor, row.user)]


def namable_users(actor) -> list[User]:
    """Whom the actor may name a substitute for: themself, the people they are chef for, all for an admin."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    return [u for u in users if _may_name(actor, u)]


def candidates() -> list[User]:
    """Active users who hold a manager role somewhere (or are admins): who can stand in for a chef."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    return [u for u in users if u.has_role("admin") or any(r.role in MANAGER_ROLES for r in u.roles)]


def substitute_dict(row: Substitute) -> dict:
    return {"user": row.user.username, "substitute": row.substitute.username, "from": row.starts_on.isoformat(),
            "to": row.ends_on.isoformat()}

"""Administration of people, units and roles (admin only): create and edit users, give and take roles
per unit, deactivate someone who left (their open tasks go back to the role's queue, the enhetschef is
told, their sessions end), move and rename units, and the HR sync of a CSV export. Every change is
audited in its own transaction; bad input changes nothing."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update

from app import clock
from app.extensions import db
from app.models import Task, Unit, User
from app.models.roles import holder_unit, role_holders
from app.services import audit, csv_files, lists, notifications, sessions
from app.services.csv_files import fold
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.users import email_problem, hash_password, password_problems, set_roles, wanted_roles
from app.vocabulary import ROLE_LABELS, ROLES

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_CSV_BYTES = 10 * 1024 * 1024


def require_admin(actor: User) -> None:
    if actor is None or not actor.has_role("admin"):
        raise Forbidden("Bara administratören får ändra användare och enheter.")


# --- reading --------------------------------------------------------------------------------------

def user_dict(user: User) -> dict:
    return {"username": user.username, "name": user.name, "email": user.email or "", "title": user.title or "",
            "active": bool(user.active),
            "roles": sorted(({"role": r.role, "unit": r.unit.code} for r in user.roles),
                            key=lambda r: (r["unit"], r["role"]))}


def unit_dict(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name, "parent": unit.parent.code if unit.parent else None}


def users_query(q: str = ""):
    """Users by name, matching `q` in the name, username, e-mail or title (any case)."""
    query = select(User).order_by(User.name, User.id)
    words = [w for w in (q or "").split() if w][:5]
    for word in words:
        pattern = f"%{word.lower()}%"
        query = query.where(or_(func.lower(User.name).like(pattern), func.lower(User.username).like(pattern),
                                func.lower(User.email).like(pattern), func.lower(User.title).like(pattern)))
    return query


def find_users(q: str, filters: lists.Filters) -> lists.Page:
    return lists.paginate(users_query(q), User.id, filters)


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("Användaren finns inte.")
    return user


def get_unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound("Enheten finns inte.")
    return unit


def units_in_tree_order() -> list[tuple[Unit, int]]:
    """Every unit with its depth, each under its parent (by name within a parent)."""
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    children: dict = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    tree, seen = [], set()

    def walk(parent_id, depth):
        for unit in children.get(parent_id, []):
            if unit.id not in seen:
                seen.add(unit.id)
                tree.append((unit, depth))
                walk(unit.id, depth + 1)

    walk(None, 0)
    return tree


# --- users ----------------------------------------------------------------------------------------

def _text(data: dict, key: str, errors: dict, *, required: bool = False, limit: int = 200) -> str | None:
    """A text field of `data` (None when absent), with its problems in `errors`."""
    if key not in data or data[key] is None:
        if required:
            errors.setdefault(key, []).append("Fältet måste fyllas i.")
        return None
    value = data[key]
    if not isinstance(value, str):
        errors.setdefault(key, []).append("Ange text.")
        return None
    value = value.strip().replace("\x00", "")
    if required and not value:
        errors.setdefault(key, []).append("Fältet måste fyllas i.")
    if len(value) > limit:
        errors.setdefault(key, []).append(f"Högst {limit} tecken.")
    return value


def _roles(data: dict, errors: dict) -> set[tuple[str, int]] | None:
    """The (role, unit id) pairs of data["roles"] ([{"role", "unit"}]), or None when not given."""
    if "roles" not in data or data["roles"] is None:
        return None
    roles = data["roles"]
    if not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles):
        errors.setdefault("roles", []).append('Ange roller som en lista: [{"role": ..., "unit": ...}].')
        return None
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    problems: list[str] = []
    wanted = wanted_roles({"roles": roles}, units, problems)
    if problems:
        errors.setdefault("roles", []).extend(problems)
    return wanted


def create_user(actor: User, data: dict) -> User:
    require_admin(actor)
    errors: dict[str, list[str]] = {}
    username = _text(data, "username", errors, required=True, limit=64) or ""
    if username and not USERNAME.match(username):
        errors.setdefault("username", []).append(
            "Användarnamnet får innehålla bokstäverna a–z, siffror och . _ @ - (2–64 tecken).")
    elif username and db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors.setdefault("username", []).append("Användarnamnet används redan.")
    name = _text(data, "name", errors, required=True) or ""
    email = _text(data, "email", errors) or ""
    title = _text(data, "title", errors) or ""
    password = _text(data, "password", errors, limit=1000) or ""
    if email and email_problem(email):
        errors.setdefault("email", []).append(email_problem(email) or "")
    if password:
        errors.setdefault("password", []).extend(password_problems(password))
        if not errors["password"]:
            del errors["password"]
    wanted = _roles(data, errors) or set()
    if errors:
        db.session.rollback()
        raise Invalid("Uppgifterna behöver rättas; användaren skapades inte.", errors)
    user = User(username=username, name=name, email=email, title=title, active=True,
                password_hash=hash_password(password) if password else None)
    db.session.add(user)
    set_roles(user, wanted)
    db.session.flush()
    audit.record("user_created", actor=actor, summary=f"{actor.name} skapade användaren {username}",
                 details={"user": username, "roles": _role_names(user), "password_set": bool(password)})
    db.session.commit()
    return user


def update_user(actor: User, username: str, data: dict) -> User:
    """PATCH: `name`, `email`, `title`, `active`, `roles` (exactly these afterwards), `password`."""
    require_admin(actor)
    user = get_user(username)
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - {"name", "email", "title", "active", "roles", "password", "username"})
    for key in unknown:
        errors.setdefault(key, []).append("Okänt fält.")
    if "username" in data and data["username"] != user.username:
        errors.setdefault("username", []).append("Användarnamnet kan inte ändras.")
    name = _text(data, "name", errors, required="name" in data)
    email = _text(data, "email", errors)
    title = _text(data, "title", errors)
    password = _text(data, "password", errors, limit=1000)
    if email and email_problem(email):
        errors.setdefault("email", []).append(email_problem(email) or "")
    if password:
        problems = password_problems(password)
        if problems:
            errors.setdefault("password", []).extend(problems)
    active = data.get("active")
    if active is not None and not isinstance(active, bool):
        errors.setdefault("active", []).append("Ange true eller false.")
        active = None
    wanted = _roles(data, errors)
    if errors:
        db.session.rollback()
        raise Invalid("Uppgifterna behöver rättas; inget ändrades.", errors)
    changes: dict[str, object] = {}
    for key, value in (("name", name), ("email", email), ("title", title)):
        if value is not None and value != (getattr(user, key) or ""):
            setattr(user, key, value)
            changes[key] = value
    if password:
        user.password_hash = hash_password(password)
        changes["password_set"] = True
    if wanted is not None and set_roles(user, wanted):
        changes["roles"] = _role_names(user)
    deactivated = active is False and user.active
    if active is not None and active != user.active:
        user.active = active
        changes["active"] = active
    db.session.flush()
    _refuse_without_admin(user)
    if not changes:
        db.session.rollback()
        return user
    released = _release_tasks(actor, user) if deactivated else []
    audit.record("user_deactivated" if deactivated else "user_updated", actor=actor,
                 summary=f"{actor.name} {'inaktiverade' if deactivated else 'ändrade'} användaren {user.username}",
                 details={"user": user.username, **changes,
                          **({"tasks_released": len(released)} if deactivated else {})})
    if deactivated:
        _tell_chefs(user, released)
        sessions.end_all(actor, user, "konto_inaktiverat")  # commits the whole change
    else:
        db.session.commit()
    return user


def add_role(actor: User, username: str, role: str, unit_code: str) -> User:
    user = get_user(username)
    current = [{"role": r.role, "unit": r.unit.code} for r in user.roles]
    return update_user(actor, username, {"roles": [*current, {"role": role, "unit": unit_code}]})


def remove_role(actor: User, username: str, role: str, unit_code: str) -> User:
    user = get_user(username)
    current = [{"role": r.role, "unit": r.unit.code} for r in user.roles
               if not (r.role == role and r.unit.code == unit_code)]
    return update_user(actor, username, {"roles": current})


def _role_names(user: User) -> list[str]:
    codes = dict(db.session.execute(select(Unit.id, Unit.code).where(
        Unit.id.in_({r.unit_id for r in user.roles}))).all()) if user.roles else {}
    return sorted(f"{r.role}:{codes.get(r.unit_id, r.unit_id)}" for r in user.roles)


def _refuse_without_admin(changed: User) -> None:
    """At least one active admin must remain, or nobody could administer the system."""
    left = db.session.scalar(select(func.count(User.id)).where(
        User.active.is_(True), User.roles.any(role="admin")))
    if not left:
        db.session.rollback()
        raise Invalid("Det måste finnas minst en aktiv administratör; ändringen gjordes inte.",
                      {"active": [f"{changed.username} är den sista aktiva administratören."],
                       "roles": ["Den sista administratören kan inte förlora rollen."]})


def _release_tasks(actor: User, user: User) -> list[Task]:
    """The deactivated user's open tasks go back to their role's queue (unassigned), each audited on its case."""
    tasks = list(db.session.scalars(select(Task).where(Task.assignee_id == user.id, Task.state == "open")
                                    .order_by(Task.id)))
    if tasks:
        db.session.execute(update(Task).where(Task.id.in_([t.id for t in tasks])).values(assignee_id=None))
    for task in tasks:
        audit.record("task_released", case=task.case, actor=actor, task_id=task.task_id,
                     summary=f"{task.name} lämnades tillbaka till kön: {user.name} är inaktiverad")
    return tasks


def _tell_chefs(user: User, released: list[Task]) -> None:
    """Mail the enhetschef of each unit where the person had a role (the nearest one up the tree): who
    left, and which tasks are back in the queue."""
    units = {r.unit for r in user.roles if r.unit is not None}
    units |= {t.case.unit for t in released if t.case is not None}
    told: set[int] = set()
    for unit in sorted(units, key=lambda u: u.code):
        found = holder_unit("enhetschef", unit)
        if found is None:
            continue
        for holder in role_holders("enhetschef", found):
            if holder.id in told or holder.id == user.id:
                continue
            told.add(holder.id)
            lines = [f"{user.name} ({user.username}) har inaktiverats i Kvalitetsflöde och kan inte längre logga in."]
            if released:
                lines.append("Uppgifterna nedan är tillbaka i kön Att fördela:")
                lines += [f"- {t.name} ({t.case.number})" for t in released]
            notifications.queue(db.session.get(User, holder.id), f"{user.name} är inaktiverad i Kvalitetsflöde",
                                "\n".join(lines), event_key=f"user_deactivated:{user.id}:{clock.now().isoformat()}")


# --- units ----------------------------------------------------------------------------------------

def create_unit(actor: User, data: dict) -> Unit:
    require_admin(actor)
    errors: dict[str, list[str]] = {}
    code = _text(data, "code", errors, required=True, limit=64) or ""
    if code and not CODE.match(code):
        errors.setdefault("code", []).append("Koden får innehålla bokstäverna A–Z, siffror, _ och -.")
    elif code and db.session.scalar(select(Unit.id).where(func.lower(Unit.code) == code.lower())):
        errors.setdefault("code", []).append("Koden används redan.")
    name = _text(data, "name", errors, required=True) or ""
    parent = _parent(data, errors)
    if errors:
        db.session.rollback()
        raise Invalid("Uppgifterna behöver rättas; enheten skapades inte.", errors)
    unit = Unit(code=code, name=name, parent=parent)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit_created", actor=actor, summary=f"{actor.name} skapade enheten {code} {name}",
                 details=unit_dict(unit))
    db.session.commit()
    return unit


def update_unit(actor: User, code: str, data: dict) -> Unit:
    """Rename (`name`) or move (`parent`: a unit code, or null for the top) a unit."""
    require_admin(actor)
    unit = get_unit(code)
    errors: dict[str, list[str]] = {}
    for key in sorted(set(data) - {"name", "parent", "code"}):
        errors.setdefault(key, []).append("Okänt fält.")
    if "code" in data and data["code"] != unit.code:
        errors.setdefault("code", []).append("Koden kan inte ändras.")
    name = _text(data, "name", errors, required="name" in data)
    parent = _parent(data, errors) if "parent" in data else unit.parent
    if parent is not None and unit in parent.ancestors_and_self():
        errors.setdefault("parent", []).append("En enhet kan inte ligga under sig själv eller en enhet under den.")
    if errors:
        db.session.rollback()
        raise Invalid("Uppgifterna behöver rättas; enheten ändrades inte.", errors)
    before = unit_dict(unit)
    if name is not None:
        unit.name = name
    unit.parent = parent
    after = unit_dict(unit)
    if after != before:
        audit.record("unit_updated", actor=actor, summary=f"{actor.name} ändrade enheten {unit.code}",
                     details={"before": before, "after": after})
    db.session.commit()
    return unit


def _parent(data: dict, errors: dict) -> Unit | None:
    value = data.get("parent")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.setdefault("parent", []).append("Ange den överordnade enhetens kod.")
        return None
    found = db.session.scalar(select(Unit).where(Unit.code == value))
    if found is None:
        errors.setdefault("parent", []).append(f"Enheten '{value[:64]}' finns inte.")
    return found


# --- HR sync --------------------------------------------------------------------------------------

# The columns of the HR/AD export (header row; Swedish or English, case and accents ignored).
HR_COLUMNS = {
    "username": ("anvandarnamn", "username", "anvandar_id", "login"),
    "name": ("namn", "name"),
    "email": ("epost", "e_post", "email", "mail"),
    "title": ("titel", "befattning", "title"),
    "unit": ("enhet", "enhetskod", "unit"),
    "role": ("roll", "role"),
    "active": ("aktiv", "active", "anstalld"),
}
HR_REQUIRED = ("username", "name", "unit")
_YES = {"ja", "j", "1", "true", "yes", "x", "aktiv"}
_NO = {"nej", "n", "0", "false", "no", "slutat", "inaktiv"}


@dataclass
class HrChange:
    row: int
    username: str
    changes: list[str] = field(default_factory=list)
    new: bool = False


HR_TITLES = {"username": "Användarnamn", "name": "Namn", "email": "E-post", "title": "Titel", "unit": "Enhet",
             "role": "Roll", "active": "Aktiv"}


def _hr_rows(content: bytes | str) -> list[tuple[int, dict]]:
    return csv_files.read(content, columns=HR_COLUMNS, required=HR_REQUIRED, titles=HR_TITLES,
                          max_bytes=MAX_CSV_BYTES, outcome="inget ändrades")


def hr_sync(actor: User, content: bytes | str, *, apply: bool) -> list[HrChange]:
    """The HR export: one row per person with their unit (and role, default medarbetare; `aktiv` nej
    deactivates). Returns what changes per person; with `apply`, makes the changes in one transaction.
    Duplicate usernames, unknown units or roles: Invalid with a Swedish message per row, nothing changed."""
    require_admin(actor)
    rows = _hr_rows(content)
    units = {u.code.lower(): u for u in db.session.scalars(select(Unit))}
    users = {u.username.lower(): u for u in db.session.scalars(select(User))}
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for number, row in rows:
        key = f"rad {number}"
        username = row["username"]
        if not username or not row["name"]:
            errors.setdefault(key, []).append("Användarnamn och namn måste fyllas i.")
        elif not USERNAME.match(username):
            errors.setdefault(key, []).append(f"Ogiltigt användarnamn '{username[:64]}'.")
        elif username.lower() in seen:
            first = seen[username.lower()]
            errors.setdefault(key, []).append(f"Användarnamnet '{username}' finns redan på rad {first}.")
        else:
            seen[username.lower()] = number
        if row["unit"].lower() not in units:
            errors.setdefault(key, []).append(f"Enheten '{row['unit'][:64]}' finns inte.")
        role = fold(row.get("role") or "") or "medarbetare"
        if role not in ROLES:
            errors.setdefault(key, []).append(f"Okänd roll '{row.get('role', '')[:32]}'.")
        if row.get("email") and email_problem(row["email"]):
            errors.setdefault(key, []).append(email_problem(row["email"]) or "")
        if (row.get("active") or "").lower() not in _YES | _NO | {""}:
            errors.setdefault(key, []).append("Kolumnen Aktiv ska vara ja eller nej.")
        if len(row["name"]) > 200 or len(row.get("title") or "") > 200 or len(row.get("email") or "") > 200:
            errors.setdefault(key, []).append("Högst 200 tecken per fält.")
    if errors:
        db.session.rollback()
        raise Invalid("Filen innehåller fel; inget ändrades.", errors)
    result = []
    deactivated: list[User] = []
    for number, row in rows:
        change = _hr_row(number, row, users, units, deactivated)
        if change.changes:
            result.append(change)
    if not apply:
        db.session.rollback()
        return result
    db.session.flush()
    _refuse_without_admin(actor)
    for user in deactivated:
        _tell_chefs(user, _release_tasks(actor, user))
    audit.record("hr_sync", actor=actor, summary=f"{actor.name} läste in personalfilen: {len(result)} ändrade",
                 details={"changed": {c.username: c.changes for c in result}})
    for user in deactivated:
        sessions.end_all(actor, user, "konto_inaktiverat", commit=False)
    db.session.commit()
    return result


def _hr_row(number: int, row: dict, users: dict, units: dict, deactivated: list) -> HrChange:
    username = row["username"]
    user = users.get(username.lower())
    change = HrChange(number, username)
    if user is None:
        user = User(username=username, name=row["name"], email=row.get("email") or "", title=row.get("title") or "",
                    active=True)
        db.session.add(user)
        users[username.lower()] = user
        change.new = True
        change.changes.append("ny användare")
    else:
        for key, label in (("name", "namn"), ("email", "e-post"), ("title", "titel")):
            value = row.get(key)
            if value is not None and (key == "name" or value) and value != (getattr(user, key) or ""):
                change.changes.append(f"{label}: {getattr(user, key) or '–'} → {value}")
                setattr(user, key, value)
    unit = units[row["unit"].lower()]
    role = fold(row.get("role") or "") or "medarbetare"
    current = {(r.role, r.unit_id) for r in user.roles} if not change.new else set()
    wanted = {pair for pair in current if pair[0] != role} | {(role, unit.id)}
    if wanted != current:
        before = sorted(r.unit.code for r in (user.roles if not change.new else []) if r.role == role)
        change.changes.append(f"{ROLE_LABELS[role].lower()}: {', '.join(before) or '–'} → {unit.code}")
        set_roles(user, wanted)
    active = (row.get("active") or "").lower()
    if active in _NO and user.active:
        user.active = False
        change.changes.append("inaktiveras")
        deactivated.append(user)
    elif active in _YES and not user.active:
        user.active = True
        change.changes.append("aktiveras igen")
    return change

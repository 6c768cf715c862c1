"""People and organisation: password hashing (Argon2id, memory-hard), org import, API tokens."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import clock
from app.extensions import db
from app.models import ApiToken, RoleAssignment, Unit, User
from app.services import audit
from app.services.errors import Invalid
from app.vocabulary import ROLES

_hashers: dict[tuple[int, int], tuple[PasswordHasher, str]] = {}


def _hasher() -> tuple[PasswordHasher, str]:
    """Argon2id with the configured cost, and a dummy hash compared against when the user does not
    exist (so a wrong username takes as long as a wrong password)."""
    key = (int(current_app.config["PASSWORD_HASH_TIME_COST"]), int(current_app.config["PASSWORD_HASH_MEMORY_KIB"]))
    if key not in _hashers:
        hasher = PasswordHasher(time_cost=key[0], memory_cost=key[1])
        _hashers[key] = (hasher, hasher.hash("kvalitetsflode-dummy"))
    return _hashers[key]


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    hasher, dummy = _hasher()
    stored = user.password_hash if user is not None and user.password_hash else dummy
    try:
        hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or not user.password_hash:
        return None
    if hasher.check_needs_rehash(stored):
        user.password_hash = hasher.hash(password)
        db.session.commit()
    return user


_IMPORT_FAILED = "Organisationsfilen innehåller fel; inget importerades."


def import_organisation(document: dict) -> dict:
    """Idempotent: units and users are created or updated by code/username; a user's roles become
    exactly those listed. Everything in one transaction."""
    if not isinstance(document, dict):
        raise Invalid("Filen ska innehålla ett JSON-objekt med 'units' och 'users'.")
    errors = _shape_errors(document)
    if errors:
        raise Invalid(_IMPORT_FAILED, errors)
    units_in = document.get("units") or []
    users_in = document.get("users") or []
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    counts = {"units_created": 0, "units_updated": 0, "users_created": 0, "users_updated": 0}
    _upsert_units(units_in, existing, counts, errors)
    _link_parents(units_in, existing, errors)
    _check_no_cycle(existing, errors)
    if errors:  # the units must be sound before anything is written (a cycle cannot even be flushed)
        db.session.rollback()
        raise Invalid(_IMPORT_FAILED, errors)
    db.session.flush()
    changed_roles, passwords_set = _upsert_users(users_in, existing, counts, errors)
    if errors:
        db.session.rollback()
        raise Invalid(_IMPORT_FAILED, errors)
    # Who got which roles, and whose password was set: the log answers "who gave this person access?".
    audit.record("organisation_imported", summary="Organisation importerad",
                 details={**counts, "roles_changed": changed_roles, "passwords_set": passwords_set})
    db.session.commit()
    return counts


def _upsert_units(units_in: list, existing: dict[str, Unit], counts: dict, errors: dict) -> None:
    """Create or rename the listed units (by code); `existing` gains the new ones."""
    for index, item in enumerate(units_in):
        code, name = (item or {}).get("code"), (item or {}).get("name")
        if not code or not name:
            errors.setdefault(f"units[{index}]", []).append("En enhet behöver 'code' och 'name'.")
            continue
        unit = existing.get(code)
        if unit is None:
            unit = Unit(code=code, name=name)
            db.session.add(unit)
            existing[code] = unit
            counts["units_created"] += 1
        elif unit.name != name:
            unit.name = name
            counts["units_updated"] += 1


def _link_parents(units_in: list, existing: dict[str, Unit], errors: dict) -> None:
    for index, item in enumerate(units_in):
        parent = (item or {}).get("parent")
        if not (item or {}).get("code") or not item.get("name"):
            continue
        if parent and parent not in existing:
            errors.setdefault(f"units[{index}]", []).append(f"Överordnad enhet '{parent}' finns inte.")
            continue
        unit = existing[item["code"]]
        new_parent = existing[parent] if parent else None
        if unit.parent is not new_parent:
            unit.parent = new_parent


def _check_no_cycle(existing: dict[str, Unit], errors: dict) -> None:
    for code, unit in existing.items():
        seen: set[str] = set()
        current: Unit | None = unit
        while current is not None and current.code not in seen:
            seen.add(current.code)
            current = current.parent
        if current is not None:  # the chain of parents came back to itself
            errors.setdefault("units", []).append(
                f"Enheten '{code}' ligger under sig själv (cirkel av överordnade enheter).")
            break


def _upsert_users(users_in: list, existing: dict[str, Unit], counts: dict,
                  errors: dict) -> tuple[dict[str, list[str]], list[str]]:
    """Create or update the listed users and set their roles. Returns whose roles changed (username ->
    its roles after the import) and whose password was set."""
    codes = {unit.id: code for code, unit in existing.items()}
    changed_roles: dict[str, list[str]] = {}
    passwords_set: list[str] = []
    for index, item in enumerate(users_in):
        item = item or {}
        username = item.get("username")
        if not username or not item.get("name"):
            errors.setdefault(f"users[{index}]", []).append("En användare behöver 'username' och 'name'.")
            continue
        user = _upsert_user(item, counts)
        if item.get("password"):
            user.password_hash = hash_password(item["password"])
            passwords_set.append(username)
        problems: list[str] = []
        wanted = _wanted_roles(item, existing, problems)
        if problems:
            errors.setdefault(f"users[{index}]", []).extend(problems)
        if _set_roles(user, wanted):
            changed_roles[username] = sorted(f"{role}:{codes[unit_id]}" for role, unit_id in wanted)
    return changed_roles, passwords_set


def _upsert_user(item: dict, counts: dict) -> User:
    user = db.session.scalar(select(User).where(User.username == item["username"]))
    if user is None:
        user = User(username=item["username"], name=item["name"], email=item.get("email", ""), active=True)
        db.session.add(user)
        counts["users_created"] += 1
    else:
        counts["users_updated"] += 1
    user.name = item["name"]
    user.email = item.get("email", user.email or "")
    user.title = item.get("title", user.title or "")
    return user


def _wanted_roles(item: dict, existing: dict[str, Unit], problems: list[str]) -> set[tuple[str, int]]:
    """The (role, unit id) pairs the item lists; unknown roles and units go to `problems`."""
    wanted = set()
    for role in item.get("roles") or []:
        role_name, unit_code = (role or {}).get("role"), (role or {}).get("unit")
        if role_name not in ROLES:
            problems.append(f"Okänd roll '{role_name}'.")
        elif unit_code not in existing:
            problems.append(f"Enheten '{unit_code}' finns inte.")
        else:
            wanted.add((role_name, existing[unit_code].id))
    return wanted


def _set_roles(user: User, wanted: set[tuple[str, int]]) -> bool:
    """Make the user's roles exactly `wanted`; True when they changed."""
    current = {(r.role, r.unit_id): r for r in user.roles}
    for key, assignment in current.items():
        if key not in wanted:
            user.roles.remove(assignment)
    for role_name, unit_id in wanted - set(current):
        user.roles.append(RoleAssignment(role=role_name, unit_id=unit_id))
    return wanted != set(current)


def _shape_errors(document: dict) -> dict[str, list[str]]:
    """The file's structure, checked before anything is touched: lists of objects with text fields."""
    errors: dict[str, list[str]] = {}
    for key, noun in (("units", "enhet"), ("users", "användare")):
        items = document.get(key) or []
        if not isinstance(items, list):
            errors.setdefault(key, []).append(f"'{key}' ska vara en lista.")
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                errors.setdefault(f"{key}[{index}]", []).append(f"Varje {noun} ska vara ett JSON-objekt.")
                continue
            for name in ("code", "name", "parent", "username", "email", "title", "password"):
                if item.get(name) is not None and not isinstance(item[name], str):
                    errors.setdefault(f"{key}[{index}]", []).append(f"'{name}' ska vara text.")
            roles = item.get("roles") or []
            if key == "users" and (not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles)):
                errors.setdefault(f"{key}[{index}]", []).append(
                    "'roles' ska vara en lista med roller: {\"role\": ..., \"unit\": ...}.")
    return errors


def create_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                            created_at=clock.now()))
    audit.record("token_created", actor=user, summary=f"API-nyckel skapad för {user.username}")
    db.session.commit()
    return token


def revoke_tokens(user: User) -> int:
    """Remove every API token of `user` (a leaked key, someone leaving); audited. Returns how many."""
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    for token in tokens:
        db.session.delete(token)
    audit.record("tokens_revoked", actor=user, summary=f"{len(tokens)} API-nycklar återkallade för {user.username}")
    db.session.commit()
    return len(tokens)


def user_for_token(token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    # One query: the user with their roles (every API request asks who it is and what they may do).
    user = db.session.scalars(select(User).join(ApiToken, ApiToken.user_id == User.id)
                              .where(ApiToken.token_hash == digest).options(joinedload(User.roles))).unique().first()
    if user is None or not user.active:
        return None
    return user

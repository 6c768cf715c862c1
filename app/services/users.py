"""People and organisation: password hashing (Argon2id, memory-hard), org import, API tokens."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import ROLES, ApiToken, RoleAssignment, Unit, User
from app.services import audit
from app.services.errors import Invalid

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


def import_organisation(document: dict) -> dict:
    """Idempotent: units and users are created or updated by code/username; a user's roles become
    exactly those listed. Everything in one transaction."""
    if not isinstance(document, dict):
        raise Invalid("Filen ska innehålla ett JSON-objekt med 'units' och 'users'.")
    errors = _shape_errors(document)
    if errors:
        raise Invalid("Organisationsfilen innehåller fel; inget importerades.", errors)
    units_in = document.get("units") or []
    users_in = document.get("users") or []
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    counts = {"units_created": 0, "units_updated": 0, "users_created": 0, "users_updated": 0}
    changed_roles: dict[str, list[str]] = {}  # username -> its roles after the import, when they changed
    passwords_set: list[str] = []
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
    for code, unit in existing.items():
        seen, current = set(), unit
        while current is not None and current.code not in seen:
            seen.add(current.code)
            current = current.parent
        if current is not None:  # the chain of parents came back to itself
            errors.setdefault("units", []).append(f"Enheten '{code}' ligger under sig själv (cirkel av överordnade enheter).")
            break
    if errors:  # the units must be sound before anything is written (a cycle cannot even be flushed)
        db.session.rollback()
        raise Invalid("Organisationsfilen innehåller fel; inget importerades.", errors)
    db.session.flush()
    codes = {unit.id: code for code, unit in existing.items()}
    for index, item in enumerate(users_in):
        item = item or {}
        username = item.get("username")
        if not username or not item.get("name"):
            errors.setdefault(f"users[{index}]", []).append("En användare behöver 'username' och 'name'.")
            continue
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, name=item["name"], email=item.get("email", ""), active=True)
            db.session.add(user)
            counts["users_created"] += 1
        else:
            counts["users_updated"] += 1
        user.name = item["name"]
        user.email = item.get("email", user.email or "")
        user.title = item.get("title", user.title or "")
        if item.get("password"):
            user.password_hash = hash_password(item["password"])
            passwords_set.append(username)
        wanted = set()
        for role in item.get("roles") or []:
            role_name, unit_code = (role or {}).get("role"), (role or {}).get("unit")
            if role_name not in ROLES:
                errors.setdefault(f"users[{index}]", []).append(f"Okänd roll '{role_name}'.")
            elif unit_code not in existing:
                errors.setdefault(f"users[{index}]", []).append(f"Enheten '{unit_code}' finns inte.")
            else:
                wanted.add((role_name, existing[unit_code].id))
        current = {(r.role, r.unit_id): r for r in user.roles}
        for key, assignment in current.items():
            if key not in wanted:
                user.roles.remove(assignment)
        for role_name, unit_id in wanted - set(current):
            user.roles.append(RoleAssignment(role=role_name, unit_id=unit_id))
        if wanted != set(current):
            changed_roles[username] = sorted(f"{role}:{codes[unit_id]}" for role, unit_id in wanted)
    if errors:
        db.session.rollback()
        raise Invalid("Organisationsfilen innehåller fel; inget importerades.", errors)
    # Who got which roles, and whose password was set: the log answers "who gave this person access?".
    audit.record("organisation_imported", summary="Organisation importerad",
                 details={**counts, "roles_changed": changed_roles, "passwords_set": passwords_set})
    db.session.commit()
    return counts


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
    db.session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(), created_at=clock.now()))
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
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or not row.user.active:
        return None
    return row.user

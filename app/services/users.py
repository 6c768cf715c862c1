"""People and organisation: password hashing (Argon2id, memory-hard) and policy, e-mail addresses, org
import, API tokens (with expiry and last use), and the person behind a single sign-on."""
from __future__ import annotations

import hashlib
import secrets
import string
from datetime import timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app import clock
from app.extensions import db
from app.models import ApiToken, RoleAssignment, Unit, User
from app.services import audit
from app.services.errors import Forbidden, Invalid
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


# --- password policy and e-mail addresses -------------------------------------------------------

_COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
_ENDS = string.digits + string.punctuation + " "


@cache
def _common_passwords() -> frozenset[str]:
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str) -> list[str]:
    """Why `password` may not be used (Swedish), or []: at least PASSWORD_MIN_LENGTH characters and not
    one of the common passwords (app/data/common_passwords.txt), also with digits and punctuation at
    the ends removed. No upper limit on the length."""
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    problems = []
    if len(password or "") < minimum:
        problems.append(f"Lösenordet ska ha minst {minimum} tecken.")
    lowered = (password or "").strip().lower()
    if lowered and (lowered in _common_passwords() or lowered.strip(_ENDS) in _common_passwords()
                    or not lowered.strip(_ENDS)):
        problems.append("Lösenordet är för vanligt och lätt att gissa. Välj ett annat, gärna en mening med flera ord.")
    return problems


def email_problem(address: str) -> str | None:
    """Why `address` cannot be mailed to (Swedish), or None. Syntax only (no DNS look-up): a line break
    or other control character, a missing @ or domain would make every mail to it fail."""
    if not address:
        return None
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return f"Ogiltig e-postadress: {address[:80]!r}."
    return None


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
        # An address with a line break (or no domain) would make every mail to it fail; a weak password
        # is refused wherever one is set.
        problems: list[str] = [p for p in [email_problem(item.get("email") or "")] if p]
        problems += password_problems(item["password"]) if item.get("password") else []
        user = _upsert_user(item, counts)
        if item.get("password") and not problems:
            user.password_hash = hash_password(item["password"])
            passwords_set.append(username)
        wanted = wanted_roles(item, existing, problems)
        if problems:
            errors.setdefault(f"users[{index}]", []).extend(problems)
        if set_roles(user, wanted):
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


def wanted_roles(item: dict, existing: dict[str, Unit], problems: list[str]) -> set[tuple[str, int]]:
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


def set_roles(user: User, wanted: set[tuple[str, int]]) -> bool:
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


def create_token(user: User, days: int | None = None) -> str:
    """A new API token for `user`, valid `days` (default API_TOKEN_DAYS); only its hash is kept."""
    days = int(current_app.config["API_TOKEN_DAYS"]) if days is None else int(days)
    if days < 1:
        raise Invalid("Ange hur många dagar nyckeln ska gälla (minst 1).", {"days": ["Minst 1 dag."]})
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                            created_at=now, expires_at=now + timedelta(days=days)))
    audit.record("token_created", actor=user, summary=f"API-nyckel skapad för {user.username} ({days} dagar)")
    db.session.commit()
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_tokens(user: User) -> int:
    """Remove every API token of `user` (a leaked key, someone leaving); audited. Returns how many."""
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    for token in tokens:
        db.session.delete(token)
    audit.record("tokens_revoked", actor=user, summary=f"{len(tokens)} API-nycklar återkallade för {user.username}")
    db.session.commit()
    return len(tokens)


@cache
def _token_statement():
    """user_for_token's one query (the token with its user and their roles), built once: every API
    request asks it. The parameter is `digest`."""
    return select(ApiToken).where(ApiToken.token_hash == bindparam("digest")) \
        .options(joinedload(ApiToken.user).joinedload(User.roles))


def user_for_token(token: str) -> User | None:
    """The active user of an unexpired token; its last use is noted (at most once a minute per token)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    # One query: the token with its user and their roles (every API request asks who it is and what it may do).
    row = db.session.scalars(_token_statement(), {"digest": digest}).unique().first()
    now = clock.now()
    if row is None or not row.user.active or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= 60:
        row.last_used_at = now
        db.session.commit()
    return row.user


# --- single sign-on ------------------------------------------------------------------------------

NOT_KNOWN = ("Du är inloggad hos kommunens inloggningstjänst, men har inget aktivt konto i Kvalitetsflöde. "
             "Kontakta systemförvaltaren.")


def user_for_sso(claims: dict) -> User:
    """The active local user the provider's verified claims name (OIDC_USERNAME_CLAIM). Unknown people
    are refused, or created without roles when OIDC_CREATE_USERS is on. When OIDC_GROUP_ROLES maps any
    of the person's groups, their roles become exactly the mapped ones (audited like an import)."""
    config = current_app.config
    username = claims.get(config["OIDC_USERNAME_CLAIM"])
    if not isinstance(username, str) or not username.strip() or len(username) > 64:
        raise Forbidden(NOT_KNOWN)
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None and config["OIDC_CREATE_USERS"]:
        email = claims.get("email") if isinstance(claims.get("email"), str) else ""
        user = User(username=username.strip(), name=str(claims.get("name") or username)[:200],
                    email="" if email_problem(email or "") else (email or "")[:200], active=True)
        db.session.add(user)
        db.session.flush()
        audit.record("user_created", actor=user, summary=f"{user.username} skapades vid inloggning (OpenID Connect)")
    if user is None or not user.active:
        raise Forbidden(NOT_KNOWN)
    _map_group_roles(user, claims)
    db.session.commit()
    return user


def _map_group_roles(user: User, claims: dict) -> None:
    mapping = current_app.config.get("OIDC_GROUP_ROLES") or {}
    groups = claims.get(current_app.config["OIDC_GROUPS_CLAIM"]) or []
    if not mapping or not isinstance(groups, list):
        return
    wanted_names = [item for group in groups if isinstance(group, str) for item in mapping.get(group, [])]
    if not wanted_names:
        return
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    wanted = set()
    for item in wanted_names:
        role, _, code = str(item).partition(":")
        if role in ROLES and code in units:
            wanted.add((role, units[code]))
    if set_roles(user, wanted):
        audit.record("roles_from_sso", actor=user,
                     summary=f"Roller för {user.username} från inloggningstjänstens grupper",
                     details={"roles": sorted(f"{role}:{code}" for role, _, code in
                                              (str(i).partition(":") for i in wanted_names))})

"""Login throttling: LOGIN_MAX_FAILURES wrong passwords for one username within LOGIN_LOCKOUT_MINUTES
lock that username for LOGIN_LOCKOUT_MINUTES (0 failures turns it off). The count lives in the
database, so it holds across gunicorn workers and restarts. Names that do not exist are counted too,
so a lock tells nothing about who has an account. Every wrong password is audited."""
from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.models import LoginThrottle, User
from app.services import audit


def _key(username: str | None) -> str:
    return (username or "").strip().lower()[:64]


def _settings() -> tuple[int, timedelta]:
    config = current_app.config
    return int(config["LOGIN_MAX_FAILURES"]), timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"]))


def locked_minutes(username: str | None) -> int | None:
    """Whole minutes left of a lock on `username`, or None when it may try to log in."""
    max_failures, window = _settings()
    if max_failures <= 0 or window <= timedelta(0):
        return None
    row = db.session.get(LoginThrottle, _key(username))
    now = clock.now()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return max(1, math.ceil((row.locked_until - now).total_seconds() / 60))


def record_failure(username: str | None) -> bool:
    """A wrong username or password: count it and audit it, and commit. True when this locked the name."""
    max_failures, window = _settings()
    now, key = clock.now(), _key(username)
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    locked = False
    if max_failures > 0 and window > timedelta(0) and key:
        row = _row_for_update(key, now)
        if row.first_failure_at <= now - window or (row.locked_until is not None and row.locked_until <= now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None  # an old run: count afresh
        row.failures += 1
        if row.failures >= max_failures:
            row.locked_until, locked = now + window, True
        db.session.execute(delete(LoginThrottle).where(
            LoginThrottle.username != key, LoginThrottle.first_failure_at < now - window,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))
    # Only a known account is named: what was typed as a username may be a password.
    who = user.username if user is not None else "okänt användarnamn"
    audit.record("login_failed", actor=user, summary=f"Misslyckad inloggning ({who})")
    if locked:
        minutes = int(window.total_seconds() // 60)
        audit.record("login_locked", actor=user, summary=f"Inloggningen spärrades i {minutes} minuter "
                                                         f"efter {max_failures} misslyckade försök ({who})")
    db.session.commit()
    return locked


def _row_for_update(key: str, now) -> LoginThrottle:
    row = db.session.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    row = LoginThrottle(username=key, failures=0, first_failure_at=now)
    try:
        with db.session.begin_nested():  # two failures at once: the second finds the first one's row
            db.session.add(row)
    except IntegrityError:
        row = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        if row is None:  # the other insert was rolled back after all: no row to count on
            raise
    return row


def record_success(username: str | None) -> None:
    """A successful login clears the count (in the caller's transaction)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.username == _key(username)))

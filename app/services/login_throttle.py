"""Login throttling per account, with growing delays instead of a lock.

After LOGIN_MAX_FAILURES wrong passwords for one username (within LOGIN_FAILURE_WINDOW_HOURS) each
further one makes the next attempt wait: LOGIN_LOCKOUT_MINUTES, then twice that, and so on up to
LOGIN_DELAY_MAX_MINUTES. The wait applies to browsers the person has not logged in from: a browser
that has logged in as that user carries a signed device cookie (OWASP's "device cookies") and is
counted apart, so a stranger guessing at the socialchef's name delays only the stranger. The count
lives in the database (every gunicorn worker sees it); names that do not exist are counted too, so a
delay tells nothing about who has an account. Every wrong password is audited. The limit per address
is Flask-Limiter's (app.web.auth)."""
from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.models import LoginThrottle, User
from app.services import audit

DEVICE_COOKIE = "kf_enhet"
_DEVICE_SALT = "kvalitetsflode-device"


def _key(username: str | None, trusted: bool = False) -> str:
    # Both kinds carry a prefix, so no typed name can reach the other kind's count.
    return ("d:" if trusted else "u:") + (username or "").strip().lower()[:62]


def _settings() -> tuple[int, timedelta, timedelta, timedelta]:
    config = current_app.config
    return (int(config["LOGIN_MAX_FAILURES"]), timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"])),
            timedelta(minutes=int(config["LOGIN_DELAY_MAX_MINUTES"])),
            timedelta(hours=int(config["LOGIN_FAILURE_WINDOW_HOURS"])))


def _enabled() -> bool:
    max_failures, first_delay, _, _ = _settings()
    return max_failures > 0 and first_delay > timedelta(0)


# --- device cookies -----------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def device_token(username: str) -> str:
    """The device cookie's value after a successful login as `username`."""
    return _serializer().dumps(username.strip().lower())


def trusted_for(cookie: str | None, username: str | None) -> bool:
    """The browser has logged in as `username` within LOGIN_DEVICE_DAYS."""
    if not cookie or not username:
        return False
    max_age = int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400
    try:
        return _serializer().loads(cookie, max_age=max_age) == username.strip().lower()
    except BadSignature:
        return False


# --- the delay ----------------------------------------------------------------------------------

def wait_minutes(username: str | None, trusted: bool = False) -> int | None:
    """Whole minutes until `username` may try again from this browser, or None when it may now."""
    if not _enabled():
        return None
    row = db.session.get(LoginThrottle, _key(username, trusted))
    now = clock.now()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return max(1, math.ceil((row.locked_until - now).total_seconds() / 60))


def _delay(failures: int) -> timedelta | None:
    max_failures, first_delay, longest, _ = _settings()
    if failures < max_failures:
        return None
    return min(first_delay * 2 ** min(failures - max_failures, 30), longest)


def record_failure(username: str | None, trusted: bool = False) -> int | None:
    """A wrong username or password: count it and audit it, and commit. Returns the minutes of the
    delay this failure started, or None."""
    now = clock.now()
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    started: timedelta | None = None
    key = _key(username, trusted)
    if _enabled() and (username or "").strip():
        window = _settings()[3]
        row = _row_for_update(key, now)
        if row.first_failure_at <= now - window:
            row.failures, row.first_failure_at, row.locked_until = 0, now, None  # an old run: count afresh
        row.failures += 1
        started = _delay(row.failures)
        if started is not None:
            row.locked_until = now + started
        db.session.execute(delete(LoginThrottle).where(
            LoginThrottle.username != key, LoginThrottle.first_failure_at < now - window))
    # Only a known account is named: what was typed as a username may be a password.
    who = user.username if user is not None else "okänt användarnamn"
    audit.record("login_failed", actor=user, summary=f"Misslyckad inloggning ({who})")
    minutes = None
    if started is not None:
        minutes = int(started.total_seconds() // 60)
        place = "från en webbläsare där användaren loggat in förut" if trusted else "från okända webbläsare"
        audit.record("login_locked", actor=user, summary=f"Nästa inloggningsförsök {place} fördröjs {minutes} "
                                                         f"minuter efter upprepade misslyckade försök ({who})")
    db.session.commit()
    return minutes


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
    """A successful login clears the counts of the name (in the caller's transaction)."""
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.username.in_([_key(username), _key(username, trusted=True)])))

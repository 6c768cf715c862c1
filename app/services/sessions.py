"""Sessions kept on the server (user_sessions): the cookie carries only a random id. Logging out ends
the row, so a copied cookie stops working at once; a user sees their own sessions and ends any of them,
an admin ends anyone's; the id changes at login (no session fixation).

Written through the request's database session and committed when Flask saves the session (after the
view has committed or rolled back its own work), as Flask-Session does. A row is rewritten only when
the session's data changed or its last use is more than a minute old, so reading pages
does not write a row per request (TOUCH_SECONDS)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from app import clock
from app.extensions import db
from app.models import User, UserSession
from app.services import audit

_serializer = TaggedJSONSerializer()  # what Flask's cookie sessions use: tuples, bytes, dates survive
TOUCH_SECONDS = 60
EXPIRY_GRACE = timedelta(days=1)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, row_id: int | None = None, stored: str = "",
                 seen: datetime | None = None, unavailable: bool = False):
        def on_update(this):
            this.modified = True

        super().__init__(initial, on_update)
        self.sid, self.row_id, self.stored, self.seen = sid, row_id, stored, seen
        self.modified = False
        self.rotate: str | None = None  # a new id at the next save; the old row ends with this reason
        self.unavailable = unavailable  # the database could not be read: nothing is saved


def rotate(session, reason: str = "nytt_id") -> None:
    """Give the session a new id when it is saved; the old row ends (`reason`). At login (no session
    fixation) and at logout (the old cookie is dead even if the new session carries a message)."""
    if isinstance(session, ServerSession):
        session.rotate = reason


class ServerSessionInterface(SessionInterface):
    def open_session(self, app, request):
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 100:
            return ServerSession()
        try:
            row = db.session.execute(
                select(UserSession.id, UserSession.data, UserSession.last_seen_at)
                .where(UserSession.sid_hash == _hash(sid), UserSession.ended_at.is_(None),
                       UserSession.expires_at > clock.now())).first()
        except SQLAlchemyError:
            db.session.rollback()
            return ServerSession(unavailable=True)  # answered with 503 (app.web.common)
        if row is None:
            return ServerSession()
        try:
            data = _serializer.loads(row.data) if row.data else {}
        except ValueError:
            data = {}
        return ServerSession(data, sid, row.id, row.data, row.last_seen_at)

    def save_session(self, app, session, response):
        if not isinstance(session, ServerSession) or session.unavailable:
            return
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        try:
            self._save(app, session, response, name, domain, path)
        except SQLAlchemyError:
            # The database went away: a page whose session cannot be kept (its CSRF token, a login) would
            # only fail at the next step. Answer as every other request does then (app.web.common).
            db.session.rollback()
            unavailable = app.extensions["kf_unavailable"]()
            response.status_code = unavailable.status_code
            response.set_data(unavailable.get_data())
            response.headers["Content-Type"] = unavailable.headers["Content-Type"]
            response.headers["Retry-After"] = unavailable.headers["Retry-After"]

    def _save(self, app, session, response, name, domain, path):
        now = clock.now()
        if not session:
            if session.row_id is not None:  # cleared (logout, expiry): the row ends with it
                _end_rows(UserSession.id == session.row_id, session.rotate or "utloggad", now)
                db.session.commit()
                response.delete_cookie(name, domain=domain, path=path)
            return
        data = _serializer.dumps(dict(session))
        # The idle and maximum limits are checked on every request against the session's own times
        # (app.web.common), which also says why someone was logged out; the row outlives them by a
        # day only so that it can say so, and is useless after that.
        expires = now + app.permanent_session_lifetime + EXPIRY_GRACE
        user_id = _user_id(session)
        if session.row_id is None or session.rotate:
            if session.row_id is not None:
                _end_rows(UserSession.id == session.row_id, session.rotate or "nytt_id", now)
            sid = secrets.token_urlsafe(32)
            row = UserSession(
                sid_hash=_hash(sid), user_id=user_id, data=data, created_at=now, last_seen_at=now, expires_at=expires,
                address=(request.remote_addr or "")[:64], user_agent=(request.user_agent.string or "")[:200],
                oidc_sid=session.get("oidc_sid"))
            db.session.add(row)
            db.session.commit()
            session.sid, session.row_id, session.stored, session.rotate = sid, row.id, data, None
        elif data != session.stored or session.seen is None or (now - session.seen).total_seconds() > TOUCH_SECONDS:
            db.session.execute(update(UserSession).where(UserSession.id == session.row_id).values(
                data=data, user_id=user_id, last_seen_at=now, expires_at=expires))
            db.session.commit()
        else:
            return
        response.set_cookie(name, session.sid, expires=self.get_expiration_time(app, session),
                            httponly=self.get_cookie_httponly(app), domain=domain, path=path,
                            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app))
        response.vary.add("Cookie")


def _user_id(session) -> int | None:
    try:
        return int(session["_user_id"]) if session.get("_user_id") else None
    except (TypeError, ValueError):
        return None


def _end_rows(condition, reason: str, now) -> int:
    result = db.session.execute(update(UserSession).where(condition, UserSession.ended_at.is_(None))
                                .values(ended_at=now, ended_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)


def active_sessions(user: User | None = None) -> list[UserSession]:
    """Signed-in sessions that have not ended or expired, newest use first (all users' when None)."""
    now = clock.now()
    idle = current_app.permanent_session_lifetime + timedelta(minutes=1)  # rows are touched once a minute
    longest = timedelta(hours=float(current_app.config["SESSION_MAX_HOURS"]))
    query = select(UserSession).where(UserSession.ended_at.is_(None), UserSession.last_seen_at > now - idle,
                                      UserSession.created_at > now - longest, UserSession.user_id.is_not(None))
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return list(db.session.scalars(query.order_by(UserSession.last_seen_at.desc()).limit(1000)))


def current_row_id(session) -> int | None:
    return session.row_id if isinstance(session, ServerSession) else None


def end_session(actor: User, session_id: int) -> bool:
    """End one session: the owner's own or, for an admin, anyone's. Audited. False when there is none
    the actor may end."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.ended_at is not None or row.user_id is None:
        return False
    if row.user_id != actor.id and not actor.has_role("admin"):
        return False
    owner = db.session.get(User, row.user_id)
    reason = "avslutad_av_anvandaren" if row.user_id == actor.id else "avslutad_av_admin"
    _end_rows(UserSession.id == row.id, reason, clock.now())
    audit.record("session_ended", actor=actor,
                 summary=f"{actor.name} avslutade en inloggning för {owner.username if owner else '?'}",
                 details={"session": row.id, "user": owner.username if owner else None})
    db.session.commit()
    return True


def end_all(actor: User, user: User, reason: str = "avslutad_av_admin", *, commit: bool = True) -> int:
    """End every session of `user` (an admin, a password change, a deactivated account). Audited.
    `commit=False`: part of the caller's transaction (a deactivation among other changes)."""
    count = _end_rows(UserSession.user_id == user.id, reason, clock.now())
    audit.record("sessions_ended", actor=actor, summary=f"{count} inloggningar avslutades för {user.username}",
                 details={"user": user.username, "count": count})
    if commit:
        db.session.commit()
    return count


def end_by_oidc(oidc_sid: str | None, user: User | None) -> int:
    """Single sign-out from the identity provider: the sessions of that provider session (or, when the
    provider names only the person, every session of the user). Audited."""
    if oidc_sid:
        condition = UserSession.oidc_sid == oidc_sid
    elif user is not None:
        condition = UserSession.user_id == user.id
    else:
        return 0
    count = _end_rows(condition, "utloggad_idp", clock.now())
    audit.record("sessions_ended", actor=user, summary=f"Inloggningstjänsten loggade ut {count} inloggningar",
                 details={"count": count, "oidc_sid": oidc_sid})
    db.session.commit()
    return count


def prune(older_than_days: int = 30) -> None:
    """Rows of sessions that ended or expired long ago are of no use (the audit keeps logins)."""
    limit = clock.now() - timedelta(days=older_than_days)
    db.session.execute(delete(UserSession).where(UserSession.expires_at < limit))


"""Administration: the mail outbox, a read-only view of the organisation, and everyone's active sessions
(an admin ends one through auth.end_session)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, session
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Unit, User
from app.services import sessions as session_service
from app.services.access import missing_role_holders
from app.web.lists import paged_list

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admin_only():
    if not current_user.has_role("admin"):
        abort(403)


@bp.get("/utskick")
def outbox():
    context, notes = paged_list(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                                               OutboxMessage.id.desc()), OutboxMessage.id)
    return render_template("admin/outbox.html", messages=context["paged"].items, notes=notes, **context)


@bp.get("/organisation")
def organisation():
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    children: dict = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    tree, seen = [], set()  # (unit, depth) in tree order

    def walk(parent_id, depth):
        for unit in children.get(parent_id, []):
            if unit.id not in seen:
                seen.add(unit.id)
                tree.append((unit, depth))
                walk(unit.id, depth + 1)

    walk(None, 0)
    users = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("admin/organisation.html", tree=tree, users=users, missing=missing_role_holders(),
                           fallback=current_app.config["FALLBACK_ROLE"])


@bp.get("/inloggningar")
def sessions():
    rows = session_service.active_sessions()
    names = dict(db.session.execute(select(User.id, User.username).where(
        User.id.in_({r.user_id for r in rows if r.user_id}))).all()) if rows else {}
    return render_template("auth/sessions.html", rows=rows, names=names, everyone=True,
                           current=session_service.current_row_id(session))

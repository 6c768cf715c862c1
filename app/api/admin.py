"""JSON API v1 administration (admin only): users, units, the HR sync. Nested in the API blueprint,
so its authentication (bearer token or session + X-CSRFToken) and its JSON errors apply here too."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for

from app.api.common import json_body
from app.extensions import csrf
from app.services import admin, lists
from app.services import processes as process_service
from app.services.access import missing_role_holders
from app.services.errors import Invalid

bp = Blueprint("admin", __name__, url_prefix="/admin")
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


@bp.before_request
def _admin_only():
    admin.require_admin(g.api_user)


@bp.get("/users")
def users():
    """`?q=` searches name, username, e-mail and title; paged like every list (`page`, `per_page`)."""
    filters = lists.parse_or_refuse({k: v for k, v in request.args.items() if k in ("page", "per_page")},
                                    g.api_user, ())
    page = admin.find_users(request.args.get("q", ""), filters)
    next_url = url_for("api.admin.users", q=request.args.get("q") or None, page=filters.page + 1,
                       per_page=request.args.get("per_page"), _external=True)
    return jsonify({"users": [admin.user_dict(u) for u in page.items], **page.keys(next_url)})


@bp.post("/users")
def create_user():
    return jsonify(admin.user_dict(admin.create_user(g.api_user, json_body()))), 201


@bp.get("/users/<username>")
def get_user(username: str):
    return jsonify(admin.user_dict(admin.get_user(username)))


@bp.patch("/users/<username>")
def update_user(username: str):
    return jsonify(admin.user_dict(admin.update_user(g.api_user, username, json_body())))


@bp.get("/units")
def units():
    return jsonify({"units": [{**admin.unit_dict(u), "level": depth} for u, depth in admin.units_in_tree_order()],
                    "missing_roles": [{"unit": u.code, "roles": roles} for u, roles in missing_role_holders()]})


@bp.post("/units")
def create_unit():
    return jsonify(admin.unit_dict(admin.create_unit(g.api_user, json_body()))), 201


@bp.patch("/units/<code>")
def update_unit(code: str):
    return jsonify(admin.unit_dict(admin.update_unit(g.api_user, code, json_body())))


@bp.post("/hr-sync")
def hr_sync():
    """The HR export as CSV (multipart `file`, or the body as text/csv); `?dry_run=1` shows the changes only."""
    upload = request.files.get("file")
    content = upload.read() if upload is not None else request.get_data()
    if not content:
        raise Invalid("Skicka personalfilen (CSV).", {"file": ["Filen saknas."]})
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "ja")
    changes = admin.hr_sync(g.api_user, content, apply=not dry_run)
    return jsonify({"dry_run": dry_run, "changes": [{"row": c.row, "username": c.username, "new": c.new,
                                                     "changes": c.changes} for c in changes]})


@bp.get("/processes")
def processes():
    """Each process with its versions (`hash`, `deployed_at`, `running`), the one new starts use last."""
    return jsonify({"processes": process_service.processes()})


@bp.post("/processes")
def deploy_process():
    """Multipart `file` (.bpmn or .dmn): checked and stored as the newest version; `?dry_run=1`: the
    checks and the diff against the version in use only."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Skicka diagrammet som fil (multipart, fältet file).", {"file": ["Filen saknas."]})
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "ja")
    deployed = process_service.deploy(g.api_user, upload.filename, upload.read(), dry_run=dry_run)
    return jsonify({"dry_run": dry_run, "deployed": [
        {"process_id": d.process_id, "name": d.name, "hash": d.spec_hash, "diff": d.diff} for d in deployed]}), \
        200 if dry_run else 201


@bp.post("/processes/<process_id>/migrate")
def migrate(process_id: str):
    """`{"from", "to", "dry_run"}` → `{"results": [{"case_id", "ok", "message"}]}`, one per running
    instance of `from`."""
    body = json_body()
    dry_run = body.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise Invalid("Ange dry_run som true eller false.", {"dry_run": ["Ange true eller false."]})
    results = process_service.migrate(g.api_user, process_id, body.get("from"), body.get("to"), dry_run=dry_run)
    return jsonify({"dry_run": dry_run, "results": results})

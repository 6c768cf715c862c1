"""JSON API v1. Shares the domain services with the web pages.

The `api` blueprint authenticates every request (bearer token, or session + X-CSRFToken) and answers
errors as JSON; the cases and tasks routes are its own (endpoints `api.<name>`), the other areas are
blueprints nested in it (`api.reports.<name>`, ...) and inherit both."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app import clock
from app.api.admin import bp as admin_bp
from app.api.casework import bp as casework_bp
from app.api.common import json_body
from app.api.ej_verkstallt import bp as ej_verkstallt_bp
from app.api.goals import bp as goals_bp
from app.api.kontrollplan import bp as kontrollplan_bp
from app.api.openapi import bp as openapi_bp
from app.api.pdca import bp as pdca_bp
from app.api.reports import bp as reports_bp
from app.api.utredning import bp as utredning_bp
from app.extensions import csrf, db
from app.forms import json_to_formdata
from app.http import ID, SERVER_ERROR_TEXT, json_error, own_search
from app.services import case_actions, lists
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.access import can_view, own_parts
from app.services.errors import DomainError, Invalid
from app.services.users import user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi.openapi":
        return None  # the description of the API is public
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(header[7:].strip())
        if user is None:
            return json_error("unauthorized", "Ogiltig eller återkallad API-nyckel.", 401)
        g.api_user = user
        return None
    if current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # A cookie session could be ridden by another site: require the CSRF header.
            csrf.protect()
        return None
    return json_error("unauthorized", "Logga in eller ange en API-nyckel (Authorization: Bearer ...).", 401)


@bp.errorhandler(DomainError)
def domain_error(err: DomainError):
    db.session.rollback()  # an error means the change did not happen
    return json_error(err.code, err.message, err.status, err.fields)


@bp.errorhandler(CSRFError)
def csrf_error(err):
    return json_error("csrf", "CSRF-token saknas eller är ogiltig (skicka X-CSRFToken).", 400)


@bp.errorhandler(404)
def not_found(err):
    return json_error("not_found", "Resursen finns inte.", 404)


@bp.errorhandler(405)
def not_allowed(err):
    return json_error("method_not_allowed", "Metoden stöds inte här.", 405)


@bp.errorhandler(500)
def server_error(err):
    db.session.rollback()
    return json_error("server_error", SERVER_ERROR_TEXT, 500)


@bp.post("/cases")
def create_case():
    body = json_body()
    case_type = body.pop("type", None)
    if not case_type:
        raise Invalid("Ange ärendetyp.", {"type": ["Fältet måste fyllas i."]})
    if not isinstance(case_type, str):
        raise Invalid("Okänd ärendetyp.", {"type": ["Ange ärendetypen som text, t.ex. \"avvikelse\"."]})
    return jsonify(case_service.create_case_dict(g.api_user, case_type, json_to_formdata(body), csrf=False)), 201


@bp.get("/cases")
@own_search
def list_cases():
    filters = lists.parse_or_refuse(request.args, g.api_user, case_service.CASE_SORTS)
    page = case_service.find_cases(g.api_user, filters)
    tasks = case_service.open_tasks_by_case([c.id for c in page.items])  # after the LIMIT: this page's only
    parts = own_parts(g.api_user, page.items)
    now = clock.now()
    return jsonify({"cases": [case_service.case_summary(c, now, tasks.get(c.id, []), parts.get(c.id))
                              for c in page.items],
                    **page.keys(_next_url(filters))})


def _next_url(filters) -> str:
    return url_for(request.endpoint or "", **filters.args(page=filters.page + 1, scope=request.args.get("scope")),
                   _external=True)


@bp.get(f"/cases/<{ID}:case_id>")
def get_case(case_id: int):
    case = case_service.get_case(g.api_user, case_id, via="api")
    return jsonify({**case_service.case_dict(g.api_user, case), "actions": case_actions.available(g.api_user, case)})


@bp.post(f"/cases/<{ID}:case_id>/actions/<name>")
def case_action(case_id: int, name: str):
    """A case action (app.services.case_actions), e.g. tidig_ivo_anmalan → 200 the case as it is now."""
    case = case_actions.take(g.api_user, case_id, name, json_to_formdata(json_body()), csrf=False)
    if not can_view(g.api_user, case):
        return jsonify({"id": case.id, "actions": []})
    return jsonify({**case_service.case_dict(g.api_user, case, with_history=False),
                    "actions": case_actions.available(g.api_user, case)})


@bp.get("/tasks")
@own_search
def list_tasks():
    scope = request.args.get("scope", "all")
    filters = lists.parse_or_refuse(request.args, g.api_user, task_service.TASK_SORTS)
    page = task_service.find_tasks(g.api_user, scope, filters)
    now = clock.now()
    return jsonify({"tasks": [case_service.task_dict(t, now) for t in page.items], **page.keys(_next_url(filters)),
                    "counts": task_service.counts(g.api_user)})


@bp.post(f"/tasks/<{ID}:task_id>/claim")
def claim(task_id: int):
    return jsonify(case_service.task_dict(task_service.claim(g.api_user, task_id)))


@bp.post(f"/tasks/<{ID}:task_id>/release")
def release(task_id: int):
    return jsonify(case_service.task_dict(task_service.release(g.api_user, task_id)))


@bp.post(f"/tasks/<{ID}:task_id>/complete")
def complete(task_id: int):
    done = task_service.complete_task(g.api_user, task_id, json_to_formdata(json_body()), csrf=False)
    payload = {"task": case_service.task_dict(done.task)}
    if done.case_visible:  # built from the rows in hand: nothing is read again after the commit
        payload["case"] = case_service.case_dict(g.api_user, done.case, with_history=False, tasks=done.open_tasks)
    return jsonify(payload)


# The other areas: /api/v1/reports/... (reports; ej verkställda beslut: /reports/ivo/... and
# /ej-verkstallda/import; utredningstider), /api/v1/forbattring and /api/v1/cases/<id>/links (pdca),
# /api/v1/kontrollplaner, /api/v1/tillsyn and /reports/kontroller, /reports/tillsyn (kontrollplan),
# /api/v1/goals, /indicators/values, /surveys/import, /reports/mal, /reports/brukarundersokning (goals),
# /api/v1/admin/... (administration), case work (comments, drafts, attachments, hand-over, substitutes, the
# diagram: casework), and the OpenAPI description.
for _nested in (admin_bp, reports_bp, ej_verkstallt_bp, pdca_bp, utredning_bp, kontrollplan_bp, goals_bp, casework_bp,
                openapi_bp):
    bp.register_blueprint(_nested)

"""JSON API v1. Shares the domain services with the web pages."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.extensions import csrf
from app.forms import json_to_formdata
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.errors import BadRequest, DomainError, Invalid
from app.services.users import user_for_token
from app.web.common import ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(code: str, message: str, status: int, fields: dict | None = None):
    return jsonify({"error": code, "message": message, "fields": fields or {}}), status


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(header[7:].strip())
        if user is None:
            return error("unauthorized", "Ogiltig eller återkallad API-nyckel.", 401)
        g.api_user = user
        return None
    if current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # A cookie session could be ridden by another site: require the CSRF header.
            csrf.protect()
        return None
    return error("unauthorized", "Logga in eller ange en API-nyckel (Authorization: Bearer ...).", 401)


@bp.errorhandler(DomainError)
def domain_error(err: DomainError):
    return error(err.code, err.message, err.status, err.fields)


@bp.errorhandler(CSRFError)
def csrf_error(err):
    return error("csrf", "CSRF-token saknas eller är ogiltig (skicka X-CSRFToken).", 400)


@bp.errorhandler(404)
def not_found(err):
    return error("not_found", "Resursen finns inte.", 404)


@bp.errorhandler(405)
def not_allowed(err):
    return error("method_not_allowed", "Metoden stöds inte här.", 405)


@bp.errorhandler(500)
def server_error(err):
    from app.extensions import db

    db.session.rollback()
    return error("server_error", "Ett oväntat fel inträffade. Försök igen; kvarstår felet, kontakta förvaltningen.", 500)


def json_body() -> dict:
    if not request.content_length and not request.data:
        return {}
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:  # deeply nested JSON: `silent` only covers ValueError
        body = None
    if not isinstance(body, dict):
        raise BadRequest("Förfrågan ska vara ett JSON-objekt.")
    return body


def _date_arg(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid("Ogiltigt datum.", {name: ["Ange datum som ÅÅÅÅ-MM-DD."]}) from None
    if not 1900 <= parsed.year <= 2999:  # year 1 or 9999 cannot become a Swedish midnight in UTC
        raise Invalid("Ogiltigt datum.", {name: ["Ange ett datum mellan år 1900 och 2999."]})
    return parsed


@bp.post("/cases")
def create_case():
    body = json_body()
    case_type = body.pop("type", None)
    if not case_type:
        raise Invalid("Ange ärendetyp.", {"type": ["Fältet måste fyllas i."]})
    if not isinstance(case_type, str):
        raise Invalid("Okänd ärendetyp.", {"type": ["Ange ärendetypen som text, t.ex. \"avvikelse\"."]})
    case = case_service.create_case(g.api_user, case_type, json_to_formdata(body), csrf=False)
    return jsonify(case_service.case_dict(g.api_user, case)), 201


@bp.get("/cases")
def list_cases():
    found = case_service.list_cases(
        g.api_user, case_type=request.args.get("type") or None, unit_code=request.args.get("unit") or None,
        status=request.args.get("status") or None, from_date=_date_arg("from"), to_date=_date_arg("to"),
    )
    tasks = case_service.open_tasks_by_case([c.id for c in found])
    return jsonify({"cases": [case_service.case_dict(g.api_user, c, with_history=False, tasks=tasks.get(c.id, []))
                              for c in found]})


@bp.get(f"/cases/<{ID}:case_id>")
def get_case(case_id: int):
    case = case_service.get_case(g.api_user, case_id, via="api")
    return jsonify(case_service.case_dict(g.api_user, case))


@bp.get("/tasks")
def list_tasks():
    rows = task_service.inbox(g.api_user, request.args.get("scope", "all"), request.args.get("overdue") in ("1", "true"))
    return jsonify({"tasks": [case_service.task_dict(t) for t in rows]})


@bp.post(f"/tasks/<{ID}:task_id>/claim")
def claim(task_id: int):
    return jsonify(case_service.task_dict(task_service.claim(g.api_user, task_id)))


@bp.post(f"/tasks/<{ID}:task_id>/release")
def release(task_id: int):
    return jsonify(case_service.task_dict(task_service.release(g.api_user, task_id)))


@bp.post(f"/tasks/<{ID}:task_id>/complete")
def complete(task_id: int):
    task = task_service.complete(g.api_user, task_id, json_to_formdata(json_body()), csrf=False)
    case = case_service.get_case(g.api_user, task.case_id, log_read=False) if _still_visible(task) else None
    payload = {"task": case_service.task_dict(task)}
    if case is not None:
        payload["case"] = case_service.case_dict(g.api_user, case, with_history=False)
    return jsonify(payload)


def _still_visible(task) -> bool:
    from app.services.access import can_view

    return can_view(g.api_user, task.case)


# Reports (issue 6): a nested blueprint under /api/v1/reports; it shares this blueprint's auth and errors.
from app.api.reports import bp as _reports_bp  # noqa: E402

bp.register_blueprint(_reports_bp)

# Ej verkställda beslut: /api/v1/reports/ivo/... and /api/v1/ej-verkstallda/import.
from app.api.ej_verkstallt import bp as _ej_verkstallt_bp  # noqa: E402

bp.register_blueprint(_ej_verkstallt_bp)

# PDCA: /api/v1/forbattring and /api/v1/cases/<id>/links.
from app.api.pdca import bp as _pdca_bp  # noqa: E402

bp.register_blueprint(_pdca_bp)

# Barnavårdsutredningar: /api/v1/reports/utredningstider.
from app.api.utredning import bp as _utredning_bp  # noqa: E402

bp.register_blueprint(_utredning_bp)

"""JSON API v1: goals and indicators, their values and brukarundersökningar (DESIGN.md "Goals,
indicators, surveys"). Nested in the API blueprint, so its authentication (bearer token or session +
X-CSRFToken) and its JSON errors apply here too."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from app.api.common import json_body
from app.extensions import csrf
from app.services import goals
from app.services.reports import mal, parse_tertial, parse_year

bp = Blueprint("goals", __name__)
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


@bp.get("/goals")
def list_goals():
    year = parse_year(request.args.get("year"))
    return jsonify({"year": year, "goals": [goals.goal_json(goal) for goal in goals.goals(g.api_user, year)]})


@bp.post("/goals")
def create_goal():
    goal = goals.create_goal(g.api_user, json_body(), mal.built_in_labels())
    return jsonify(goals.goal_json(goal)), 201


@bp.post("/indicators/values")
def import_values():
    """A JSON list [{"code", "period", "value", "gender"?, "unit"?}] or a CSV in Kolada's export columns."""
    count = goals.import_values(g.api_user, request.get_data(), request.content_type or "")
    return jsonify({"imported": count})


@bp.post("/surveys/import")
def import_surveys():
    """A CSV year;service;unit;question;share_positive;responses (the body, or a multipart field `file`)."""
    upload = request.files.get("file")
    content = upload.read(goals.MAX_FILE_BYTES + 1) if upload else request.get_data()
    return jsonify({"imported": goals.import_surveys(g.api_user, content)})


@bp.get("/reports/mal")
def goal_report():
    year, tertial = parse_year(request.args.get("year")), parse_tertial(request.args.get("tertial"))
    return jsonify(mal.goal_report(g.api_user, year, tertial))


@bp.get("/reports/brukarundersokning")
def survey_report():
    return jsonify(mal.survey_report(g.api_user, parse_year(request.args.get("year"))))

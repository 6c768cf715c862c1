"""JSON API v1: utredningstider (barnavårdsutredningar against the four-month limit). Nested in the
API blueprint, so its authentication and JSON errors apply here too."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from app.extensions import csrf
from app.services import utredning
from app.services.reports import parse_year

bp = Blueprint("utredning", __name__)
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


@bp.get("/reports/utredningstider")
def utredningstider():
    year = parse_year(request.args.get("year"))
    return jsonify(utredning.utredningstider(g.api_user, year))

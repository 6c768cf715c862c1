"""Utredningstider: each barnavårdsutredning against the four-month limit (rule utredningstid), for the
chefs' internal control. The same figures as GET /api/v1/reports/utredningstider."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from app import clock, lagrum
from app.config import deadline_length
from app.services import utredning
from app.services.errors import Forbidden
from app.services.reports import parse_year
from app.vocabulary import UTREDNING_OUTCOME_LABELS

bp = Blueprint("utredning", __name__, url_prefix="/utredningstider")


@bp.before_request
@login_required
def _login():
    if not utredning.may_see_utredningstider(current_user):  # the same rule as the API's
        raise Forbidden(utredning.READERS_TEXT)
    return None


@bp.get("/")
def index():
    year = parse_year(request.args.get("ar"))
    report = utredning.utredningstider(current_user, year)
    current = clock.today().year
    return render_template("utredning/index.html", title=f"Utredningstider {year}", year=year,
                           years=list(range(current, current - 6, -1)), report=report,
                           outcomes=UTREDNING_OUTCOME_LABELS,
                           lagrum=lagrum.ref_for_year("utredningstid", year),
                           months=deadline_length(current_app.config, "UTREDNING_LIMIT_MONTHS"))

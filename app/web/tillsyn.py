"""Tillsyn: the register of supervisions and complaints from IVO, JO, IMY and other authorities
(bpmn/tillsyn.bpmn), for SAS, socialchef, nämndsekreterare and admin, and registering a new case."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import clock
from app.services import reports, tillsyn
from app.services.access import supervises
from app.services.errors import Forbidden
from app.vocabulary import AUTHORITY_LABELS, TILLSYN_KIND_LABELS, TILLSYN_OUTCOME_LABELS
from app.web.cases import submit_start_form

bp = Blueprint("tillsyn", __name__, url_prefix="/tillsyn")


@bp.before_request
@login_required
def _login():
    if not supervises(current_user):
        raise Forbidden("Tillsynsregistret visas för SAS, socialchef, nämndsekreterare och administratör.")
    return None


@bp.get("/")
def index():
    year = reports.parse_year(request.args.get("ar"))
    data = tillsyn.report(current_user, year)
    current = clock.today().year
    return render_template("tillsyn/index.html", title=f"Tillsyn {year}", data=data, year=year,
                           years=list(range(current, current - 6, -1)), authorities=AUTHORITY_LABELS,
                           kinds=TILLSYN_KIND_LABELS, outcomes=TILLSYN_OUTCOME_LABELS)


@bp.route("/ny", methods=["GET", "POST"])
def new():
    form, case, status = submit_start_form("tillsyn")
    if case is not None:
        flash(f"Tillsynsärendet är registrerat som {case.number}.", "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("tillsyn/new.html", title="Registrera tillsynsärende", form=form), status

"""Förbättringsarbete: the PDCA board per unit and verksamhetsområde, starting a cycle or a risk analysis
(also from a case page), and the links shown on a case page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Case
from app.services import links, pdca
from app.services.access import can_view, reporter_units
from app.services.errors import NotFound
from app.vocabulary import CASE_TYPE_LABELS, PDCA_PHASES
from app.web.cases import submit_start_form
from app.web.lists import first_page_if_too_deep, list_context, page_filters

bp = Blueprint("pdca", __name__)

START_TYPES = links.IMPROVEMENT_TYPES  # the start forms that take source_cases (?kalla= prefills them)
START_TITLES = {"pdca": "Starta förbättringsarbete", "riskanalys": "Starta risk- och konsekvensanalys"}
# Case pages that offer "Starta förbättringsarbete".
STARTS_FROM = ("avvikelse", "klagomal", "riskanalys", "monster", "ej_verkstallt", "utredning")


@bp.before_request
@login_required
def _login():
    return None


@bp.get("/forbattring")
def board():
    unit_code = request.args.get("enhet") or None
    units = pdca.board_units(current_user)
    filters, notes = page_filters()
    try:
        result = first_page_if_too_deep(lambda f: pdca.board(current_user, unit_code, filters=f), filters, notes)
    except NotFound:
        notes.append("Okänd enhet; hela ditt område visas.")
        filters.page = 1
        result = pdca.board(current_user, filters=filters)
    filters.unit = result["unit"].code if result["unit"] else None  # the page links keep the unit
    return render_template("pdca/board.html", result=result, phases=PDCA_PHASES, units=units,
                           unit_code=filters.unit, notes=notes, **list_context(filters, result["paged"], None))


def _sources(values) -> list[Case]:
    """Cases named in ?kalla= that the user may see (others are silently left out of the prefill)."""
    found = []
    for value in values:
        if str(value).isdigit() and int(value) < 2**31:
            case = db.session.get(Case, int(value))
            if case is not None and can_view(current_user, case) and case not in found:
                found.append(case)
    return found


@bp.route("/forbattring/ny", methods=["GET", "POST"], defaults={"case_type": "pdca"})
@bp.route("/forbattring/ny/<case_type>", methods=["GET", "POST"])
def start(case_type: str):
    if case_type not in START_TYPES:
        raise NotFound("Sidan finns inte.")
    sources = _sources(request.args.getlist("kalla"))
    form, case, status = submit_start_form(case_type)
    if case is not None:
        flash(f"{CASE_TYPE_LABELS[case_type]} {case.number} har startats.", "success")
        return redirect(url_for("cases.show", case_id=case.id))
    if request.method == "GET" and sources:
        form.source_cases.data = [c.number for c in sources]
        form.title.data = sources[0].title
        if sources[0].unit.code in [code for code, _ in form.unit.choices if code]:
            form.unit.data = sources[0].unit.code
    return render_template("pdca/start.html", form=form, case_type=case_type, sources=sources,
                           title=START_TITLES[case_type], has_units=len(form.unit.choices) > 1), status


@bp.app_template_global("case_links")
def case_links(case) -> dict:
    """For the case page: the cases behind this one, the improvement work it led to, PDCA turns."""
    found = links.links_of(current_user, case)
    return {**found, "turns": pdca.turns(case) if case.type == "pdca" else [],
            "may_start": case.type in STARTS_FROM and bool(reporter_units(current_user))}

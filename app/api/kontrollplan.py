"""JSON API v1 for planned controls and supervision: the plans and their progress, copying a plan to the
next year, creating one from a CSV of points, the supervision register, and the `kontroller` and
`tillsyn` reports. Nested in the API blueprint, so its authentication (bearer token or session +
X-CSRFToken) and its JSON errors apply here too. Plans and supervision cases are created with
POST /api/v1/cases like every case."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from app.extensions import csrf
from app.http import ID
from app.services import cases as case_service
from app.services import kontrollplan, reports, tillsyn
from app.services.errors import Forbidden, Invalid

bp = Blueprint("kontrollplan", __name__)
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


def _reports_allowed() -> None:
    if not reports.may_see_reports(g.api_user):
        raise Forbidden(reports.NO_REPORTS)


def _kind() -> str | None:
    kind = request.args.get("kind") or None
    if kind not in (None, "egenkontroll", "internkontroll"):
        raise Invalid("Okänt slag av kontroll.", {"kind": ["Välj egenkontroll eller internkontroll."]})
    return kind


@bp.get("/reports/kontroller")
def kontroller():
    """{"year", "kind", "planned", "done", "done_on_time", "brister", "actions_open", "overdue", "items"}."""
    _reports_allowed()
    return jsonify(kontrollplan.report(g.api_user, reports.parse_year(request.args.get("year")), _kind()))


@bp.get("/reports/tillsyn")
def tillsyn_report():
    """{"year", "total", "by_authority", "by_outcome", "open", "overdue", "items"}."""
    _reports_allowed()
    return jsonify(tillsyn.report(g.api_user, reports.parse_year(request.args.get("year"))))


@bp.get("/kontrollplaner")
def plans():
    year = reports.parse_year(request.args.get("year")) if request.args.get("year") else None
    found = kontrollplan.plans(g.api_user, year, _kind())
    return jsonify({"plans": [{"id": p["case"].id, "number": p["case"].number, "title": p["case"].title,
                               "kind": p["case"].category, "unit": p["case"].unit.code, "year": p["year"],
                               "status": p["case"].status, "points": p["total"], "done": p["done"],
                               "overdue": p["overdue"], "brister": p["brister"], "open_actions": p["open_actions"]}
                              for p in found]})


@bp.get(f"/kontrollplaner/<{ID}:case_id>")
def plan(case_id: int):
    """A plan's progress: every point (or, for a responsible person, their own) with its state and result."""
    case = kontrollplan.get_plan(g.api_user, case_id)
    progress = kontrollplan.progress(case, g.api_user)
    return jsonify({"id": case.id, "number": case.number, "title": case.title, "kind": case.category,
                    "unit": case.unit.code, "year": (case.fields or {}).get("year"), "status": case.status,
                    "counts": progress["counts"], "points": progress["items"]})


@bp.post(f"/kontrollplaner/<{ID}:case_id>/kopiera")
def copy(case_id: int):
    """The same points a year later, as a new plan (201)."""
    case = kontrollplan.get_plan(g.api_user, case_id)
    new = kontrollplan.copy_to_next_year(g.api_user, case)
    return jsonify(case_service.case_dict(g.api_user, new, with_history=False)), 201


@bp.post("/kontrollplaner/import")
def import_csv():
    """multipart: `file` (CSV: Kontrollpunkt;Metod;Klart senast;Ansvarig;Konsekvens;Sannolikhet) and the plan's
    `kind`, `unit`, `year`, `title`. All points or none; a bad row is named in Swedish (422)."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("Välj en CSV-fil.", {"fil": ["Ingen fil skickades (fältet file)."]})
    fields = {k: request.form.get(k, "") for k in ("kind", "unit", "year", "title")}
    case = kontrollplan.create_plan_from_csv(g.api_user, fields, upload.read())
    return jsonify(case_service.case_dict(g.api_user, case, with_history=False)), 201


@bp.get("/tillsyn")
def register():
    year = reports.parse_year(request.args.get("year")) if request.args.get("year") else None
    return jsonify({"items": tillsyn.items(g.api_user, year)})

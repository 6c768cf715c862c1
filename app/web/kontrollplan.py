"""Kontroller: egenkontroll and internkontroll plans (bpmn/kontrollplan.bpmn) — the plans and their
progress per unit, a plan's page per point, a new plan from the form or a CSV of points, and copying a
plan to the next year."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import clock
from app.http import ID
from app.models import Task
from app.services import cases as case_service
from app.services import kontrollplan, reports
from app.services.access import sees_whole_case
from app.services.errors import Invalid
from app.vocabulary import (
    CASE_TYPE_LABELS,
    KONTROLL_ACTION_LABELS,
    KONTROLL_KIND_LABELS,
    KONTROLL_RESULT_LABELS,
    MANAGER_ROLES,
    POINT_STATES,
    SAMPLE_VERDICT_LABELS,
    SEVERITY_LABELS,
    SUPERVISION_ROLES,
)
from app.web.common import apply_errors

bp = Blueprint("kontrollplan", __name__, url_prefix="/kontroller")
BLANK_ROWS = 5  # empty point rows on a new plan's form (more: "Fler rader")
PLANNER_ROLES = MANAGER_ROLES + SUPERVISION_ROLES


def may_plan(user) -> bool:
    return any(r.role in PLANNER_ROLES for r in user.roles)


@bp.before_request
@login_required
def _login():
    return None


def _year_arg() -> int | None:
    value = request.args.get("ar")
    return reports.parse_year(value) if value else None


@bp.get("/")
def index():
    year = _year_arg() or clock.today().year
    kind = request.args.get("slag") or None
    if kind not in KONTROLL_KIND_LABELS:
        kind = None
    found = kontrollplan.plans(current_user, year, kind)
    per_unit = kontrollplan.unit_progress(current_user, year) if reports.may_see_reports(current_user) else None
    current = clock.today().year
    return render_template("kontrollplan/index.html", title="Kontroller", plans=found, year=year, kind=kind,
                           years=list(range(current + 1, current - 5, -1)), kinds=KONTROLL_KIND_LABELS,
                           per_unit=per_unit, may_plan=may_plan(current_user))


def _plan_form(formdata=None, rows: int = BLANK_ROWS):
    form = case_service.start_form("kontrollplan", current_user, formdata)
    while len(form.points.entries) < rows:
        form.points.append_entry()
    for index, entry in enumerate(form.points.entries, start=1):
        entry.label.text = f"Kontrollpunkt {index}"
    return form


@bp.route("/ny", methods=["GET", "POST"])
def new():
    """A new plan from the form (empty rows are left out) or from a CSV file of points."""
    status = 200
    csv_errors: list[str] = []
    if request.method == "POST":
        upload = request.files.get("fil")
        try:
            if upload is not None and upload.filename:
                plan = {k: request.form.get(k, "") for k in ("kind", "unit", "year", "title")}
                case = kontrollplan.create_plan_from_csv(current_user, plan, upload.read())
            else:
                case = case_service.create_case(current_user, "kontrollplan", kontrollplan.web_points(request.form))
        except Invalid as err:
            status = 422
            csv_errors = err.fields.pop("fil", [])
            form = _plan_form(kontrollplan.web_points(request.form), rows=1)
            apply_errors(form, err.fields)
        else:
            flash(f"Planen {case.number} är skapad med {len(kontrollplan.points(case))} kontrollpunkter.", "success")
            return redirect(url_for("kontrollplan.show", case_id=case.id))
    else:
        wanted = request.args.get("rader", "")
        form = _plan_form(rows=min(int(wanted), 50) if wanted.isdigit() and int(wanted) > 0 else BLANK_ROWS)
        form.year.data = form.year.data or clock.today().year
        units = [code for code, _ in form.unit.choices if code]
        if len(units) == 1:
            form.unit.data = units[0]
    return render_template("kontrollplan/new.html", title="Ny kontrollplan", form=form, csv_errors=csv_errors,
                           rows=len(form.points.entries), sample_types=CASE_TYPE_LABELS), status


@bp.get(f"/<{ID}:case_id>")
def show(case_id: int):
    """The plan's progress: every point with its state, result and action."""
    case = kontrollplan.get_plan(current_user, case_id)
    progress = kontrollplan.progress(case, current_user)
    tasks: dict[int, list[Task]] = {}
    for task in case_service.open_tasks(case):
        tasks.setdefault(task.instance_id, []).append(task)
    by_number = {p.number: tasks.get(p.instance_id, []) for p in kontrollplan.points(case, current_user)}
    return render_template(
        "kontrollplan/show.html", title=f"{case.number} {case.title}", case=case, progress=progress,
        tasks=by_number, states=POINT_STATES, results=KONTROLL_RESULT_LABELS, actions=KONTROLL_ACTION_LABELS,
        severities=SEVERITY_LABELS, verdicts=SAMPLE_VERDICT_LABELS, kinds=KONTROLL_KIND_LABELS,
        may_copy=may_plan(current_user) and sees_whole_case(current_user, case))


@bp.post(f"/<{ID}:case_id>/kopiera")
def copy(case_id: int):
    case = kontrollplan.get_plan(current_user, case_id)
    try:
        new_case = kontrollplan.copy_to_next_year(current_user, case)
    except Invalid as err:
        problems = "; ".join(m for messages in err.fields.values() for m in messages)
        flash(f"Planen kunde inte kopieras: {problems or err.message}", "error")
        return redirect(url_for("kontrollplan.show", case_id=case.id))
    flash(f"Planen är kopierad till {new_case.fields.get('year')}: {new_case.number}.", "success")
    return redirect(url_for("kontrollplan.show", case_id=new_case.id))

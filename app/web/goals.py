"""Mål och brukarundersökningar (/mal): the year's goals with måluppfyllelse and the previous year, a
new goal with its indicators, imports of indicator values (Kolada CSV or JSON) and of brukarundersökningar
(CSV), and the surveys' five-year trend. The same domain services as the JSON API."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import clock
from app.services import goals
from app.services.errors import Forbidden, Invalid
from app.services.reports import OrgTree, mal, parse_year

bp = Blueprint("goals", __name__, url_prefix="/mal")
INDICATOR_ROWS = 3  # empty indicator rows on the new goal form (more through the API or a second goal)


@bp.before_request
@login_required
def _login():
    if not goals.may_read(current_user):
        raise Forbidden(goals.NO_READ)
    return None


def _year() -> int:
    return parse_year(request.args.get("ar"))


def _page(year: int, *, status: int = 200, goal_errors=None, goal_data=None, import_errors=None,
          import_kind: str | None = None):
    tree = OrgTree.load()
    report = mal.goal_report(current_user, year)
    surveys = mal.survey_report(current_user, year)
    units = sorted(((code, name) for code, name, _p in tree.units.values()), key=lambda unit: unit[1])
    current = clock.today().year
    return render_template(
        "goals/index.html", title=f"Mål och brukarundersökningar {year}", year=year,
        years=list(range(current + 1, current - 6, -1)), report=report, goal_tables=mal.goal_tables(report),
        survey_tables=mal.survey_tables(surveys, tree) if surveys["items"] else [], surveys=surveys,
        perspectives=goals.perspectives(), built_in=mal.built_in_labels(), units=units,
        may_write=goals.may_write(current_user), goal_errors=goal_errors or {}, goal_data=goal_data or {},
        import_errors=import_errors or {}, import_kind=import_kind, indicator_rows=range(INDICATOR_ROWS),
        status_labels=mal.STATUS_LABELS), status


@bp.get("/")
def index():
    return _page(_year())


def _goal_body(form) -> tuple[dict, list[int]]:
    """The form's fields as the API's body (the service validates both the same way), and the form row of
    each indicator sent (empty rows are left out)."""
    indicators, rows = [], []
    for i in range(INDICATOR_ROWS):
        row = {k: (form.get(f"i{i}_{k}") or "").strip() for k in ("code", "name", "target", "unit", "source")}
        if not any(row[k] for k in ("code", "name", "target")):
            continue
        indicators.append({**row, "higher_is_better": form.get(f"i{i}_direction") != "lower"})
        rows.append(i)
    return {"year": form.get("year", ""), "perspective": form.get("perspective"), "title": form.get("title", ""),
            "unit": form.get("unit", ""), "indicators": indicators}, rows


def _on_form_rows(fields: dict, rows: list[int]) -> dict:
    """The service's "indicators[n].field" errors renamed to the form row the indicator came from."""
    out = {}
    for key, messages in fields.items():
        if key.startswith("indicators[") and "]" in key:
            index = int(key[len("indicators["):key.index("]")])
            key = f"indicators[{rows[index] if index < len(rows) else index}]{key[key.index(']') + 1:]}"
        out[key] = messages
    return out


@bp.post("/nytt")
def create():
    year = _year()
    body, rows = _goal_body(request.form)
    try:
        goal = goals.create_goal(current_user, body, mal.built_in_labels())
    except Invalid as err:
        return _page(year, status=422, goal_errors=_on_form_rows(err.fields, rows), goal_data=request.form)
    flash(f"Målet sparades: {goal.title}", "success")
    return redirect(url_for("goals.index", ar=goal.year))


def _upload(field: str) -> bytes:
    upload = request.files.get(field)
    if upload and upload.filename:
        return upload.read(goals.MAX_FILE_BYTES + 1)
    return (request.form.get(f"{field}_text") or "").encode()


@bp.post("/varden")
def import_values():
    year = _year()
    try:
        count = goals.import_values(current_user, _upload("varden"))
    except Invalid as err:
        return _page(year, status=422, import_errors={"message": err.message, **err.fields}, import_kind="varden")
    flash(f"{count} värden importerades.", "success")
    return redirect(url_for("goals.index", ar=year))


@bp.post("/undersokningar")
def import_surveys():
    year = _year()
    try:
        count = goals.import_surveys(current_user, _upload("undersokning"))
    except Invalid as err:
        return _page(year, status=422, import_errors={"message": err.message, **err.fields},
                     import_kind="undersokning")
    flash(f"{count} svar från brukarundersökningar importerades.", "success")
    return redirect(url_for("goals.index", ar=year))

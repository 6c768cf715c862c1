"""Ej verkställda beslut: the list, the CSV import, the quarter's IVO report (printable, CSV, XLSX,
marked submitted by the nämnd secretary) and the nämnd's statistics."""
from __future__ import annotations

import click
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.http import download
from app.models import EjVerkstalltBeslut, Unit, User
from app.services import ej_verkstallt as ejv
from app.services import exports
from app.services import tasks as task_service
from app.services.access import visible_unit_ids
from app.services.ej_verkstallt import fullmaktige
from app.services.errors import Conflict, Forbidden, Invalid
from app.services.kvartalsrapport import due_quarter, open_task, row_for_quarter, window
from app.vocabulary import EJ_VERKSTALLT_OUTCOME_LABELS, GENDER_LABELS, INSATS_LABELS
from app.web.lists import paged_list

bp = Blueprint("ej_verkstallt", __name__, cli_group="ej-verkstallda")


@bp.before_request
@login_required
def _login():
    return None


@bp.app_template_filter("insats_label")
def insats_label(value):
    return INSATS_LABELS.get(value, value or "")


@bp.app_template_filter("outcome_label")
def outcome_label(value):
    return EJ_VERKSTALLT_OUTCOME_LABELS.get(value, value or "")


@bp.app_template_filter("gender_label")
def gender_label(value):
    return GENDER_LABELS.get(value, value or "")


def shows_decisions(user) -> bool:
    """The menu entry: myndighet staff and those who see the report."""
    return ejv.may_see_reports(user) or bool(ejv.registering_units(user))


def _quarter_arg(name: str = "kvartal") -> tuple[ejv.Quarter, str | None]:
    text = request.args.get(name)
    if not text:
        return due_quarter(clock.today()), None
    try:
        return ejv.check_quarter(ejv.Quarter.parse(text)), None
    except Invalid as err:
        return due_quarter(clock.today()), f"{err.message} Visar {due_quarter(clock.today()).label}."


def _recent_quarters(count: int = 8) -> list[ejv.Quarter]:
    quarter, result = ejv.Quarter.of(clock.today()), []
    for _ in range(count):
        result.append(quarter)
        quarter = quarter.previous()
    return result


@bp.get("/ej-verkstallda")
def index():
    status = request.args.get("status") if request.args.get("status") in ("vantar", "avslutade") else None
    context, notes = paged_list(ejv.decisions_query(current_user, status=status), EjVerkstalltBeslut.id)
    today = clock.today()
    return render_template("ej_verkstallt/index.html", decisions=context["paged"].items, status=status, today=today,
                           may_register=bool(ejv.registering_units(current_user)),
                           may_report=ejv.may_see_reports(current_user), notes=notes, **context)


@bp.route("/ej-verkstallda/import", methods=["GET", "POST"])
def import_file():
    units = ejv.registering_units(current_user)
    if not units:
        raise Forbidden("Beslut registreras av myndighetsenheterna; du har ingen roll i någon sådan enhet.")
    errors, status = None, 200
    if request.method == "POST":
        upload = request.files.get("fil")
        default_unit = request.form.get("enhet") or None
        if default_unit and default_unit not in {u.code for u in units}:
            default_unit = None
        if upload is None or not upload.filename:
            errors, status = {"fil": ["Välj en CSV-fil."]}, 422
        else:
            try:
                created = ejv.import_csv(current_user, upload.read(ejv.MAX_FILE_BYTES + 1), default_unit=default_unit)
            except Invalid as err:
                errors, status = err.fields, 422
                flash(err.message, "error")
            else:
                flash(f"{len(created)} beslut importerades.", "success")
                return redirect(url_for("ej_verkstallt.index"))
    return render_template("ej_verkstallt/import.html", units=units, errors=errors,
                           columns=ejv.COLUMN_TITLES), status


def _report_context(quarter: ejv.Quarter) -> dict:
    items = ejv.quarter_report(current_user, quarter)["items"]
    row = row_for_quarter(quarter)
    task = open_task(row)
    form = None
    if task is not None and task_service.may_work_on(current_user, task):
        form = task_service.task_form(task)
        if not form.submitted_on.data:
            form.submitted_on.data = clock.today()
    visible = visible_unit_ids(current_user)
    codes = None if visible is None else set(db.session.scalars(select(Unit.code).where(Unit.id.in_(visible))))
    return {"quarter": quarter, "items": items, "row": row, "task": task, "form": form,
            "window": window(quarter), "linkable": lambda item: codes is None or item["unit"] in codes,
            "missing_reason": sum(1 for i in items if not i["reason"]), "quarters": _recent_quarters(),
            "totals": ejv.quarter_totals(quarter, ejv.report_unit_ids(current_user))}


@bp.get("/ivo-rapport")
def report():
    quarter, note = _quarter_arg()
    if note:
        flash(note, "info")
    return render_template("ej_verkstallt/report.html", **_report_context(quarter))


@bp.get("/ivo-rapport/<key>.<fmt>")
def report_file(key: str, fmt: str):
    quarter = ejv.check_quarter(ejv.Quarter.parse(key))
    items = ejv.quarter_report(current_user, quarter)["items"]
    name = f"ej-verkstallda-{quarter.key}.{fmt}"
    if fmt == "csv":
        body = ejv.report_csv(items)
    elif fmt == "xlsx":
        body = ejv.report_xlsx(items, quarter)
    else:
        raise Invalid("Okänt format; välj csv eller xlsx.")
    return download(body, exports.MIMETYPES[fmt], name)


@bp.post("/ivo-rapport/<key>/inskickad")
def submit(key: str):
    quarter = ejv.check_quarter(ejv.Quarter.parse(key))
    task = open_task(row_for_quarter(quarter))
    if task is None:
        flash(f"Det finns ingen öppen rapportuppgift för {quarter.label}.", "error")
        return redirect(url_for("ej_verkstallt.report", kvartal=quarter.key))
    try:
        task_service.complete(current_user, task.id, request.form)
    except Invalid as err:
        context = _report_context(quarter)
        form = task_service.task_form(task, request.form)
        for name, messages in err.fields.items():
            if name in form:
                form[name].errors = list(messages)
        context["form"] = form
        return render_template("ej_verkstallt/report.html", **context), 422
    except (Conflict, Forbidden) as err:
        flash(err.message, "error")
        return redirect(url_for("ej_verkstallt.report", kvartal=quarter.key))
    flash(f"Rapporten för {quarter.label} är markerad som inskickad till IVO.", "success")
    return redirect(url_for("ej_verkstallt.report", kvartal=quarter.key))


@bp.get("/ivo-rapport/statistik")
def statistics():
    this_year = clock.today().year
    year_text = request.args.get("ar") or str(this_year)
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= this_year else this_year
    overview = ejv.year_overview(current_user, year)
    units = ejv.report_unit_ids(current_user)
    quarter, note = _quarter_arg()
    if note:
        flash(note, "info")
    items = [i for i in ejv.quarter_items(quarter, units) if i["over_six_months"]]
    items.sort(key=lambda i: -i["days_waited"])
    return render_template("ej_verkstallt/statistics.html", overview=overview, year=year, quarter=quarter,
                           breakdown=ejv.quarter_breakdown(quarter, units), long_waits=items,
                           years=list(range(clock.today().year, clock.today().year - 6, -1)),
                           quarters=_recent_quarters())


@bp.get("/ivo-rapport/statistik/fullmaktige-<key>.<fmt>")
def council_report(key: str, fmt: str):
    """The quarter's statistics report to kommunfullmäktige and the revisorer as PDF or Word."""
    report = fullmaktige.build(current_user, ejv.Quarter.parse(key))
    name = f"ej-verkstallda-fullmaktige-{report['quarter']}.{fmt}"
    if fmt == "pdf":
        return download(fullmaktige.render_pdf(report), fullmaktige.PDF_MIMETYPE, name, inline=True)
    if fmt == "docx":
        return download(fullmaktige.render_docx(report), fullmaktige.DOCX_MIMETYPE, name)
    raise Invalid("Okänt format; välj pdf eller docx.")


@bp.cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="Användaren som registrerar (roll i en myndighetsenhet).")
@click.option("--unit", default=None, help="Enhetskod för rader utan enhet.")
def import_command(path, username, unit):
    """Importera ej verkställda beslut från en CSV-fil (allt eller inget)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Användaren '{username}' finns inte.")
    with open(path, "rb") as handle:
        content = handle.read()
    try:
        created = ejv.import_csv(user, content, default_unit=unit, max_rows=None)
    except Invalid as err:
        lines = [err.message] + [f"  {where}: {'; '.join(messages)}" for where, messages in err.fields.items()]
        raise click.ClickException("\n".join(lines)) from None
    click.echo(f"{len(created)} beslut importerades.")

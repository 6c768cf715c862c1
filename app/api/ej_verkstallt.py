"""JSON API v1: the IVO report on ej verkställda beslut, its statistics and the CSV import.
Nested in the API blueprint, so its authentication (bearer token or session + X-CSRFToken) and its
JSON errors apply here too."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from app import clock
from app.extensions import csrf
from app.http import download
from app.services import ej_verkstallt as ejv
from app.services import exports
from app.services.ej_verkstallt import fullmaktige
from app.services.errors import Invalid
from app.services.kvartalsrapport import due_quarter, open_task, row_for_quarter

bp = Blueprint("ej_verkstallt", __name__)
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


def quarter_arg() -> ejv.Quarter:
    text = request.args.get("quarter")
    return ejv.Quarter.parse(text) if text else due_quarter(clock.today())


def submission(quarter: ejv.Quarter) -> dict | None:
    row = row_for_quarter(quarter)
    if row is None:
        return None
    task = open_task(row)
    return {"case_id": row.case_id, "task_id": task.id if task else None, "window_end": row.window_end.isoformat(),
            "submitted_on": row.submitted_on.isoformat() if row.submitted_on else None,
            "submitted_by": row.submitted_by.username if row.submitted_by else None,
            "reminded": row.reminded_at is not None, "items_submitted": row.item_count}


@bp.get("/reports/ivo/ej-verkstallda/fullmaktige")
def council_report():
    """The quarter's statistics to kommunfullmäktige and the revisorer: JSON; .pdf and .docx below."""
    return jsonify(fullmaktige.build(g.api_user, quarter_arg()))


@bp.get("/reports/ivo/ej-verkstallda/fullmaktige.<fmt>")
def council_report_file(fmt: str):
    report = fullmaktige.build(g.api_user, quarter_arg())
    name = f"ej-verkstallda-fullmaktige-{report['quarter']}.{fmt}"
    if fmt == "pdf":
        return download(fullmaktige.render_pdf(report), fullmaktige.PDF_MIMETYPE, name, inline=True)
    if fmt == "docx":
        return download(fullmaktige.render_docx(report), fullmaktige.DOCX_MIMETYPE, name)
    raise Invalid("Okänt format.", {"format": ["Välj pdf eller docx."]})


@bp.get("/reports/ivo/ej-verkstallda")
def report():
    quarter = quarter_arg()
    data = ejv.quarter_report(g.api_user, quarter)
    data["submission"] = submission(quarter)
    return jsonify(data)


@bp.get("/reports/ivo/ej-verkstallda.<fmt>")
def report_file(fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Invalid("Okänt format.", {"format": ["Välj csv eller xlsx."]})
    quarter = quarter_arg()
    items = ejv.quarter_report(g.api_user, quarter)["items"]
    name = f"ej-verkstallda-{quarter.key}.{fmt}"
    body = ejv.report_csv(items) if fmt == "csv" else ejv.report_xlsx(items, quarter)
    return download(body, exports.MIMETYPES[fmt], name)


@bp.get("/reports/ivo/ej-verkstallda/statistik")
def statistics():
    year_text = request.args.get("year") or str(clock.today().year)
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        raise Invalid("Ogiltigt år.", {"year": ["Ange året som ÅÅÅÅ."]})
    overview = ejv.year_overview(g.api_user, int(year_text))
    units = ejv.report_unit_ids(g.api_user)
    for entry in overview["quarters"]:
        entry["per_insats"] = ejv.quarter_breakdown(ejv.Quarter.parse(entry["quarter"]), units)
    return jsonify(overview)


@bp.post("/ej-verkstallda/import")
def import_csv():
    """The body is the CSV file (UTF-8, ';' or ',' separated, a header row); `?unit=CODE` is the unit
    for rows without one. All rows or none: 422 with the errors per row."""
    if (request.content_length or 0) > ejv.MAX_FILE_BYTES:
        raise Invalid("Filen är för stor; inget importerades.", {"fil": ["Högst 10 MB per fil."]})
    created = ejv.import_csv(g.api_user, request.get_data(), default_unit=request.args.get("unit") or None)
    return jsonify({"imported": len(created), "cases": [{"id": c.id, "number": c.number} for c in created]}), 201

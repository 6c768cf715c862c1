"""JSON API v1 reports: /api/v1/reports/... Nested in the API blueprint, so its authentication
(bearer token or session + X-CSRFToken) and its JSON errors apply here too."""
from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from app.api.common import json_body
from app.extensions import csrf
from app.forms import json_to_formdata
from app.http import download
from app.services import exports, reports
from app.services.errors import Invalid
from app.services.reports import documents
from app.services.reports import kvalitetsberattelse as kb

bp = Blueprint("reports", __name__, url_prefix="/reports")
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


def _year() -> int:
    return reports.parse_year(request.args.get("year"))


@bp.get("/summary")
def summary():
    year, group_by = _year(), reports.parse_group_by(request.args.get("group_by"))
    tertial = reports.parse_tertial(request.args.get("tertial"))
    return jsonify(reports.summary(g.api_user, year, group_by, tertial))


@bp.get("/statistics")
def statistics():
    data = reports.statistics(g.api_user, _year())
    return jsonify({"year": data["year"], "scope": data["scope"].label,
                    "tables": [t.as_json() for t in data["tables"].values()]})


@bp.get("/patientsakerhet")
def patientsakerhet():
    """The patientsäkerhetsberättelse's basic figures (each table also at /tables/<key>.csv|xlsx)."""
    return jsonify(reports.patientsakerhet_report(g.api_user, _year()))


@bp.get("/tables/<key>.<fmt>")
def table_export(key: str, fmt: str):
    if fmt not in exports.TABLE_WRITERS:
        raise Invalid("Okänt format.", {"format": ["Välj csv eller xlsx."]})
    year = _year()
    table = reports.table_by_key(g.api_user, year, key)
    return download(exports.TABLE_WRITERS[fmt](table), exports.MIMETYPES[fmt], f"{table.key}_{year}.{fmt}")


def _published() -> bool:
    return kb.parse_version(request.args.get("version"))


def _report(user, year: int) -> dict:
    """The kvalitetsberättelse, or with `tertial=1|2|3` the tertialrapport (the same builder)."""
    return kb.build(user, year, published=_published(), tertial=reports.parse_tertial(request.args.get("tertial")))


@bp.get("/kvalitetsberattelse")
def kvalitetsberattelse():
    return jsonify(kb.as_json(_report(g.api_user, _year())))


@bp.put("/kvalitetsberattelse")
def kvalitetsberattelse_texts():
    """Save free-text sections: {"texts": {"sammanfattning": "...", ...}} (sections left out keep their text);
    with `tertial=1|2|3` the tertialrapport's."""
    year = _year()
    texts = json_body().get("texts")
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise Invalid("Ange texterna som ett objekt.", {"texts": ['Skicka {"texts": {"avsnitt": "text"}}.']})
    tertial = reports.parse_tertial(request.args.get("tertial"))
    changed = kb.save_texts(g.api_user, year, json_to_formdata(texts), csrf=False, tertial=tertial)
    return jsonify({"year": year, "changed": changed, **kb.as_json(kb.build(g.api_user, year, tertial=tertial))})


@bp.get("/kvalitetsberattelse.html")
def kvalitetsberattelse_html():
    return Response(documents.render_html(_report(g.api_user, _year())), mimetype="text/html")


@bp.get("/kvalitetsberattelse.pdf")
def kvalitetsberattelse_pdf():
    year = _year()
    report = _report(g.api_user, year)
    return download(documents.render_pdf(report), documents.PDF_MIMETYPE, documents.file_name(report, "pdf"),
                    inline=True)


@bp.get("/kvalitetsberattelse.docx")
def kvalitetsberattelse_docx():
    report = _report(g.api_user, _year())
    return download(documents.render_docx(report), documents.DOCX_MIMETYPE, documents.file_name(report, "docx"))

"""Statistik (charts with a table behind each), exports of every table, and the kvalitetsberättelse:
the page, the edit form for its free-text parts, and the PDF, Word and HTML documents."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import clock
from app.charts import chart_for
from app.http import download
from app.services import exports, lists, reports
from app.services.errors import Forbidden, Invalid
from app.services.reports import documents
from app.services.reports import kvalitetsberattelse as kb
from app.services.reports.table import cell_text

bp = Blueprint("reports", __name__, url_prefix="/statistik")


@bp.before_request
@login_required
def _login():
    if not reports.may_see_reports(current_user):
        raise Forbidden(reports.NO_REPORTS)
    return None


# A table cell as shown: numbers with a decimal comma, missing values as a dash (the documents measure
# the same text to size their columns).
bp.add_app_template_filter(cell_text, "report_value")


def _year() -> int:
    return reports.parse_year(request.args.get("ar"))


def _years() -> list[int]:
    current = clock.today().year
    return list(range(current, current - 6, -1))


@bp.get("/")
def index():
    year = _year()
    group_by = reports.parse_group_by(request.args.get("grupp"))
    summary = reports.summary(current_user, year, group_by)
    summary_table, per_category, per_severity = reports.summary_tables(summary)
    stats = reports.statistics(current_user, year)
    tables = stats["tables"]
    blocks = [summary_table, tables["oversikt_fyra_ar"], tables["rapporter_tertial"],
              tables["avvikelser_manad_kategori"], tables["avvikelser_enhet_jamforelse"],
              per_category, per_severity, tables["ledtid"], tables["uppfoljning_i_tid"], tables["forsenade_uppgifter"],
              *(tables[key] for key in ("kontroller", "tillsyn_myndighet", "tillsyn_beslut") if key in tables)]
    return render_template("reports/statistics.html", title=f"Statistik {year}", year=year, years=_years(),
                           group_by=group_by, group_labels=reports.GROUP_HEADINGS, scope=stats["scope"],
                           total=summary["total"], blocks=[(t, chart_for(t)) for t in blocks])


@bp.get("/patientsakerhet")
def patientsakerhet():
    """The patientsäkerhetsberättelse's basic figures for the MAS, each table downloadable."""
    year = _year()
    tables = reports.patientsakerhet_tables(current_user, year)
    return render_template("reports/patientsakerhet.html", title=f"Patientsäkerhet {year}", year=year,
                           years=_years(), tables=tables)


@bp.get("/export/<key>.<fmt>")
def export(key: str, fmt: str):
    if fmt not in exports.TABLE_WRITERS:
        raise Invalid("Okänt format: välj csv eller xlsx.")
    year = _year()
    table = reports.table_by_key(current_user, year, key)
    return download(exports.TABLE_WRITERS[fmt](table), exports.MIMETYPES[fmt], f"{table.key}_{year}.{fmt}")


def _tertial() -> int | None:
    return reports.parse_tertial(request.args.get("tertial"))


@bp.get("/kvalitetsberattelse")
def kvalitetsberattelse():
    year = _year()
    report = kb.build(current_user, year, published=kb.parse_version(request.args.get("version")), tertial=_tertial())
    report, pagers, notes = _page_case_lists(report)
    return render_template("reports/kvalitetsberattelse.html", title=report["title"], report=report,
                           year=year, years=_years(), chart_for=chart_for, pagers=pagers, notes=notes)


def _page_case_lists(report: dict) -> tuple[dict, dict, list[str]]:
    """On the page, each list of cases (a table with a column of case numbers) shows one page
    of LIST_PER_PAGE rows with its total and page links (`sida_<table>`, keeping the year, the version
    and the other tables' pages); the documents and the exports keep every row."""
    per_page = int(current_app.config["LIST_PER_PAGE"])
    pagers: dict[str, dict] = {}
    notes: list[str] = []
    sections = []
    for section in report["sections"]:
        tables = []
        for table in section["tables"]:
            if not any(key == "number" for key, _ in table.columns):
                tables.append(table)
                continue
            name = f"sida_{table.key}"
            page = 1
            if raw := request.args.get(name):
                if raw.isdigit() and 1 <= int(raw) <= 1_000_000:
                    page = int(raw)
                else:
                    notes.append(f"{table.title}: ange sidan som ett heltal från 1 och uppåt. Första sidan visas.")
            offset = (page - 1) * per_page
            rows = table.rows[offset:offset + per_page]
            paged = lists.Page(rows, page, per_page, len(table.rows), True, offset + per_page < len(table.rows))
            pagers[table.key] = {"paged": paged, "label": f"Sidor: {table.title}",
                                 "url": _case_list_url(name, section["key"])}
            tables.append(replace(table, rows=rows))
        sections.append({**section, "tables": tables})
    return {**report, "sections": sections}, pagers, notes


def _case_list_url(name: str, section_key: str):
    def url(page: int) -> str:
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != name}
        if page > 1:
            args[name] = page
        return url_for("reports.kvalitetsberattelse", _anchor=f"avsnitt-{section_key}", **args)
    return url


@bp.route("/kvalitetsberattelse/redigera", methods=["GET", "POST"])
def edit_texts():
    year = _year()
    if not reports.may_write_texts(current_user):
        raise Forbidden(reports.NO_TEXTS)
    tertial = _tertial()
    name = f"tertialrapport {tertial} {year}" if tertial else f"kvalitetsberättelse {year}"
    if request.method == "POST":
        form = kb.text_form(request.form, tertial=tertial)
        if form.validate():
            changed = kb.save_texts(current_user, year, request.form, tertial=tertial)
            flash("Texterna sparades." if changed else "Inget ändrades.", "success")
            return redirect(url_for("reports.kvalitetsberattelse", ar=year, tertial=tertial))
        return render_template("reports/edit.html", title=f"Redigera {name}", form=form, year=year,
                               tertial=tertial, name=name), 422
    return render_template("reports/edit.html", title=f"Redigera {name}",
                           form=kb.text_form(year=year, tertial=tertial), year=year, tertial=tertial, name=name)


@bp.get("/kvalitetsberattelse.<fmt>")
def kvalitetsberattelse_document(fmt: str):
    if fmt not in ("pdf", "docx", "html"):
        raise Invalid("Okänt format: välj pdf, docx eller html.")
    published = kb.parse_version(request.args.get("version"))
    report = kb.build(current_user, _year(), published=published, tertial=_tertial())
    if fmt == "pdf":
        return download(documents.render_pdf(report), documents.PDF_MIMETYPE, documents.file_name(report, "pdf"),
                        inline=True)
    if fmt == "docx":
        return download(documents.render_docx(report), documents.DOCX_MIMETYPE, documents.file_name(report, "docx"))
    return Response(documents.render_html(report), mimetype="text/html")

"""The kvalitetsberättelse as documents: standalone HTML, PDF (WeasyPrint, from that HTML) and Word
(.docx, for the nämnd secretary to edit further)."""
from __future__ import annotations

import io
from dataclasses import replace

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask import current_app, render_template

from app.charts import chart_for
from app.services.exports import table_xlsx
from app.services.reports.chart_images import bars_png
from app.services.reports.table import Table

PDF_MIMETYPE = "application/pdf"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_name(report: dict, extension: str) -> str:
    if report.get("tertial"):
        return f"tertialrapport_{report['year']}_T{report['tertial']}.{extension}"
    return f"kvalitetsberattelse_{report['year']}.{extension}"


def render_html(report: dict) -> str:
    """The standalone document (used for .html and the PDF)."""
    return render_template("reports/kvalitetsberattelse_document.html", report=report, chart_for=chart_for)


def render_pdf(report: dict) -> bytes:
    """The document as PDF. Long tables are shortened (for_document); each goes whole with the PDF as an
    embedded Excel file, which PDF readers list as an attachment."""
    from weasyprint import HTML, Attachment  # local: WeasyPrint takes over half a second to import

    document, attached = for_document(report, int(current_app.config["REPORT_DOCUMENT_MAX_ROWS"]))
    files = [Attachment(file_obj=io.BytesIO(data), name=name, description=title) for name, title, data in attached]
    # PDF/UA-1: tagged (headings, tables with their header cells, figures' text), language and title
    # set from the HTML (lang="sv", <title>), bookmarks from the h2 headings; screen readers can read it.
    return HTML(string=render_html(document)).write_pdf(attachments=files, pdf_variant="pdf/ua-1")


def for_document(report: dict, max_rows: int) -> tuple[dict, list[tuple[str, str, bytes]]]:
    """The report as the PDF shows it: a table of more than `max_rows` rows shows the first of them, its
    total, and a note saying how many there are and where the rest is. Returns the report and the
    whole long tables as (file name, title, XLSX bytes)."""
    attached: list[tuple[str, str, bytes]] = []
    sections = []
    for section in report["sections"]:
        tables = []
        for table in section["tables"]:
            if len(table.rows) > max_rows:
                name = f"{table.key}_{report['year']}.xlsx"
                attached.append((name, table.title, table_xlsx(table)))
                note = (f"Tabellen har {len(table.rows)} rader; här visas de {max_rows} första. Hela tabellen är "
                        f"bifogad i PDF-filen ({name}) och kan laddas ned som Excel under Statistik.")
                table = replace(table, rows=table.rows[:max_rows], note=" ".join(filter(None, [table.note, note])))
            tables.append(table)
        sections.append({**section, "tables": tables})
    return {**report, "sections": sections}, attached


def render_docx(report: dict) -> bytes:
    """A Word document with the same sections, in Swedish (sv-SE) with its title set, real heading styles
    (the navigation pane and screen readers see them), header rows repeated on each page and the charts
    as images; the free-text parts are placeholders where empty."""
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    set_swedish(document)
    document.core_properties.title = report["title"]
    document.core_properties.language = "sv-SE"
    document.core_properties.subject = f"{report['title']}, {report['scope']}"
    document.core_properties.author = report["scope"]
    cover = report.get("cover") or {}
    document.add_heading(report["title"], 0)
    document.add_paragraph(f"{cover.get('period', '')} · Omfattning: {report['scope']}. Siffrorna hämtades ur "
                           f"Kvalitetsflöde {report['generated_at']}.")
    if cover.get("dnr"):
        document.add_paragraph(f"Diarienummer: {cover['dnr']}")
    if cover.get("forslag_till_beslut"):
        document.add_heading("Förslag till beslut", 1)
        document.add_paragraph(cover["forslag_till_beslut"])
    for section in report["sections"]:
        document.add_heading(f"{section['number']}. {section['title']}", 1)
        for fact in section["facts"]:
            document.add_paragraph(fact)
        if section["missing"]:
            document.add_paragraph(section["missing"]).runs[0].italic = True
        for table in section["tables"]:
            if table.key in section.get("charts", []):
                _docx_chart(document, table)
            _docx_table(document, table)
        if not section.get("free_text", True):
            continue
        if section["paragraphs"]:
            for paragraph in section["paragraphs"]:
                document.add_paragraph(paragraph)
        else:
            document.add_paragraph(f"[Skriv här: {section['prompt']}]").runs[0].italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def set_swedish(document) -> None:
    """The document's default language (w:docDefaults' w:lang) is sv-SE, so spelling and hyphenation are
    Swedish and a screen reader reads it with a Swedish voice."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_properties = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = run_properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        run_properties.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), "sv-SE")


def _docx_chart(document, table: Table) -> None:
    png = bars_png(table)
    if png is None:
        return
    document.add_picture(io.BytesIO(png), width=Cm(16))
    # The picture's alternative text: the chart's title (the figures are in the table below it).
    properties = document.inline_shapes[-1]._inline.docPr
    properties.set("descr", f"Diagram: {table.title}. Siffrorna finns i tabellen under diagrammet.")
    properties.set("title", table.title)


def _docx_table(document, table: Table) -> None:
    if not table.rows:  # no data: one line instead of an empty table
        document.add_paragraph(f"{table.title}: inga uppgifter.").runs[0].italic = True
        return
    document.add_paragraph(table.title, style="Caption")
    matrix = table.matrix()
    grid = document.add_table(rows=len(matrix), cols=len(matrix[0]))
    grid.style = "Table Grid"
    # Row by row: python-docx's table.cell(i, j) walks the whole table on every call.
    for i, (row, grid_row) in enumerate(zip(matrix, grid.rows, strict=True)):
        bold = i == 0 or (table.total and i == len(matrix) - 1)
        for value, cell in zip(row, grid_row.cells, strict=True):
            run = cell.paragraphs[0].add_run(
                "" if value is None else (str(value).replace(".", ",") if isinstance(value, float) else str(value)))
            run.bold = bold
    _repeat_header(grid.rows[0])
    if table.note:
        document.add_paragraph(table.note).runs[0].italic = True


def _repeat_header(row) -> None:
    """Word repeats a row marked w:tblHeader at the top of every page the table runs over (and screen
    readers take it as the header row); it is also kept from splitting across pages."""
    properties = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        properties.append(element)

"""The kvalitetsberättelse as documents: standalone HTML, PDF (WeasyPrint, from that HTML) and Word
(.docx, for the nämnd secretary to edit further)."""
from __future__ import annotations

import io
from dataclasses import replace

from docx import Document
from docx.shared import Pt
from flask import current_app, render_template

from app.charts import chart_for
from app.services.exports import table_xlsx
from app.services.reports.table import Table

PDF_MIMETYPE = "application/pdf"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_html(report: dict) -> str:
    """The standalone document (used for .html and the PDF)."""
    return render_template("reports/kvalitetsberattelse_document.html", report=report, chart_for=chart_for)


def render_pdf(report: dict) -> bytes:
    """The document as PDF. Long tables are shortened (for_document); each goes whole with the PDF as an
    embedded Excel file, which PDF readers list as an attachment."""
    from weasyprint import HTML, Attachment  # local: WeasyPrint takes over half a second to import

    document, attached = for_document(report, int(current_app.config["REPORT_DOCUMENT_MAX_ROWS"]))
    files = [Attachment(file_obj=io.BytesIO(data), name=name, description=title) for name, title, data in attached]
    return HTML(string=render_html(document)).write_pdf(attachments=files)


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
    """A Word document with the same sections; the free-text parts are placeholders where empty."""
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(f"Kvalitetsberättelse {report['year']}", 0)
    document.add_paragraph(f"Omfattning: {report['scope']}. Siffrorna hämtades ur Kvalitetsflöde "
                           f"{report['generated_at']}.")
    for section in report["sections"]:
        document.add_heading(f"{section['number']}. {section['title']}", 1)
        for fact in section["facts"]:
            document.add_paragraph(fact)
        if section["missing"]:
            document.add_paragraph(section["missing"]).runs[0].italic = True
        for table in section["tables"]:
            _docx_table(document, table)
        if section["paragraphs"]:
            for paragraph in section["paragraphs"]:
                document.add_paragraph(paragraph)
        else:
            document.add_paragraph(f"[Skriv här: {section['prompt']}]").runs[0].italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(document, table: Table) -> None:
    document.add_paragraph(table.title).runs[0].bold = True
    matrix = table.matrix()
    if len(matrix) == 1:
        document.add_paragraph("Inga ärenden.")
        return
    grid = document.add_table(rows=len(matrix), cols=len(matrix[0]))
    grid.style = "Table Grid"
    # Row by row: python-docx's table.cell(i, j) walks the whole table on every call.
    for i, (row, cells) in enumerate(zip(matrix, (grid_row.cells for grid_row in grid.rows), strict=True)):
        bold = i == 0 or (table.total and i == len(matrix) - 1)
        for value, cell in zip(row, cells, strict=True):
            run = cell.paragraphs[0].add_run(
                "" if value is None else (str(value).replace(".", ",") if isinstance(value, float) else str(value)))
            run.bold = bold
    if table.note:
        document.add_paragraph(table.note).runs[0].italic = True

"""The kvalitetsberättelse as documents: standalone HTML, PDF (WeasyPrint, from that HTML) and Word
(.docx, for the nämnd secretary to edit further)."""
from __future__ import annotations

import io
from dataclasses import replace
from functools import cache
from heapq import nlargest

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask import current_app, render_template
from PIL import ImageFont

from app.charts import chart_for
from app.services.exports import table_xlsx
from app.services.reports.chart_images import bars_png
from app.services.reports.table import Table, cell_text

PDF_MIMETYPE = "application/pdf"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_name(report: dict, extension: str) -> str:
    if report.get("tertial"):
        return f"tertialrapport_{report['year']}_T{report['tertial']}.{extension}"
    return f"kvalitetsberattelse_{report['year']}.{extension}"


def render_html(report: dict) -> str:
    """The standalone document (used for .html and the PDF)."""
    return render_template("reports/kvalitetsberattelse_document.html", report=report, chart_for=chart_for,
                           table_layout=table_layout)


# The document's long tables get their column widths from here (CSS table-layout: fixed): WeasyPrint's
# automatic table layout first measures every cell's text with Pango, and the long case list laid out
# that way on an upright page squeezed its text columns to a word a line, each row five or six lines.
PAGE_WIDTHS_PT = (493, 740)  # A4 less the document's 18 mm side margins: upright, then turned
CELL_PT = 9  # a cell's padding (2 × 4 pt) and its border
FONT_PT = 9  # the tables' font size
WORD_CHARS = 16  # a longer word in a text cell may be hyphenated (CSS hyphens: auto)
NOWRAP = {"number", "occurred_on", "oldest"}  # white-space: nowrap in the document's stylesheet
LONG_ROWS = 10  # a shorter table costs little to lay out automatically, and is not worth pages of its own


@cache
def _font(bold: bool):
    """The document's font (DejaVu Sans) in Pillow, to measure text; None when it is not installed."""
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", FONT_PT * 10)
    except OSError:
        return None


def table_layout(table: Table) -> dict | None:
    """How the document lays out a long table: each column's share of the width in per cent, and whether
    the table goes on a landscape page (when its words do not fit side by side on an upright one). A
    column needs at least its widest word (measured in bold, as headings, first column and total are);
    the cells get room to stand on one line before the headings do, the way CSS's automatic layout
    shares out the width. None, for the automatic layout, for a short table, when the font is missing
    or when the words do not fit."""
    bold, regular = _font(bold=True), _font(bold=False)
    if bold is None or regular is None or len(table.rows) < LONG_ROWS:
        return None
    least, cells, most = [], [], []  # per column: its widest word, widest cell, widest cell or heading
    for index, (key, label) in enumerate(table.columns):
        values = [row.get(key) for row in table.rows]
        texts = [cell_text(value) for value in values]
        total = [cell_text(table.total.get(key))] if table.total else []
        words = label.split() + total  # headings are neither hyphenated nor broken
        for value, text in zip(values, texts, strict=True):
            whole = key in NOWRAP or isinstance(value, int | float)
            words += [text] if whole else [word[:WORD_CHARS] for word in text.split()]
        least.append(_widest(words, bold))
        # The first column and the total row are bold.
        cells.append(max(least[-1], _widest(texts, bold if index == 0 else regular), _widest(total, bold)))
        most.append(max(cells[-1], _widest([label], bold)))
    for page_width in PAGE_WIDTHS_PT:
        room = page_width - CELL_PT * len(least)
        if sum(most) <= room:  # everything fits on one line: the spare width in proportion to the content
            widths = [width * room / sum(most) for width in most]
        elif sum(cells) <= room:  # the cells on one line; the headings share what is left
            widths = _share(cells, most, room)
        elif sum(least) <= room:
            widths = _share(least, cells, room)
        else:
            continue
        return {"widths": [round((width + CELL_PT) * 100 / page_width, 2) for width in widths],
                "landscape": page_width != PAGE_WIDTHS_PT[0]}
    return None


def _widest(texts: list[str], font) -> float:
    """The width in points of the widest text, measured among the longest few (by characters, which is
    quick and close enough) so that a long table costs no more than a short one."""
    return max((font.getlength(text) for text in nlargest(5, texts, key=len)), default=0) / 10


def _share(low: list[float], high: list[float], room: float) -> list[float]:
    """Each column its low width and a share of the rest of the room in proportion to what it lacks of
    its high one."""
    spare = (room - sum(low)) / (sum(high) - sum(low))
    return [a + (b - a) * spare for a, b in zip(low, high, strict=True)]


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

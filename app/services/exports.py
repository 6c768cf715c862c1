"""Spreadsheet files for every table the product hands out (the report tables, the IVO report on ej
verkställda beslut): CSV for Swedish Excel, XLSX, their mime types, and the one guard against
spreadsheet formula injection that both formats pass every cell through."""
from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}

# A cell starting with one of these is run as a formula (or, for tab and carriage return, shifts the
# cell so the next character is): such text gets a leading apostrophe and stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is kept as text; other values pass unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(value).replace(".", ",")  # decimal comma for Swedish Excel
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def write_csv(rows: Iterable[Sequence]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what Excel with Swedish settings opens as columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(sheet_name: str, rows: Iterable[Sequence], *, widths: Sequence[float], heading: str | None = None,
               bold_rows: Collection[int] = (), note: str = "", freeze: str | None = None) -> bytes:
    """One sheet, streamed row by row (thousands of rows in well under a second). `heading` is a title
    line above the rows; `bold_rows` are indexes into `rows` (the header, a total); `note` follows
    after an empty line. Dates are written as Excel dates."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = freeze
    if heading is not None:
        sheet.append([_styled(sheet, safe_cell(heading), Font(bold=True, size=13))])
    for index, row in enumerate(rows):
        if index in bold_rows:
            sheet.append([_styled(sheet, safe_cell(value), Font(bold=True)) for value in row])
        else:
            sheet.append([safe_cell(value) for value in row])
    if note:
        sheet.append([])
        sheet.append([safe_cell(note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _styled(sheet, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


# --- report tables (app.services.reports.table.Table) ------------------------------------------------

class ExportTable(Protocol):
    key: str
    title: str
    total: dict | None
    note: str

    def matrix(self) -> list[list]: ...


def table_csv(table: ExportTable) -> bytes:
    return write_csv(table.matrix())


def table_xlsx(table: ExportTable) -> bytes:
    """The title on top in large type, bold headings and total, the note below; each column as wide
    as its longest value (8 to 60 characters)."""
    matrix = table.matrix()
    below_title = matrix + ([[table.note]] if table.note else [])
    columns = max((len(row) for row in below_title), default=0)
    widths = []
    for index in range(columns):
        values = [row[index] for row in below_title if index < len(row) and row[index] is not None]
        lengths = [len(str(safe_cell(value))) for value in values]
        widths.append(min(max(max(lengths, default=8) + 2, 8), 60))
    bold = {0, len(matrix) - 1} if table.total else {0}
    return write_xlsx(table.key[:31], matrix, widths=widths, heading=table.title, bold_rows=bold, note=table.note)


TABLE_WRITERS = {"csv": table_csv, "xlsx": table_xlsx}

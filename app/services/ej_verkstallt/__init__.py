"""Ej verkställda beslut (SoL 16 kap. 6 f–6 h §§, LSS 28 f–28 h §§): gynnande beslut not executed within
three months, reported to IVO every quarter until they are.

    rules.py         the dates that follow from a decision, the quarter, which decisions a quarter reports
    access.py        who registers decisions (the myndighet units) and who sees the report
    records.py       the typed facts per decision, written by the process's service tasks
    report.py        the quarter's IVO report (one item per decision)
    statistics.py    the de-identified figures per quarter, law and insats
    report_files.py  the report as CSV and XLSX (through app.services.exports)
    csv_import.py    registering many decisions from a CSV file, all or none
    fullmaktige.py   the quarter's statistics report to kommunfullmäktige as JSON, PDF and Word

The names below are the package's public interface.
"""
from __future__ import annotations

from app.services.ej_verkstallt.access import may_see_reports, registering_units, report_unit_ids
from app.services.ej_verkstallt.csv_import import COLUMN_TITLES, MAX_FILE_BYTES, import_csv, parse_csv
from app.services.ej_verkstallt.records import decisions, decisions_query, record_for, register_decision
from app.services.ej_verkstallt.report import quarter_items, quarter_report
from app.services.ej_verkstallt.report_files import report_csv, report_xlsx
from app.services.ej_verkstallt.rules import (
    Quarter,
    check_quarter,
    is_reportable,
    limits,
    reference_day,
    reportable_condition,
)
from app.services.ej_verkstallt.statistics import quarter_breakdown, quarter_totals, year_overview

__all__ = [
    "COLUMN_TITLES", "MAX_FILE_BYTES", "Quarter", "check_quarter", "decisions", "decisions_query", "import_csv",
    "is_reportable",
    "limits", "may_see_reports", "parse_csv", "quarter_breakdown", "quarter_items",
    "quarter_report", "quarter_totals", "record_for", "reference_day", "register_decision",
    "registering_units", "report_csv", "report_unit_ids", "report_xlsx", "reportable_condition", "year_overview",
]

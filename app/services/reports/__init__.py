"""Reports: the statistics page, the summary API, the kvalitetsberättelse and the tables they export.

Figures are aggregated in SQL over the denormalised case and task columns: every query runs GROUP BY
and gets back at most one row per unit, month, category or similar; nothing loads cases to count them.

    table.py               the Table every report hands to the page, the charts and the exports
    scope.py               year and grouping parameters, the organisation tree, the units in scope, shared SQL
    access.py              who sees which report (app.vocabulary's report roles) and who writes the texts
    counts.py              the summary: headline counts per group, per category, per severity
    statistics_page.py     the statistics page's tables
    flows.py               tables on lex Sarah, klagomål, PDCA and the pattern signals
    patientsakerhet.py     the MAS's basic figures for the patientsäkerhetsberättelse (lex Maria)
    sections.py            the kvalitetsberättelse's sections and their figures
    kvalitetsberattelse.py its free texts and the report as one dict (page, JSON)
    documents.py           the kvalitetsberättelse as HTML, PDF and Word
    catalogue.py           any table by its key (for the CSV/XLSX exports in app.services.exports)

The names below are the package's public interface for the web and API layers.
"""
from __future__ import annotations

from app.services.reports.access import NO_REPORTS, NO_TEXTS, may_see_reports, may_write_texts, report_scope
from app.services.reports.catalogue import table_by_key
from app.services.reports.counts import (
    GROUP_HEADINGS,
    by_category,
    by_severity,
    parse_tertial,
    summary,
    summary_tables,
    totals,
)
from app.services.reports.patientsakerhet import report as patientsakerhet_report
from app.services.reports.patientsakerhet import tables as patientsakerhet_tables
from app.services.reports.scope import GROUP_BY, OrgTree, Scope, parse_group_by, parse_year
from app.services.reports.statistics_page import statistics
from app.services.reports.table import Table

__all__ = [
    "GROUP_BY", "GROUP_HEADINGS", "NO_REPORTS", "NO_TEXTS", "OrgTree", "Scope", "Table", "by_category", "by_severity",
    "may_see_reports", "may_write_texts", "parse_group_by",
    "patientsakerhet_report", "patientsakerhet_tables", "parse_tertial", "parse_year", "report_scope", "statistics",
    "summary", "summary_tables", "table_by_key", "totals",
]

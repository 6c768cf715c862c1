"""Every report table by its key, for the CSV/XLSX exports: computes only the table asked for (the
kvalitetsberättelse's own tables by building the report)."""
from __future__ import annotations

from collections.abc import Callable

from app.services.errors import NotFound
from app.services.reports import kontroller, patientsakerhet, tillsyn
from app.services.reports.access import report_scope
from app.services.reports.counts import SUMMARY_TABLES, summary, summary_tables
from app.services.reports.flows import complaints, complaints_by, lex_sarah_cases, pattern_signals
from app.services.reports.kvalitetsberattelse import all_tables
from app.services.reports.scope import OrgTree
from app.services.reports.statistics_page import (
    followups_on_time,
    lead_times,
    month_by_category,
    overdue_tasks,
    units_vs_last_year,
)
from app.services.reports.table import Table


def table_by_key(user, year: int, key: str) -> Table:
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    producers: dict[str, Callable[[], Table]] = {
        "avvikelser_manad_kategori": lambda: month_by_category(scope, year),
        "avvikelser_enhet_jamforelse": lambda: units_vs_last_year(scope, year, tree),
        "ledtid": lambda: lead_times(scope, year, tree),
        "uppfoljning_i_tid": lambda: followups_on_time(scope, year, tree),
        "forsenade_uppgifter": lambda: overdue_tasks(scope, tree),
        "lex_sarah": lambda: lex_sarah_cases(user, scope, year, tree),
        "klagomal_verksamhet": lambda: complaints(scope, year, tree),
        "klagomal_kategori": lambda: complaints_by(scope, year, "category"),
        "klagomal_kanal": lambda: complaints_by(scope, year, "channel"),
        "klagomal_typ": lambda: complaints_by(scope, year, "kind"),
        "monstersignaler": lambda: pattern_signals(scope, year, tree),
    }
    if key in producers:
        return producers[key]()
    if key in patientsakerhet.TABLE_KEYS:
        return next(t for t in patientsakerhet.tables(user, year) if t.key == key)
    for table in _planned_controls(user, year, key):
        if table.key == key:
            return table
    if key in SUMMARY_TABLES:
        group_by, index = SUMMARY_TABLES[key]
        return summary_tables(summary(user, year, group_by))[index]
    for table in all_tables(user, year):
        if table.key == key:
            return table
    raise NotFound("Tabellen finns inte.")


def _planned_controls(user, year: int, key: str) -> list[Table]:
    """The kontroller and tillsyn tables (kontroller, kontrollpunkter[_kind], kontroll_atgarder[_kind], tillsyn*)."""
    if key.startswith("tillsyn"):
        return tillsyn.tables(user, year)
    if key == "kontroller":
        return [kontroller.figures_table(user, year)]
    if key.startswith(("kontrollpunkter", "kontroll_atgarder")):
        kind = key.rsplit("_", 1)[1] if key.endswith(("_egenkontroll", "_internkontroll")) else None
        return kontroller.tables(user, year, kind)
    return []

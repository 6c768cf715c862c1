"""The quarter's IVO report as files, in the columns of IVO's individual report (CSV and XLSX through
app.services.exports, with its formula guard)."""
from __future__ import annotations

from collections.abc import Callable

from app.services import exports
from app.services.ej_verkstallt.records import as_date
from app.services.ej_verkstallt.rules import Quarter
from app.vocabulary import EJ_VERKSTALLT_OUTCOME_LABELS, GENDER_LABELS, INSATS_LABELS

COLUMNS: list[tuple[str, Callable[[dict], object]]] = [
    ("Ärendenummer", lambda i: i["case_number"]),
    ("Enhet", lambda i: i["unit_name"]),
    ("Kod (ÅÅÅÅMMDD-T123)", lambda i: i["person_ref"]),
    ("Kön", lambda i: GENDER_LABELS.get(i["gender"], i["gender"])),
    ("Lag", lambda i: i["law"]),
    ("Insats", lambda i: INSATS_LABELS.get(i["insats"], i["insats"])),
    ("Beslutsdatum", lambda i: as_date(i["decided_on"])),
    ("Datum för avbrott", lambda i: as_date(i["interrupted_on"])),
    ("Rapporteringspliktigt från", lambda i: as_date(i["reportable_from"])),
    ("Rapport", lambda i: "Ny" if i["first_report"] else "Återrapportering"),
    ("Skäl till dröjsmål", lambda i: i["reason"] or ""),
    ("Utfall", lambda i: EJ_VERKSTALLT_OUTCOME_LABELS.get(i["outcome"], "") if i["outcome"] else "Ej verkställt"),
    ("Datum för verkställighet eller avslut", lambda i: as_date(i["outcome_on"])),
    ("Väntetid (dagar)", lambda i: i["days_waited"]),
]


def _matrix(items: list[dict]) -> list[list]:
    return [[name for name, _ in COLUMNS]] + [[get(item) for _, get in COLUMNS] for item in items]


def report_csv(items: list[dict]) -> bytes:
    return exports.write_csv(_matrix(items))


def report_xlsx(items: list[dict], quarter: Quarter) -> bytes:
    """Headings bold and frozen; dates as Excel dates."""
    widths = [max(12, min(40, len(name) + 2)) for name, _ in COLUMNS]
    return exports.write_xlsx(f"Ej verkställda {quarter.key}", _matrix(items), widths=widths, bold_rows={0},
                              freeze="A2")

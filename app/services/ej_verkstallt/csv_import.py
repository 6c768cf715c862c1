"""The CSV import of many ej verkställda beslut: a Swedish spreadsheet's columns mapped to the start
form's fields, every row validated like a registration on the page, and all rows or none registered
(each starts its process)."""
from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Case
from app.services import audit, csv_files
from app.services import cases as case_service
from app.services.csv_files import fold
from app.services.ej_verkstallt.records import registered_number
from app.services.errors import Invalid
from app.vocabulary import INSATSER

# Column names accepted in the file's header row (Swedish or the API's names), folded to ascii.
COLUMN_ALIASES = {
    "unit": ("enhet", "unit", "enhetskod"),
    "person_ref": ("kod", "person_ref", "person_code", "personkod", "ivo_kod", "kod_aaaammdd_t123"),
    "gender": ("kon", "gender"),
    "law": ("lag", "law", "lagrum"),
    "insats": ("insats", "bistand", "insats_bistand"),
    "decided_on": ("beslutsdatum", "decided_on", "beslut"),
    "interrupted_on": ("avbrottsdatum", "datum_for_avbrott", "interrupted_on", "avbrott"),
    "reason": ("skal", "skal_till_drojsmal", "skal_till_drojsmalet", "reason", "orsak"),
}
COLUMN_TITLES = {"unit": "Enhet", "person_ref": "Kod", "gender": "Kön", "law": "Lag", "insats": "Insats",
                 "decided_on": "Beslutsdatum", "interrupted_on": "Avbrottsdatum", "reason": "Skäl"}
REQUIRED_COLUMNS = ("person_ref", "gender", "law", "insats", "decided_on")


MAX_FILE_BYTES = 10 * 1024 * 1024


def _value_maps():
    insatser: dict[str, dict[str, str]] = {}  # per law: the code, the label or the label's start → code
    for law, items in INSATSER.items():
        for code, label in items:
            for key in (code, label, f"{law}: {label}", label.split(" (")[0]):
                insatser.setdefault(law, {}).setdefault(fold(key), code)
                insatser.setdefault("", {}).setdefault(fold(key), code)
    for law, words in {"LSS": {"kontaktperson": "kontaktperson_lss", "korttidsvistelse": "korttidsvistelse_lss",
                               "bostad med särskild service": "bostad_sarskild_service_vuxna"},
                       "SoL": {"kontaktperson": "kontaktperson_sol", "korttidsvistelse": "korttidsvistelse_sol",
                               "särskilt boende": "sarskilt_boende"}}.items():
        for word, code in words.items():
            insatser[law].setdefault(fold(word), code)
    genders = {"kvinna": "kvinna", "k": "kvinna", "kvinnor": "kvinna", "man": "man", "m": "man", "man_": "man"}
    laws = {"sol": "SoL", "lss": "LSS"}
    return insatser, genders, laws


def parse_csv(content: bytes | str) -> list[tuple[int, dict]]:
    """Rows as (line number in the file, {field: value}); a file-level problem is Invalid naming it."""
    return csv_files.read(content, columns=COLUMN_ALIASES, required=REQUIRED_COLUMNS, titles=COLUMN_TITLES,
                          max_bytes=MAX_FILE_BYTES)


def import_csv(user, content: bytes | str, *, default_unit: str | None = None, max_rows: int | None = -1) -> list[Case]:
    """Register every decision of a CSV file, or none: any error in any row imports nothing and the
    Swedish error report names the row and the column."""
    rows = parse_csv(content)
    if not rows:
        raise Invalid("Filen innehåller inga beslut; inget importerades.", {"fil": ["Inga rader med beslut."]})
    # Each row starts its process (about 30–70 ms): the web and API cap a file; the CLI may pass None.
    limit = int(current_app.config["EJ_VERKSTALLT_IMPORT_MAX_ROWS"]) if max_rows == -1 else max_rows
    if limit is not None and len(rows) > limit:
        raise Invalid("Filen är för stor; inget importerades.",
                      {"fil": [f"Högst {limit} beslut per fil ({len(rows)} i filen). Dela upp filen eller använd "
                               f"kommandot flask --app app ej-verkstallda import."]})
    insatser, genders, laws = _value_maps()
    prepared: list[tuple[int, MultiDict]] = []
    errors: dict[str, list[str]] = {}
    seen: dict[tuple, int] = {}
    for line, values in rows:
        data = dict(values)
        data["unit"] = data.get("unit") or default_unit or ""
        data["gender"] = genders.get(fold(data["gender"]), data["gender"])
        data["law"] = laws.get(fold(data["law"]), data["law"])
        folded = fold(data["insats"])
        data["insats"] = insatser.get(data["law"], {}).get(folded) or insatser[""].get(folded) or data["insats"]
        form = case_service.start_form("ej_verkstallt", user, MultiDict(data), csrf=False)
        row_errors = {} if form.validate() else {k: list(v) for k, v in form.errors.items() if k != "csrf_token"}
        key = (form.person_ref.data, data["insats"], data["decided_on"], data.get("interrupted_on") or "")
        if not row_errors:
            if key in seen:
                row_errors["person_ref"] = [f"Samma beslut som på rad {seen[key]}."]
            elif (number := registered_number(*key)) is not None:
                row_errors["person_ref"] = [f"Beslutet är redan registrerat ({number})."]
        seen.setdefault(key, line)
        for field, messages in row_errors.items():
            title = COLUMN_TITLES.get(field, field)
            if field == "unit" and "unit" not in values and not default_unit:
                messages = ["Ange enhet (kolumnen Enhet eller enheten för hela filen)."]
            errors.setdefault(f"Rad {line}", []).extend(f"{title}: {m}" for m in messages)
        prepared.append((line, MultiDict(data)))
    if errors:
        raise Invalid(f"{len(errors)} av {len(rows)} rader har fel; inget importerades.", errors)
    created = []
    try:
        for _line, data in prepared:
            created.append(case_service.create_case(user, "ej_verkstallt", data, csrf=False, commit_now=False))
        audit.record("ej_verkstallt_imported", actor=user, summary=f"{len(created)} beslut importerades från CSV",
                     details={"cases": [c.number for c in created]})
        case_service.commit()
    except Exception:
        db.session.rollback()
        raise
    return created

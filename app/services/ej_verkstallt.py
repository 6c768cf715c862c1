"""Ej verkställda beslut (SoL 16 kap. 6 f–6 h §§, LSS 28 f–28 h §§): the three-month limit, the quarter
semantics of the IVO report, the report itself (SQL over our own table), the nämnd's statistics and
the CSV import of many decisions.

Quarter semantics. A decision (or an interrupted insats) is *late* from `reportable_from`: the day
after three calendar months from the decision (or the interruption) — executed on the last day of the
three months is in time. It is reported for quarter Q when
  - it became late on or before Q's last day, and
  - it was not executed or ended before it became late (else it is never reported), and
  - it was still waiting when Q began (its outcome, if any, falls in Q or later).
So it is reported in every quarter it waits, and once more in the quarter it is executed or ends,
with that date. A report for a past quarter shows the state at the quarter's end.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import Date, and_, false, func, literal, or_, select
from sqlalchemy import case as sql_case
from werkzeug.datastructures import MultiDict

from app import clock
from app.clock import add_months
from app.extensions import db
from app.models import Case, EjVerkstalltBeslut, Unit
from app.services import access
from app.services.errors import Forbidden, Invalid
from app.vocabulary import EJ_VERKSTALLT_OUTCOME_LABELS, GENDER_LABELS, INSATS_LABELS, INSATSER

E = EjVerkstalltBeslut


# --- dates and quarters (pure) ----------------------------------------------------------------

def limits(decided_on: date, interrupted_on: date | None = None, months: int = 3) -> dict[str, date]:
    """The dates that follow from the decision (or the interruption, which restarts the count)."""
    base = interrupted_on or decided_on
    return {
        "limit_on": add_months(base, months),  # last day to execute in time
        "reportable_from": add_months(base, months) + timedelta(days=1),
        "six_months_on": add_months(base, 6),
        "one_year_on": add_months(base, 12),
    }


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str | None) -> "Quarter":
        match = re.fullmatch(r"\s*(\d{4})\s*-?\s*[QqKk]([1-4])\s*", text or "")
        if not match:
            raise Invalid("Ogiltigt kvartal.", {"quarter": ["Ange kvartalet som ÅÅÅÅQn, t.ex. 2026Q1."]})
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"kvartal {self.number} {self.year}"

    def next(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def __str__(self) -> str:
        return self.key


def is_reportable(reportable_from: date, outcome_on: date | None, quarter: Quarter) -> bool:
    """The rule of the module docstring, for one decision (the SQL below says the same)."""
    if reportable_from > quarter.end:
        return False
    if outcome_on is None:
        return True
    return outcome_on >= reportable_from and outcome_on >= quarter.start


def reportable_condition(quarter: Quarter):
    return and_(E.reportable_from <= quarter.end,
                or_(E.outcome_on.is_(None), and_(E.outcome_on >= E.reportable_from, E.outcome_on >= quarter.start)))


def reference_day(quarter: Quarter) -> date:
    """The day a quarter's figures describe: its last day, or today while it runs."""
    return min(quarter.end, clock.today())


# --- who registers, who sees --------------------------------------------------------------------

def _allowed_roots() -> list[str]:
    value = current_app.config.get("EJ_VERKSTALLT_UNITS") or []
    return [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)


def registering_unit_ids() -> set[int]:
    if has_request_context() and "ejv_units" in g:  # an import validates thousands of rows
        return g.ejv_units
    roots = db.session.scalars(select(Unit.id).where(Unit.code.in_(_allowed_roots()))).all()
    units: set[int] = set()
    for unit_id in roots:
        units |= access.descendants_and_self(unit_id)
    if has_request_context():
        g.ejv_units = units
    return units


def may_register_for(unit_code: str) -> bool:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
    return unit_id is not None and unit_id in registering_unit_ids()


def registering_units(user) -> list[Unit]:
    """The myndighet units where the user holds a role (the units they may register decisions for)."""
    from app.services.cases import reporter_units

    allowed = registering_unit_ids()
    return [u for u in reporter_units(user) if u.id in allowed]


REPORT_ROLES = ("namndsekreterare", "verksamhetschef", "enhetschef")


def report_unit_ids(user) -> set[int] | None:
    """Units whose decisions the user may see in the IVO report and statistics; None = all.
    The nämnd secretary and a verksamhetschef see everything below their unit, an enhetschef their
    unit; sas, socialchef and admin everything. Others may not see the report."""
    if access.sees_everything(user):
        return None
    units: set[int] = set()
    for assignment in user.roles:
        if assignment.role in ("namndsekreterare", "verksamhetschef"):
            units |= access.descendants_and_self(assignment.unit_id)
        elif assignment.role == "enhetschef":
            units.add(assignment.unit_id)
    if not units:
        raise Forbidden("Rapporten om ej verkställda beslut visas för nämndsekreterare och chefer.")
    return units


def may_see_reports(user) -> bool:
    return access.sees_everything(user) or any(r.role in REPORT_ROLES for r in user.roles)


# --- the typed facts, written by the process's service tasks ---------------------------------

def _day(value) -> date | None:
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def register_decision(case, data: dict, reportable_from: date) -> EjVerkstalltBeslut:
    """`reportable_from`: the diagram's deadline (deadline_months("EJ_VERKSTALLT_LIMIT_MONTHS", ...))."""
    decided_on, interrupted_on = _day(data["decided_on"]), _day(data.get("interrupted_on"))
    dates = limits(decided_on, interrupted_on)  # the six-month and one-year marks are fixed by law
    now = clock.now()
    record = db.session.scalar(select(E).where(E.case_id == case.id))
    if record is None:
        record = E(case_id=case.id, created_at=now)
        db.session.add(record)
    record.unit_id = case.unit_id
    record.person_code = data["person_ref"]
    record.gender, record.law, record.insats = data["gender"], data["law"], data["insats"]
    record.decided_on, record.interrupted_on = decided_on, interrupted_on
    record.reportable_from = reportable_from
    record.six_months_on, record.one_year_on = dates["six_months_on"], dates["one_year_on"]
    record.reason = (data.get("reason") or "").strip() or None
    record.updated_at = now
    db.session.flush()
    return record


def record_for(case) -> EjVerkstalltBeslut | None:
    return db.session.scalar(select(E).where(E.case_id == case.id))


# --- the report -------------------------------------------------------------------------------

def _report_rows(quarter: Quarter, units: set[int] | None):
    query = (
        select(E.case_id, Case.number, Unit.code.label("unit"), Unit.name.label("unit_name"), E.unit_id,
               E.person_code, E.gender, E.law, E.insats, E.decided_on, E.interrupted_on, E.reportable_from,
               E.six_months_on, E.one_year_on, E.reason, E.outcome, E.outcome_on)
        .join(Case, Case.id == E.case_id).join(Unit, Unit.id == E.unit_id)
        .where(reportable_condition(quarter)).order_by(E.decided_on, E.id)
    )
    if units is not None:
        query = query.where(E.unit_id.in_(units) if units else false())
    return db.session.execute(query)


def _item(row, quarter: Quarter, ref: date) -> dict:
    closed = row.outcome_on is not None and row.outcome_on <= ref
    end = row.outcome_on if closed else ref
    base = row.interrupted_on or row.decided_on
    return {
        "case_id": row.case_id, "case_number": row.number, "unit": row.unit, "unit_name": row.unit_name,
        "person_ref": row.person_code, "gender": row.gender, "law": row.law, "insats": row.insats,
        "decided_on": row.decided_on.isoformat(),
        "interrupted_on": row.interrupted_on.isoformat() if row.interrupted_on else None,
        "reportable_from": row.reportable_from.isoformat(),
        "first_report": row.reportable_from >= quarter.start,
        "outcome": row.outcome if closed else None,
        "outcome_on": row.outcome_on.isoformat() if closed else None,
        "reason": row.reason,
        "days_waited": (end - base).days,
        "over_six_months": end > row.six_months_on,
        "over_one_year": end > row.one_year_on,
    }


def quarter_items(quarter: Quarter, units: set[int] | None) -> list[dict]:
    ref = reference_day(quarter)
    return [_item(row, quarter, ref) for row in _report_rows(quarter, units)]


def check_quarter(quarter: Quarter) -> Quarter:
    if quarter.start > clock.today():
        raise Invalid("Kvartalet har inte börjat.", {"quarter": [f"{quarter.key} har inte börjat än."]})
    return quarter


def quarter_report(user, quarter: Quarter) -> dict:
    """`GET /api/v1/reports/ivo/ej-verkstallda?quarter=YYYYQn` (DESIGN.md), scoped to the caller."""
    units = report_unit_ids(user)
    check_quarter(quarter)
    return {"quarter": quarter.key, "start": quarter.start.isoformat(), "end": quarter.end.isoformat(),
            "items": quarter_items(quarter, units)}


# --- exports (IVO's individual report columns) -----------------------------------------------

def export_columns() -> list[tuple[str, object]]:

    return [
        ("Ärendenummer", lambda i: i["case_number"]),
        ("Enhet", lambda i: i["unit_name"]),
        ("Kod (ÅÅÅÅMMDD-T123)", lambda i: i["person_ref"]),
        ("Kön", lambda i: GENDER_LABELS.get(i["gender"], i["gender"])),
        ("Lag", lambda i: i["law"]),
        ("Insats", lambda i: INSATS_LABELS.get(i["insats"], i["insats"])),
        ("Beslutsdatum", lambda i: _day(i["decided_on"])),
        ("Datum för avbrott", lambda i: _day(i["interrupted_on"])),
        ("Rapporteringspliktigt från", lambda i: _day(i["reportable_from"])),
        ("Rapport", lambda i: "Ny" if i["first_report"] else "Återrapportering"),
        ("Skäl till dröjsmål", lambda i: i["reason"] or ""),
        ("Utfall", lambda i: EJ_VERKSTALLT_OUTCOME_LABELS.get(i["outcome"], "") if i["outcome"] else "Ej verkställt"),
        ("Datum för verkställighet eller avslut", lambda i: _day(i["outcome_on"])),
        ("Väntetid (dagar)", lambda i: i["days_waited"]),
    ]


def _safe_text(value):
    """Spreadsheet programs run a cell that starts with = + - @ as a formula: keep text text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(items: list[dict]) -> bytes:
    """UTF-8 with BOM and semicolons: what Excel with Swedish settings opens as columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    columns = export_columns()
    writer.writerow([name for name, _ in columns])
    for item in items:
        writer.writerow([_csv_value(get(item)) for _, get in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return _safe_text(value)


def report_xlsx(items: list[dict], quarter: Quarter) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)  # streams rows: thousands of decisions in well under a second
    sheet = book.create_sheet(f"Ej verkställda {quarter.key}")
    columns = export_columns()
    for index, (name, _) in enumerate(columns, start=1):
        sheet.column_dimensions[_column_letter(index)].width = max(12, min(40, len(name) + 2))
    sheet.freeze_panes = "A2"
    header = []
    for name, _ in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for item in items:
        sheet.append([_safe_text(get(item)) for _, get in columns])  # dates are written as Excel dates
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


# --- statistics for the nämnd, kommunfullmäktige and the auditors (de-identified) -------------

def _stat_columns(quarter: Quarter):
    ref = reference_day(quarter)
    ref_value = literal(ref, Date)
    closed = and_(E.outcome_on.is_not(None), E.outcome_on <= ref_value)
    end = sql_case((closed, E.outcome_on), else_=ref_value)

    def count_if(condition):
        return func.coalesce(func.sum(sql_case((condition, 1), else_=0)), 0)

    return [
        func.count(E.id).label("total"),
        count_if(E.gender == "kvinna").label("women"),
        count_if(E.gender == "man").label("men"),
        count_if(E.reportable_from >= quarter.start).label("new"),
        count_if(~closed).label("waiting"),
        count_if(and_(closed, E.outcome == "verkstallt")).label("verkstallt"),
        count_if(and_(closed, E.outcome != "verkstallt")).label("ended"),
        count_if(end > E.six_months_on).label("over_six_months"),
        count_if(end > E.one_year_on).label("over_one_year"),
    ]


_STAT_KEYS = ("total", "women", "men", "new", "waiting", "verkstallt", "ended", "over_six_months", "over_one_year")


def _scoped(query, units):
    if units is None:
        return query
    return query.where(E.unit_id.in_(units) if units else false())


def quarter_totals(quarter: Quarter, units: set[int] | None) -> dict:
    row = db.session.execute(_scoped(select(*_stat_columns(quarter)).where(reportable_condition(quarter)), units)).one()
    return {key: int(getattr(row, key) or 0) for key in _STAT_KEYS}


def quarter_breakdown(quarter: Quarter, units: set[int] | None) -> list[dict]:
    """Per law and insats, with women and men and the long waits."""
    query = _scoped(select(E.law, E.insats, *_stat_columns(quarter)).where(reportable_condition(quarter))
                    .group_by(E.law, E.insats).order_by(E.law, E.insats), units)
    return [{"law": r.law, "insats": r.insats, **{key: int(getattr(r, key) or 0) for key in _STAT_KEYS}}
            for r in db.session.execute(query)]


def year_overview(user, year: int) -> dict:
    """Per quarter of `year` (those begun): totals by gender and the long waits. Also what the
    kvalitetsberättelse shows as 'ej verkställda beslut per kvartal'."""
    units = report_unit_ids(user)
    today = clock.today()
    quarters = [Quarter(year, n) for n in range(1, 5) if Quarter(year, n).start <= today]
    return {"year": year, "quarters": [{"quarter": q.key, "label": q.label, **quarter_totals(q, units)} for q in quarters]}


# --- CSV import ------------------------------------------------------------------------------

def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


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


def _decode(content: bytes | str) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise Invalid("Filen är för stor; inget importerades.", {"fil": ["Högst 10 MB per fil."]})
    if isinstance(content, str):
        return content.lstrip("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("Filen är inte UTF-8. Spara den som CSV UTF-8 och försök igen.",
                      {"fil": ["Filen är inte kodad som UTF-8."]}) from None


def _value_maps():

    insatser: dict[str, dict[str, str]] = {}  # per law: the code, the label or the label's start → code
    for law, items in INSATSER.items():
        for code, label in items:
            for key in (code, label, f"{law}: {label}", label.split(" (")[0]):
                insatser.setdefault(law, {}).setdefault(_fold(key), code)
                insatser.setdefault("", {}).setdefault(_fold(key), code)
    for law, words in {"LSS": {"kontaktperson": "kontaktperson_lss", "korttidsvistelse": "korttidsvistelse_lss",
                               "bostad med särskild service": "bostad_sarskild_service_vuxna"},
                       "SoL": {"kontaktperson": "kontaktperson_sol", "korttidsvistelse": "korttidsvistelse_sol",
                               "särskilt boende": "sarskilt_boende"}}.items():
        for word, code in words.items():
            insatser[law].setdefault(_fold(word), code)
    genders = {"kvinna": "kvinna", "k": "kvinna", "kvinnor": "kvinna", "man": "man", "m": "man", "man_": "man"}
    laws = {"sol": "SoL", "lss": "LSS"}
    return insatser, genders, laws


def parse_csv(content: bytes | str) -> tuple[list[tuple[int, dict]], dict[str, list[str]]]:
    """Rows as (line number in the file, {field: value}) and file-level errors."""
    text = _decode(content)
    if not text.strip():
        return [], {"fil": ["Filen är tom."]}
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], {"fil": ["Filen saknar rubrikrad."]}
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        folded = _fold(name)
        field = next((f for f, aliases in COLUMN_ALIASES.items() if folded in aliases), None)
        if field is None:
            continue
        if field in positions:
            return [], {"fil": [f"Kolumnen {name.strip()} finns två gånger i rubrikraden."]}
        else:
            positions[field] = index
    missing = [COLUMN_TITLES[f] for f in REQUIRED_COLUMNS if f not in positions]
    if missing:
        return [], {"fil": ["Rubrikraden saknar kolumnerna: " + ", ".join(missing) + ". Giltiga rubriker: "
                            + ", ".join(COLUMN_TITLES.values()) + "."]}
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            rows.append((line, {field: (values[i].strip() if i < len(values) else "") for field, i in positions.items()}))
    except csv.Error as err:
        return [], {"fil": [f"Filen kunde inte läsas som CSV (rad {reader.line_num}): {err}."]}
    return rows, {}  # other columns (e.g. the spreadsheet's own notes) are left out


def import_csv(user, content: bytes | str, *, default_unit: str | None = None, max_rows: int | None = -1) -> list[Case]:
    """Register every decision of a CSV file, or none: any error in any row imports nothing and the
    Swedish error report names the row and the column."""
    from app.services.cases import commit, create_case, start_form

    rows, errors = parse_csv(content)
    if errors:
        raise Invalid("Filen kunde inte importeras; inget importerades.", errors)
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
    seen: dict[tuple, int] = {}
    for line, values in rows:
        data = dict(values)
        data["unit"] = data.get("unit") or default_unit or ""
        data["gender"] = genders.get(_fold(data["gender"]), data["gender"])
        data["law"] = laws.get(_fold(data["law"]), data["law"])
        folded = _fold(data["insats"])
        data["insats"] = insatser.get(data["law"], {}).get(folded) or insatser[""].get(folded) or data["insats"]
        form = start_form("ej_verkstallt", user, MultiDict(data), csrf=False)
        row_errors = {} if form.validate() else {k: list(v) for k, v in form.errors.items() if k != "csrf_token"}
        key = (form.person_ref.data, data["insats"], data["decided_on"], data.get("interrupted_on") or "")
        if not row_errors:
            if key in seen:
                row_errors["person_ref"] = [f"Samma beslut som på rad {seen[key]}."]
            elif (number := _existing_number(*key)) is not None:
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
        for line, data in prepared:
            created.append(create_case(user, "ej_verkstallt", data, csrf=False, commit_now=False))
        from app.services import audit

        audit.record("ej_verkstallt_imported", actor=user, summary=f"{len(created)} beslut importerades från CSV",
                     details={"cases": [c.number for c in created]})
        commit()
    except Exception:
        db.session.rollback()
        raise
    return created


def _existing_number(person_code, insats, decided_on, interrupted_on) -> str | None:
    try:
        decided = date.fromisoformat(decided_on)
        interrupted = date.fromisoformat(interrupted_on) if interrupted_on else None
    except (TypeError, ValueError):
        return None
    query = (select(Case.number).join(E, E.case_id == Case.id)
             .where(E.person_code == person_code, E.insats == insats, E.decided_on == decided,
                    E.interrupted_on.is_(None) if interrupted is None else E.interrupted_on == interrupted))
    return db.session.scalar(query.limit(1))


# --- lists for the pages ------------------------------------------------------------------------

def decisions(user, *, status: str | None = None, limit: int = 500) -> list[EjVerkstalltBeslut]:
    """Registered decisions the user may see (the case scope), open ones first."""
    query = access.scope_cases(select(E).join(Case, Case.id == E.case_id), user)
    if status == "vantar":
        query = query.where(E.outcome.is_(None))
    elif status == "avslutade":
        query = query.where(E.outcome.is_not(None))
    return db.session.scalars(query.order_by(E.outcome.is_not(None), E.reportable_from, E.id).limit(limit)).all()

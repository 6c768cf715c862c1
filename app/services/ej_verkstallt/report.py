"""The quarter's IVO report on ej verkställda beslut (GET /api/v1/reports/ivo/ej-verkstallda): the
decisions the quarter holds (rules.reportable_condition), one item each, as of the quarter's
reference day; SQL over our own table, scoped to the units the caller may see."""
from __future__ import annotations

from datetime import date

from sqlalchemy import false, select

from app.extensions import db
from app.models import Case, EjVerkstalltBeslut, Unit
from app.services.ej_verkstallt.access import report_unit_ids
from app.services.ej_verkstallt.rules import Quarter, check_quarter, reference_day, reportable_condition
from app.services.read_log import log_reads


def scoped(query, units: set[int] | None):
    """The query limited to decisions of `units` (None: every unit)."""
    if units is None:
        return query
    return query.where(EjVerkstalltBeslut.unit_id.in_(units) if units else false())


# The columns of a decision the report reads (EjVerkstalltBeslut's, beside the case number and unit).
_COLUMNS = ("case_id", "unit_id", "person_code", "gender", "law", "insats", "decided_on", "interrupted_on",
            "reportable_from", "six_months_on", "one_year_on", "reason", "outcome", "outcome_on")


def _report_rows(quarter: Quarter, units: set[int] | None):
    query = (
        select(Case.number, Unit.code.label("unit"), Unit.name.label("unit_name"),
               *(getattr(EjVerkstalltBeslut, name) for name in _COLUMNS))
        .join(Case, Case.id == EjVerkstalltBeslut.case_id).join(Unit, Unit.id == EjVerkstalltBeslut.unit_id)
        .where(reportable_condition(quarter)).order_by(EjVerkstalltBeslut.decided_on, EjVerkstalltBeslut.id)
    )
    return db.session.execute(scoped(query, units))


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


def quarter_report(user, quarter: Quarter) -> dict:
    """`GET /api/v1/reports/ivo/ej-verkstallda?quarter=YYYYQn` (DESIGN.md), scoped to the caller."""
    units = report_unit_ids(user)
    check_quarter(quarter)
    items = quarter_items(quarter, units)
    log_reads(user, [item["case_id"] for item in items], "ivo-rapport")  # person codes and reasons: a read each
    return {"quarter": quarter.key, "start": quarter.start.isoformat(), "end": quarter.end.isoformat(),
            "items": items}

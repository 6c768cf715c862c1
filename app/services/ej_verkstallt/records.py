"""The typed facts of each decision (the ej_verkstallt table), written by the process's service tasks
and read by the report, the statistics and the pages."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Case, EjVerkstalltBeslut
from app.services import access
from app.services.ej_verkstallt.rules import limits


def to_date(value) -> date:
    """A date from a date or an ISO string (task data keep dates as strings)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def as_date(value) -> date | None:
    """to_date, or None when empty."""
    return to_date(value) if value else None


def register_decision(case, data: dict, reportable_from: date) -> EjVerkstalltBeslut:
    """`reportable_from`: the diagram's deadline (deadline_months("EJ_VERKSTALLT_LIMIT_MONTHS", ...))."""
    decided_on, interrupted_on = to_date(data["decided_on"]), as_date(data.get("interrupted_on"))
    dates = limits(decided_on, interrupted_on)  # the six-month and one-year marks are fixed by law
    now = clock.now()
    record = record_for(case)
    if record is None:
        record = EjVerkstalltBeslut(case_id=case.id, created_at=now)
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
    return db.session.scalar(select(EjVerkstalltBeslut).where(EjVerkstalltBeslut.case_id == case.id))


def registered_number(person_code, insats, decided_on, interrupted_on) -> str | None:
    """The case number of the same decision if it is already registered (ISO date strings in)."""
    try:
        decided = date.fromisoformat(decided_on)
        interrupted = date.fromisoformat(interrupted_on) if interrupted_on else None
    except (TypeError, ValueError):
        return None
    same_interruption = (EjVerkstalltBeslut.interrupted_on.is_(None) if interrupted is None
                         else EjVerkstalltBeslut.interrupted_on == interrupted)
    query = (select(Case.number).join(EjVerkstalltBeslut, EjVerkstalltBeslut.case_id == Case.id)
             .where(EjVerkstalltBeslut.person_code == person_code, EjVerkstalltBeslut.insats == insats,
                    EjVerkstalltBeslut.decided_on == decided, same_interruption))
    return db.session.scalar(query.limit(1))


def decisions(user, *, status: str | None = None, limit: int = 500) -> Sequence[EjVerkstalltBeslut]:
    """Registered decisions the user may see (the case scope), open ones first."""
    return db.session.scalars(decisions_query(user, status=status).limit(limit)).all()


def decisions_query(user, *, status: str | None = None):
    """decisions() as a query, for a paged list."""
    query = access.scope_cases(select(EjVerkstalltBeslut).join(Case, Case.id == EjVerkstalltBeslut.case_id), user)
    if status == "vantar":
        query = query.where(EjVerkstalltBeslut.outcome.is_(None))
    elif status == "avslutade":
        query = query.where(EjVerkstalltBeslut.outcome.is_not(None))
    order = (EjVerkstalltBeslut.outcome.is_not(None), EjVerkstalltBeslut.reportable_from, EjVerkstalltBeslut.id)
    return query.order_by(*order)

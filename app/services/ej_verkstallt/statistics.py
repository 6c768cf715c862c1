"""Statistics on ej verkställda beslut for the nämnd, kommunfullmäktige and the auditors
(de-identified): per quarter the reported decisions by gender, outcome and long waits, per law and
insats, and the year's quarters (also what the kvalitetsberättelse shows)."""
from __future__ import annotations

from sqlalchemy import Date, and_, func, literal, select
from sqlalchemy import case as sql_case

from app import clock
from app.extensions import db
from app.models import EjVerkstalltBeslut
from app.services.ej_verkstallt.access import report_unit_ids
from app.services.ej_verkstallt.report import scoped
from app.services.ej_verkstallt.rules import Quarter, reference_day, reportable_condition

STAT_KEYS = ("total", "women", "men", "new", "waiting", "verkstallt", "ended", "over_six_months", "over_one_year")


def _count_if(condition):
    return func.coalesce(func.sum(sql_case((condition, 1), else_=0)), 0)


def _stat_columns(quarter: Quarter):
    ref_value = literal(reference_day(quarter), Date)
    outcome_on = EjVerkstalltBeslut.outcome_on
    closed = and_(outcome_on.is_not(None), outcome_on <= ref_value)
    end = sql_case((closed, outcome_on), else_=ref_value)
    return [
        func.count(EjVerkstalltBeslut.id).label("total"),
        _count_if(EjVerkstalltBeslut.gender == "kvinna").label("women"),
        _count_if(EjVerkstalltBeslut.gender == "man").label("men"),
        _count_if(EjVerkstalltBeslut.reportable_from >= quarter.start).label("new"),
        _count_if(~closed).label("waiting"),
        _count_if(and_(closed, EjVerkstalltBeslut.outcome == "verkstallt")).label("verkstallt"),
        _count_if(and_(closed, EjVerkstalltBeslut.outcome != "verkstallt")).label("ended"),
        _count_if(end > EjVerkstalltBeslut.six_months_on).label("over_six_months"),
        _count_if(end > EjVerkstalltBeslut.one_year_on).label("over_one_year"),
    ]


def quarter_totals(quarter: Quarter, units: set[int] | None) -> dict:
    query = scoped(select(*_stat_columns(quarter)).where(reportable_condition(quarter)), units)
    row = db.session.execute(query).one()
    return {key: int(getattr(row, key) or 0) for key in STAT_KEYS}


def quarter_breakdown(quarter: Quarter, units: set[int] | None) -> list[dict]:
    """Per law and insats, with women and men and the long waits."""
    law, insats = EjVerkstalltBeslut.law, EjVerkstalltBeslut.insats
    query = scoped(select(law, insats, *_stat_columns(quarter)).where(reportable_condition(quarter))
                   .group_by(law, insats).order_by(law, insats), units)
    return [{"law": r.law, "insats": r.insats, **{key: int(getattr(r, key) or 0) for key in STAT_KEYS}}
            for r in db.session.execute(query)]


def year_overview(user, year: int) -> dict:
    """Per quarter of `year` (those begun): totals by gender and the long waits. Also what the
    kvalitetsberättelse shows as 'ej verkställda beslut per kvartal'."""
    units = report_unit_ids(user)
    today = clock.today()
    quarters = [Quarter(year, n) for n in range(1, 5) if Quarter(year, n).start <= today]
    return {"year": year,
            "quarters": [{"quarter": q.key, "label": q.label, **quarter_totals(q, units)} for q in quarters]}

"""Utredningstider: how long each barnavårdsutredning took against the four-month limit (rule
utredningstid in app/data/lagrum.toml), and the internal-control figure: overruns without an extension
decision. An extension decided after the limit it extends does not count as one (JO's criticism).

Computed in SQL from the `investigations` table (written by the process's service tasks), scoped by
the caller's access like every case query. An investigation belongs to the year it started.

Per investigation: `days_taken` from the start to completion (or to today while it is ongoing),
`limit` (last day of the four months), `limit_days`, `extension` (last day of the latest extension,
or null), `overrun` (days past the limit that applies: the extension's if there is one).
Totals: `over_limit` — went past the four months; `over_limit_without_extension` — went past the
four months without an extension covering it (no extension decision, one decided after the limit, or
past the extended date). `extension_decided_on` and `extension_in_time` show when the latest was decided.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, and_, case, cast, false, func, literal, or_, select

from app import clock
from app.extensions import db
from app.models import Case, Investigation, Unit
from app.services.access import report_unit_ids
from app.services.errors import Forbidden
from app.services.read_log import log_reads
from app.vocabulary import REPORT_ROLES


def _days(later, earlier):
    """Whole days from `earlier` to `later` (dates), in the database's own date arithmetic."""
    if db.engine.dialect.name == "postgresql":
        return cast(later - earlier, Integer)
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _rows(user, year: int):
    today = literal(clock.today(), Date)
    end = func.coalesce(Investigation.completed_on, today)
    in_time = and_(Investigation.extended_to.is_not(None), Investigation.extension_in_time.is_(True))
    applies = case((in_time, Investigation.extended_to), else_=Investigation.limit_on)
    over_limit = end > Investigation.limit_on
    without_extension = and_(over_limit, or_(~in_time, end > Investigation.extended_to))
    query = (
        select(
            Investigation, Case.number, Case.status, Unit.code, Unit.name,
            _days(end, Investigation.started_on).label("days_taken"),
            _days(Investigation.limit_on, Investigation.started_on).label("limit_days"),
            case((end > applies, _days(end, applies)), else_=0).label("overrun"),
            case((over_limit, 1), else_=0).label("over_limit"),
            case((without_extension, 1), else_=0).label("without_extension"),
        )
        .join(Case, Case.id == Investigation.case_id)
        .join(Unit, Unit.id == Investigation.unit_id)
        .where(Investigation.started_on >= date(year, 1, 1), Investigation.started_on < date(year + 1, 1, 1))
    )
    # A report for the chefs' internal control: the report roles' scope, as the statistics (need to know
    # for the cases themselves does not narrow a chef's or the nämnd secretary's figures).
    units = report_unit_ids(user)
    return query if units is None else query.where(Case.unit_id.in_(units) if units else false())


def utredningstider(user, year: int) -> dict:
    if not may_see_utredningstider(user):
        raise Forbidden(READERS_TEXT)
    rows = _rows(user, year).subquery()
    totals = db.session.execute(
        select(func.count(), func.coalesce(func.sum(rows.c.over_limit), 0),
               func.coalesce(func.sum(rows.c.without_extension), 0))
    ).one()
    items = []
    for row in db.session.execute(_rows(user, year).order_by(Investigation.started_on, Investigation.id)):
        record = row[0]
        items.append({
            "case_id": record.case_id, "number": row.number, "unit": row.code, "unit_name": row.name,
            "received_on": _iso(record.received_on), "assessed_on": _iso(record.assessed_on),
            "started_on": _iso(record.started_on), "completed_on": _iso(record.completed_on),
            "ongoing": record.completed_on is None, "outcome": record.outcome,
            "days_taken": row.days_taken, "limit": _iso(record.limit_on), "limit_days": row.limit_days,
            "extension": _iso(record.extended_to), "extensions": record.extensions or 0,
            "extension_reason": record.extension_reason,
            "extension_decided_on": _iso(record.extension_decided_on),
            "extension_in_time": record.extension_in_time if record.extended_to else None,
            "overrun": row.overrun, "over_limit": bool(row.over_limit),
            "over_limit_without_extension": bool(row.without_extension),
        })
    log_reads(user, [item["case_id"] for item in items], "utredningstider")
    return {"year": year, "total": totals[0], "over_limit": int(totals[1]),
            "over_limit_without_extension": int(totals[2]), "items": items}


READERS_TEXT = "Utredningstider visas för chefer, SAS, socialchef och nämndsekreterare."


def may_see_utredningstider(user) -> bool:
    """Who reads utredningstider: the report roles, on the page and in the API alike."""
    return any(r.role in REPORT_ROLES for r in user.roles)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None

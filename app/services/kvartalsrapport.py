"""The nämnd secretary's quarterly IVO report: one `kvartalsrapport` process instance per quarter.

`ensure_quarter_instances()` runs at the start of every timer sweep. When a quarter's reporting period
opens it starts that quarter's instance (a case of type kvartalsrapport, and a row in
ivo_kvartalsrapporter whose unique quarter makes a second start impossible, also with two schedulers).
After downtime it starts each quarter that was missed, so each gets its task and its one reminder; a
fresh installation starts with the quarter whose period is open now. The instance ends when the
secretary marks the quarter submitted; nothing loops, so no instance grows without bound.
"""
from __future__ import annotations

import logging
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import clock, engine
from app.extensions import db
from app.models import Case, IvoKvartalsrapport, Task, Unit
from app.services import audit
from app.services.ej_verkstallt.report import quarter_items
from app.services.ej_verkstallt.rules import Quarter
from app.services.numbering import next_case_number
from app.services.projection import apply_step
from app.vocabulary import CASE_TYPES

log = logging.getLogger(__name__)
MAX_CATCH_UP = 8  # quarters started in one sweep after a long downtime


def window(quarter: Quarter) -> tuple[date, date]:
    """The reporting period for `quarter`: from START_DAY of the month after it to the configured end."""
    config = current_app.config
    after = quarter.next().start
    start = after.replace(day=int(config.get("IVO_REPORT_WINDOW_START_DAY", 1)))
    ends = config.get("IVO_REPORT_WINDOW_END") or {}
    month_day = ends.get(str(quarter.number)) or ends.get(quarter.number) or "01-31"
    month, day = (int(part) for part in str(month_day).split("-"))
    end = date(after.year, month, day)
    if end < start:
        raise ValueError(f"IVO_REPORT_WINDOW_END for Q{quarter.number} ({month_day}) falls before the period opens")
    return start, end


def due_quarter(today: date) -> Quarter:
    """The latest quarter whose reporting period has opened."""
    quarter = Quarter.of(today).previous()
    return quarter if window(quarter)[0] <= today else quarter.previous()


def report_unit() -> Unit | None:
    code = current_app.config.get("IVO_REPORT_UNIT")
    if code:
        return db.session.scalar(select(Unit).where(Unit.code == code))
    return db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))


def ensure_quarter_instances() -> int:
    """Start the quarters whose reporting period has opened and that have no instance yet."""
    if not current_app.config.get("IVO_QUARTERLY_REPORT_ENABLED", True):
        return 0
    today = clock.today()
    due = due_quarter(today)
    existing = set(db.session.scalars(select(IvoKvartalsrapport.quarter)))
    if due.key in existing:
        return 0
    if existing:
        latest = max(Quarter.parse(key) for key in existing)
        wanted = []
        quarter = latest.next()
        while quarter <= due:
            wanted.append(quarter)
            quarter = quarter.next()
        wanted = wanted[-MAX_CATCH_UP:]
    else:
        # A fresh installation: start with the period open now, never with long-past quarters.
        wanted = [due] if today <= window(due)[1] else []
    started = 0
    for quarter in wanted:
        started += start_quarter(quarter)
    return started


def start_quarter(quarter: Quarter) -> int:
    unit = report_unit()
    if unit is None:  # no organisation yet
        return 0
    now = clock.now()
    window_start, window_end = window(quarter)
    row = IvoKvartalsrapport(quarter=quarter.key, window_end=window_end, started_at=now)
    db.session.add(row)
    try:
        db.session.flush()  # the unique quarter: a second scheduler stops here
    except IntegrityError:
        db.session.rollback()
        return 0
    data = {"quarter": quarter.key, "quarter_label": quarter.label, "window_start": window_start.isoformat(),
            "window_end": window_end.isoformat()}
    case = Case(number=next_case_number("kvartalsrapport"), type="kvartalsrapport", status="pagaende",
                unit=unit, unit_id=unit.id, reporter_id=None, fields=dict(data), occurred_on=quarter.end,
                title=f"Ej verkställda beslut till IVO, {quarter.label}", created_at=now, updated_at=now)
    db.session.add(case)
    db.session.flush()
    row.case_id = case.id
    audit.record("case_created", case=case, summary=f"{case.number}: rapporteringsperioden för {quarter.label} "
                 f"öppnade ({window_start.isoformat()}–{window_end.isoformat()})", details=data)
    result = engine.start(case, CASE_TYPES["kvartalsrapport"].process_id, {**data, "case_number": case.number}, None)
    apply_step(case, result, None)
    db.session.commit()
    log.info("started the IVO report for %s (%s)", quarter.key, case.number)
    return 1


def row_for_case(case) -> IvoKvartalsrapport | None:
    return db.session.scalar(select(IvoKvartalsrapport).where(IvoKvartalsrapport.case_id == case.id))


def row_for_quarter(quarter: Quarter) -> IvoKvartalsrapport | None:
    return db.session.scalar(select(IvoKvartalsrapport).where(IvoKvartalsrapport.quarter == quarter.key))


def open_task(row: IvoKvartalsrapport | None) -> Task | None:
    if row is None or row.case_id is None:
        return None
    return db.session.scalar(select(Task).where(Task.case_id == row.case_id, Task.task_id == "kvartalsrapport",
                                                Task.state == "open").limit(1))


def record_submission(case, data: dict, actor) -> IvoKvartalsrapport | None:
    """The secretary completed the task: keep the date and what the report held when it was filed."""
    row = row_for_case(case)
    if row is None:
        return None
    quarter = Quarter.parse(row.quarter)
    items = quarter_items(quarter, None)
    row.submitted_on = date.fromisoformat(str(data["submitted_on"])[:10])
    row.submitted_at = clock.now()
    row.submitted_by_id = actor.id if actor is not None else None
    row.item_count = len(items)
    row.snapshot = items
    return row


def start_due_quarters() -> int:
    """Called at the start of every timer sweep; a failure here must never stop the timers."""
    try:
        return ensure_quarter_instances()
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("could not start the quarterly IVO report")
        return 0

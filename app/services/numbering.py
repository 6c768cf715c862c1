from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import CaseNumberSequence


def next_case_number(case_type: str) -> str:
    """AVV-2026-0001: a counter row per prefix and year, locked while it is incremented."""
    prefix = current_app.config["CASE_NUMBER_PREFIXES"].get(case_type, case_type.upper()[:4])
    year = clock.today().year
    row = db.session.execute(
        select(CaseNumberSequence).where(CaseNumberSequence.prefix == prefix, CaseNumberSequence.year == year)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = CaseNumberSequence(prefix=prefix, year=year, last_value=0)
        db.session.add(row)
    row.last_value += 1
    db.session.flush()
    return f"{prefix}-{year}-{row.last_value:04d}"

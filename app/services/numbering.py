from __future__ import annotations

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.extensions import db
from app.models import CaseNumberSequence

_SEQUENCES = CaseNumberSequence.__table__


def next_case_number(case_type: str) -> str:
    """AVV-2026-0001: a counter row per prefix and year, incremented in one statement.

    `UPDATE ... SET last_value = last_value + 1 RETURNING` is atomic on both databases (a read
    followed by a write is not: on SQLite nothing locks the read, and on PostgreSQL two first cases
    of a year would both insert the counter row). A missing row is created with ON CONFLICT DO
    NOTHING, so simultaneous first cases wait for each other instead of failing."""
    prefix = current_app.config["CASE_NUMBER_PREFIXES"].get(case_type, case_type.upper()[:4])
    year = clock.today().year
    bump = (
        update(_SEQUENCES).where(_SEQUENCES.c.prefix == prefix, _SEQUENCES.c.year == year)
        .values(last_value=_SEQUENCES.c.last_value + 1).returning(_SEQUENCES.c.last_value)
    )
    value = db.session.execute(bump).scalar_one_or_none()
    if value is None:
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        db.session.execute(insert(_SEQUENCES).values(prefix=prefix, year=year, last_value=0).on_conflict_do_nothing())
        value = db.session.execute(bump).scalar_one()
    return f"{prefix}-{year}-{value:04d}"

"""Case numbers: the case type's prefix, the year and a counter per prefix and year (AVV-2026-0001)."""
from __future__ import annotations

from typing import cast

from flask import current_app
from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.extensions import db
from app.models import CaseNumberSequence
from app.vocabulary import CASE_TYPES

_SEQUENCES = cast(Table, CaseNumberSequence.__table__)  # a mapped class's table (typed as FromClause)


def next_case_number(case_type: str) -> str:
    """AVV-2026-0001: a counter row per prefix and year, incremented in one statement.

    `UPDATE ... SET last_value = last_value + 1 RETURNING` is atomic on both databases (a read
    followed by a write is not: on SQLite nothing locks the read, and on PostgreSQL two first cases
    of a year would both insert the counter row). A missing row is created with ON CONFLICT DO
    NOTHING, so simultaneous first cases wait for each other instead of failing."""
    prefix = case_number_prefix(case_type)
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


def case_number_prefix(case_type: str) -> str:
    """The case type's prefix (app.vocabulary.CASE_TYPES), unless the deployment overrides it in
    CASE_NUMBER_PREFIXES."""
    override = (current_app.config.get("CASE_NUMBER_PREFIXES") or {}).get(case_type)
    return override or CASE_TYPES[case_type].number_prefix

"""Case numbers: the case type's prefix, the year and a counter per prefix and year (AVV-2026-0001).

Numbers are unique and increase, but need not be gap-free: a report that fails after taking its
number leaves that number unused. No rule asks for gap-free numbers (SOSFS 2011:9 and the registration
rules of offentlighets- och sekretesslagen ask that a case can be found and identified, README), and
a gap-free counter would make every report wait for the one before it to commit:
- PostgreSQL: one database sequence per prefix and year (`nextval` takes no lock that lasts beyond
  the call), created the first time the year is used, starting after the counter row and any number
  already given out.
- SQLite has one writer at a time anyway: the counter row of case_number_sequences, incremented in
  one statement inside the transaction.
"""
from __future__ import annotations

import re
from typing import cast

from flask import current_app
from sqlalchemy import Table, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from app import clock
from app.extensions import db
from app.models import Case, CaseNumberSequence
from app.vocabulary import CASE_TYPES

_SEQUENCES = cast(Table, CaseNumberSequence.__table__)  # a mapped class's table (typed as FromClause)


def next_case_number(case_type: str) -> str:
    prefix = case_number_prefix(case_type)
    year = clock.today().year
    if db.session.get_bind().dialect.name == "postgresql":
        value = _from_sequence(prefix, year)
    else:
        value = _from_counter_row(prefix, year)
    return f"{prefix}-{year}-{value:04d}"


def _from_counter_row(prefix: str, year: int) -> int:
    """`UPDATE ... SET last_value = last_value + 1 RETURNING` is atomic; a missing row is created
    with ON CONFLICT DO NOTHING, so simultaneous first cases wait for each other instead of failing."""
    bump = (
        update(_SEQUENCES).where(_SEQUENCES.c.prefix == prefix, _SEQUENCES.c.year == year)
        .values(last_value=_SEQUENCES.c.last_value + 1).returning(_SEQUENCES.c.last_value)
    )
    value = db.session.execute(bump).scalar_one_or_none()
    if value is None:
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        db.session.execute(insert(_SEQUENCES).values(prefix=prefix, year=year, last_value=0).on_conflict_do_nothing())
        value = db.session.execute(bump).scalar_one()
    return value


def sequence_name(prefix: str, year: int) -> str:
    return f"case_number_{re.sub(r'[^a-z0-9]', '_', prefix.lower())}_{year}"


def _from_sequence(prefix: str, year: int) -> int:
    name = sequence_name(prefix, year)
    known: set[str] = current_app.extensions.setdefault("kf_case_number_sequences", set())
    if name not in known:
        if not _ensure_sequence(name, prefix, year):
            # The database role may not create sequences (a least-privilege set-up): the counter row,
            # which every process of that role then uses alike.
            return _from_counter_row(prefix, year)
        known.add(name)
    return db.session.execute(text("SELECT nextval(:name)"), {"name": name}).scalar_one()


def _ensure_sequence(name: str, prefix: str, year: int) -> bool:
    """Create the year's sequence on its own connection (committed at once, outside the caller's
    transaction), starting after every number of that prefix and year given out before."""
    with db.engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() is not None:
            return True
        counted = conn.execute(select(_SEQUENCES.c.last_value).where(
            _SEQUENCES.c.prefix == prefix, _SEQUENCES.c.year == year)).scalar() or 0
        stem = f"{prefix}-{year}-"
        last = conn.execute(select(Case.number).where(Case.number.startswith(stem, autoescape=True))
                            .order_by(func.length(Case.number).desc(), Case.number.desc()).limit(1)).scalar()
        given = int(last[len(stem):]) if last and last[len(stem):].isdigit() else 0
        try:
            conn.execute(text(f'CREATE SEQUENCE IF NOT EXISTS "{name}" START WITH {max(counted, given) + 1}'))
            conn.commit()
        except DBAPIError:  # another process created it at the same moment, or the role may not create it
            conn.rollback()
        return conn.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() is not None


def case_number_prefix(case_type: str) -> str:
    """The case type's prefix (app.vocabulary.CASE_TYPES), unless the deployment overrides it in
    CASE_NUMBER_PREFIXES."""
    override = (current_app.config.get("CASE_NUMBER_PREFIXES") or {}).get(case_type)
    return override or CASE_TYPES[case_type].number_prefix

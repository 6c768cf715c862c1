"""What a report is computed over: the year (and its parameters), the organisation tree, the units in
scope, and the SQL expressions every report shares. A year's cases are those that occurred in it
(`Case.occurred_on`: the event date of an avvikelse, the day a klagomål was received)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, extract, func, literal, select

from app import clock
from app.extensions import db
from app.models import Case, Unit
from app.services.errors import Invalid

GROUP_BY = ("verksamhet", "enhet", "kategori", "month")


def parse_year(value, default: int | None = None) -> int:
    if value in (None, ""):
        return default if default is not None else clock.today().year
    try:
        year = int(str(value).strip())
    except ValueError:
        raise Invalid("Ogiltigt år.", {"year": ["Ange året med fyra siffror, t.ex. 2026."]}) from None
    if not 2000 <= year <= 2100:
        raise Invalid("Ogiltigt år.", {"year": ["Ange ett år mellan 2000 och 2100."]})
    return year


def parse_group_by(value) -> str:
    value = (value or "verksamhet").strip()
    if value not in GROUP_BY:
        raise Invalid("Ogiltig gruppering.", {"group_by": ["Välj verksamhet, enhet, kategori eller month."]})
    return value


@dataclass
class OrgTree:
    units: dict[int, tuple[str, str, int | None]]  # id -> (code, name, parent_id)
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> OrgTree:
        units = {uid: (code, name, parent) for uid, code, name, parent in
                 db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.parent_id))}
        children: dict[int | None, list[int]] = {}
        for uid, (_, _, parent) in units.items():
            children.setdefault(parent, []).append(uid)
        return cls(units, children)

    def code(self, uid: int) -> str:
        return self.units[uid][0]

    def name(self, uid: int) -> str:
        return self.units[uid][1]

    def chain(self, uid: int) -> list[int]:
        out = []
        current: int | None = uid
        while current is not None:
            out.append(current)
            current = self.units[current][2]
        return out

    def verksamhet(self, uid: int) -> int:
        """The unit's verksamhetsområde: the level below the förvaltning (the root itself for the root)."""
        chain = self.chain(uid)
        return chain[-2] if len(chain) >= 2 else chain[-1]

    def is_leaf(self, uid: int) -> bool:
        return not self.children.get(uid)

    def verksamheter(self, scope: Scope) -> set[int]:
        """The verksamhetsområden of the units in scope (not the förvaltning itself)."""
        return {self.verksamhet(uid) for uid in self.units if scope.covers(uid) and self.units[uid][2] is not None}

    def leaves(self, scope: Scope) -> set[int]:
        return {uid for uid in self.units if scope.covers(uid) and self.is_leaf(uid)}


@dataclass
class Scope:
    unit_ids: set[int] | None  # None: the whole förvaltning
    label: str
    wide: bool

    def where(self, column):
        if self.unit_ids is None:
            return literal(True)
        return column.in_(sorted(self.unit_ids)) if self.unit_ids else literal(False)

    def covers(self, uid: int) -> bool:
        return self.unit_ids is None or uid in self.unit_ids


# --- SQL shared by the reports ----------------------------------------------------------------------

def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def in_year(year: int):
    """Cases that occurred in the year. A range on the indexed column, so (type, occurred_on) serves it."""
    return and_(Case.occurred_on >= date(year, 1, 1), Case.occurred_on < date(year + 1, 1, 1))


def month_expr():
    return extract("month", Case.occurred_on)


def count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def verksamhet_expr(tree: OrgTree):
    """unit_id → verksamhet id, as a SQL CASE over the (small) unit table."""
    mapping = {uid: tree.verksamhet(uid) for uid in tree.units}
    if not mapping:
        return Case.unit_id
    return case(mapping, value=Case.unit_id, else_=Case.unit_id)

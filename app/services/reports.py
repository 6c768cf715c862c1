"""Report figures, aggregated in SQL over the denormalised case and task columns.

Nothing here loads cases into Python to count them: every function runs GROUP BY queries and gets
back at most one row per unit, month, category or similar. A year's cases are those that occurred in
it (`Case.occurred_on`: the event date of an avvikelse, the day a klagomål was received).

Scope (who sees which figures): an enhetschef the units where they hold the role, a verksamhetschef
the area below their unit, sas, socialchef, nämndsekreterare and admin the whole förvaltning. Others
get no reports. Figures are per unit, so scope is by the case's unit.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, extract, func, literal, or_, select

from app import clock
from app.extensions import db
from app.models import Case, Task, Unit
from app.services.access import cases_with_part, descendants_and_self
from app.services.errors import Forbidden, Invalid
from app.vocabulary import ASSESSMENTS, CATEGORIES

MANAGER_ROLES = ("enhetschef", "verksamhetschef")
WIDE_ROLES = ("sas", "socialchef", "namndsekreterare", "admin")
REPORT_ROLES = MANAGER_ROLES + WIDE_ROLES
# Who may write the kvalitetsberättelse's texts (it is the förvaltning's report to the nämnd).
AUTHOR_ROLES = WIDE_ROLES
GROUP_BY = ("verksamhet", "enhet", "kategori", "month")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december")
SEVERITIES = [("låg", "Låg"), ("medel", "Medel"), ("hög", "Hög"), ("mycket hög", "Mycket hög")]
NOT_ASSESSED = "Ej bedömd"


def categories() -> list[tuple[str, str]]:

    return list(CATEGORIES)


# --------------------------------------------------------------------------------------------------
# Tables: what every report hands to the page, the charts, the kvalitetsberättelse and the exports.

@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (key, Swedish heading)
    rows: list[dict]
    total: dict | None = None
    note: str = ""

    def as_json(self) -> dict:
        return {"key": self.key, "title": self.title, "columns": [{"key": k, "label": v} for k, v in self.columns],
                "rows": self.rows, "total": self.total, "note": self.note}

    def matrix(self) -> list[list]:
        """Heading row, the rows, and the total row (for CSV/XLSX)."""
        keys = [k for k, _ in self.columns]
        out = [[label for _, label in self.columns]]
        out += [[row.get(k) for k in keys] for row in self.rows]
        if self.total:
            out.append([self.total.get(k) for k in keys])
        return out


def _cell(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @ first) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what Swedish Excel opens correctly with a double click."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in table.matrix():
        writer.writerow(["" if v is None else (str(v).replace(".", ",") if isinstance(v, float) else _cell(v))
                         for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    matrix = table.matrix()
    for index, row in enumerate(matrix):
        sheet.append([_cell(v) for v in row])
        if index == 0 or (table.total and index == len(matrix) - 1):
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    if table.note:
        sheet.append([])
        sheet.append([table.note])
    for column in sheet.columns:
        width = max((len(str(c.value)) for c in column[1:] if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Parameters, scope and the organisation tree.

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
        while uid is not None:
            out.append(uid)
            uid = self.units[uid][2]
        return out

    def verksamhet(self, uid: int) -> int:
        """The unit's verksamhetsområde: the level below the förvaltning (the root itself for the root)."""
        chain = self.chain(uid)
        return chain[-2] if len(chain) >= 2 else chain[-1]

    def is_leaf(self, uid: int) -> bool:
        return not self.children.get(uid)


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


def may_see_reports(user) -> bool:
    return any(r.role in REPORT_ROLES for r in user.roles)


def may_write_texts(user) -> bool:
    return any(r.role in AUTHOR_ROLES for r in user.roles)


def report_scope(user, tree: OrgTree | None = None) -> Scope:
    if any(r.role in WIDE_ROLES for r in user.roles):
        return Scope(None, "Hela förvaltningen", True)
    tree = tree or OrgTree.load()
    units: set[int] = set()
    names = []
    for assignment in user.roles:
        if assignment.role in MANAGER_ROLES:
            units |= descendants_and_self(assignment.unit_id, tree.children)
            names.append(tree.name(assignment.unit_id))
    if not units:
        raise Forbidden("Statistik och rapporter visas för chefer, SAS, socialchef och nämndsekreterare.")
    return Scope(units, ", ".join(sorted(dict.fromkeys(names))), False)


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def in_year(year: int):
    """Cases that occurred in the year (`occurred_on`: the event date of an avvikelse, the day a
    klagomål was received). A range on the indexed column, so (type, occurred_on) serves it."""
    return and_(Case.occurred_on >= date(year, 1, 1), Case.occurred_on < date(year + 1, 1, 1))


def _month_expr():
    return extract("month", Case.occurred_on)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _verksamhet_expr(tree: OrgTree):
    """unit_id → verksamhet id, as a SQL CASE over the (small) unit table."""
    mapping = {uid: tree.verksamhet(uid) for uid in tree.units}
    if not mapping:
        return Case.unit_id
    return case(mapping, value=Case.unit_id, else_=Case.unit_id)


# --------------------------------------------------------------------------------------------------
# The summary (GET /api/v1/reports/summary).

COUNT_KEYS = ("avvikelser", "lex_sarah", "ivo_anmalningar", "klagomal")


def _counts():
    is_dev = Case.type == "avvikelse"
    return [
        _count_if(is_dev).label("avvikelser"),
        _count_if(and_(is_dev, Case.is_lex_sarah.is_(True))).label("lex_sarah"),
        _count_if(and_(is_dev, Case.ivo_notified.is_(True))).label("ivo_anmalningar"),
        _count_if(Case.type == "klagomal").label("klagomal"),
    ]


def totals(scope: Scope, year: int) -> dict:
    """The year's four headline counts in one query."""
    row = db.session.execute(select(*_counts()).where(
        Case.type.in_(("avvikelse", "klagomal")), in_year(year), scope.where(Case.unit_id))).one()
    return {k: int(getattr(row, k)) for k in COUNT_KEYS}


def summary(user, year: int, group_by: str = "verksamhet") -> dict:
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    if group_by == "verksamhet":
        key_expr = _verksamhet_expr(tree)
    elif group_by == "enhet":
        key_expr = Case.unit_id
    elif group_by == "kategori":  # a klagomål gets its category when the unit handles it
        key_expr = func.coalesce(Case.category, Case.fields["category"].as_string())
    else:
        key_expr = _month_expr()
    query = (select(key_expr.label("key"), *_counts())
             .where(Case.type.in_(("avvikelse", "klagomal")), in_year(year), scope.where(Case.unit_id))
             .group_by(key_expr))
    found = {row.key: {k: int(getattr(row, k)) for k in COUNT_KEYS} for row in db.session.execute(query)}
    groups = []
    for key, name in _group_keys(group_by, tree, scope, found):
        counts = found.get(key) or dict.fromkeys(COUNT_KEYS, 0)
        groups.append({"key": _public_key(group_by, key, tree, year), "name": name, **counts})
    total = {k: sum(g[k] for g in groups) for k in COUNT_KEYS}
    return {
        "year": year, "group_by": group_by, "scope": scope.label, "groups": groups, "total": total,
        "per_kategori": by_category(user, year, scope=scope)["rows"],
        "per_allvarlighet": by_severity(user, year, scope=scope)["rows"],
    }


def _public_key(group_by, key, tree, year):
    if group_by in ("verksamhet", "enhet"):
        return tree.code(key)
    if group_by == "month":
        return f"{year}-{int(key):02d}"
    return key if key is not None else ""


def _group_keys(group_by, tree: OrgTree, scope: Scope, found: dict) -> list[tuple]:
    """Every group the caller may see, also those without cases (a zero is a figure too)."""
    if group_by == "month":
        return [(m, MONTHS[m - 1].capitalize()) for m in range(1, 13)]
    if group_by == "kategori":
        known, labels = categories(), _labels("app.forms.klagomal", "COMPLAINT_CATEGORIES")
        extra = [(k, labels.get(k, k) if k else "Utan kategori") for k in found if k not in dict(known)]
        return known + sorted(extra, key=lambda item: item[1])
    if group_by == "verksamhet":  # the areas in scope (the förvaltning itself only if it has cases)
        keys = {tree.verksamhet(uid) for uid in tree.units if scope.covers(uid) and tree.units[uid][2] is not None}
        keys |= set(found)
    else:
        keys = {uid for uid in tree.units if scope.covers(uid) and tree.is_leaf(uid)} | set(found)
    return sorted(((k, tree.name(k)) for k in keys), key=lambda item: item[1])


def by_category(user, year: int, *, scope: Scope | None = None) -> dict:
    scope = scope or report_scope(user)
    query = (select(Case.category, func.count().label("n"))
             .where(Case.type == "avvikelse", in_year(year), scope.where(Case.unit_id)).group_by(Case.category))
    found = {key: n for key, n in db.session.execute(query)}
    rows = [{"key": key, "name": name, "avvikelser": int(found.get(key, 0))} for key, name in categories()]
    rows += [{"key": key or "", "name": key or "Utan kategori", "avvikelser": int(n)}
             for key, n in found.items() if key not in dict(categories())]
    return {"rows": rows, "total": sum(r["avvikelser"] for r in rows)}


def by_severity(user, year: int, *, scope: Scope | None = None) -> dict:
    scope = scope or report_scope(user)
    query = (select(Case.severity, func.count().label("n"))
             .where(Case.type == "avvikelse", in_year(year), scope.where(Case.unit_id)).group_by(Case.severity))
    found = {key: n for key, n in db.session.execute(query)}
    rows = [{"key": key, "name": name, "avvikelser": int(found.get(key, 0))} for key, name in SEVERITIES]
    rows += [{"key": key or "", "name": key or NOT_ASSESSED, "avvikelser": int(n)}
             for key, n in found.items() if key not in dict(SEVERITIES)]
    return {"rows": rows, "total": sum(r["avvikelser"] for r in rows)}


def summary_tables(data: dict) -> list[Table]:
    heading = {"verksamhet": "Verksamhetsområde", "enhet": "Enhet", "kategori": "Kategori", "month": "Månad"}
    columns = [("name", heading[data["group_by"]]), ("avvikelser", "Avvikelser"), ("lex_sarah", "Lex Sarah"),
               ("ivo_anmalningar", "IVO-anmälningar"), ("klagomal", "Synpunkter och klagomål")]
    return [
        Table(f"sammanstallning_{data['group_by']}", f"Sammanställning {data['year']} per {heading[data['group_by']].lower()}",
              columns, data["groups"], {"name": "Totalt", **data["total"]}),
        Table("avvikelser_kategori", f"Avvikelser {data['year']} per kategori",
              [("name", "Kategori"), ("avvikelser", "Avvikelser")], data["per_kategori"],
              {"name": "Totalt", "avvikelser": sum(r["avvikelser"] for r in data["per_kategori"])}),
        Table("avvikelser_allvarlighet", f"Avvikelser {data['year']} per allvarlighetsgrad",
              [("name", "Allvarlighetsgrad"), ("avvikelser", "Avvikelser")], data["per_allvarlighet"],
              {"name": "Totalt", "avvikelser": sum(r["avvikelser"] for r in data["per_allvarlighet"])}),
    ]


# --------------------------------------------------------------------------------------------------
# The statistics page's figures.

def month_by_category(scope: Scope, year: int) -> Table:
    month = _month_expr()
    query = (select(month.label("m"), Case.category, func.count().label("n"))
             .where(Case.type == "avvikelse", in_year(year), scope.where(Case.unit_id))
             .group_by(month, Case.category))
    counts: dict[tuple[int, str], int] = {(int(m), c or ""): int(n) for m, c, n in db.session.execute(query)}
    cats = categories() + sorted({(c, c or "Utan kategori") for _, c in counts if c not in dict(categories())})
    used = [(k, v) for k, v in cats if any(counts.get((m, k)) for m in range(1, 13))]
    rows = []
    for m in range(1, 13):
        row = {"month": MONTHS[m - 1].capitalize()}
        row.update({k: counts.get((m, k), 0) for k, _ in used})
        row["total"] = sum(counts.get((m, k), 0) for k, _ in used)
        rows.append(row)
    total = {"month": "Totalt", **{k: sum(r[k] for r in rows) for k, _ in used}, "total": sum(r["total"] for r in rows)}
    return Table("avvikelser_manad_kategori", f"Avvikelser {year} per månad och kategori",
                 [("month", "Månad"), *used, ("total", "Totalt")], rows, total)


def units_vs_last_year(scope: Scope, year: int, tree: OrgTree) -> Table:
    this_year = case((Case.occurred_on >= date(year, 1, 1), 1), else_=0)
    query = (select(Case.unit_id, _count_if(this_year == 1).label("now"), _count_if(this_year == 0).label("before"))
             .where(Case.type == "avvikelse", Case.occurred_on >= date(year - 1, 1, 1),
                    Case.occurred_on < date(year + 1, 1, 1), scope.where(Case.unit_id))
             .group_by(Case.unit_id))
    found = {uid: (int(now), int(before)) for uid, now, before in db.session.execute(query)}
    keys = {uid for uid in tree.units if scope.covers(uid) and tree.is_leaf(uid)} | set(found)
    rows = []
    for uid in sorted(keys, key=lambda k: (tree.name(tree.verksamhet(k)), tree.name(k))):
        now, before = found.get(uid, (0, 0))
        change = None if before == 0 else round(100.0 * (now - before) / before)
        rows.append({"unit": tree.name(uid), "code": tree.code(uid), "verksamhet": tree.name(tree.verksamhet(uid)),
                     "previous": before, "current": now, "change": change})
    total_now, total_before = sum(r["current"] for r in rows), sum(r["previous"] for r in rows)
    total = {"unit": "Totalt", "code": "", "verksamhet": "", "previous": total_before, "current": total_now,
             "change": None if not total_before else round(100.0 * (total_now - total_before) / total_before)}
    return Table("avvikelser_enhet_jamforelse", f"Avvikelser per enhet {year} jämfört med {year - 1}",
                 [("unit", "Enhet"), ("verksamhet", "Verksamhetsområde"), ("previous", str(year - 1)),
                  ("current", str(year)), ("change", "Förändring (%)")], rows, total)


def _days_between(start, end):
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def lead_times(scope: Scope, year: int, tree: OrgTree) -> Table:
    """Days from report (registration) to closure for the year's closed deviations: median and the
    90th percentile per verksamhetsområde and in total, ranked with window functions in SQL (the same
    query on SQLite and PostgreSQL; the median of an even count is the mean of the two middle values,
    the 90th percentile the nearest rank)."""
    # One pass over the cases, ranked within the verksamhetsområde and overall (a CTE used twice is
    # materialised once by both databases); the total is the group -1.
    ranked = (select(_verksamhet_expr(tree).label("g"), _days_between(Case.created_at, Case.closed_at).label("d"))
              .where(Case.type == "avvikelse", Case.closed_at.is_not(None), in_year(year), scope.where(Case.unit_id))
              .subquery())
    ranked = select(
        ranked.c.g, ranked.c.d,
        func.row_number().over(partition_by=ranked.c.g, order_by=ranked.c.d).label("rn"),
        func.count().over(partition_by=ranked.c.g).label("n"),
        func.row_number().over(order_by=ranked.c.d).label("all_rn"),
        func.count().over().label("all_n"),
    ).cte("ranked")

    def figures(group, rn, n):
        middle = or_(rn == (n + 1) // 2, rn == (n + 2) // 2)
        return select(group.label("g"), func.max(n).label("n"), func.avg(case((middle, ranked.c.d))).label("median"),
                      func.max(case((rn == (9 * n + 9) // 10, ranked.c.d))).label("p90"),
                      func.avg(ranked.c.d).label("mean"))

    query = figures(ranked.c.g, ranked.c.rn, ranked.c.n).group_by(ranked.c.g).union_all(
        figures(literal(-1), ranked.c.all_rn, ranked.c.all_n))
    found = {g: row for g, *row in db.session.execute(query)}

    def row_for(name, values):
        n_, median, p90, mean = values if values else (0, None, None, None)
        return {"name": name, "closed": int(n_ or 0), "median": _round(median), "p90": _round(p90), "mean": _round(mean)}

    groups = {tree.verksamhet(uid) for uid in tree.units if scope.covers(uid) and tree.units[uid][2] is not None}
    groups |= {g for g in found if g != -1}
    rows = [row_for(tree.name(g), found.get(g)) for g in sorted(groups, key=tree.name)]
    return Table("ledtid", f"Ledtid från rapport till avslut, avvikelser {year} (dagar)",
                 [("name", "Verksamhetsområde"), ("closed", "Avslutade"), ("median", "Median"),
                  ("p90", "90:e percentilen"), ("mean", "Medel")], rows, row_for("Totalt", found.get(-1)),
                 "Avslutade avvikelser som inträffade under året; tid från registrering till avslut.")


def _round(value):
    return None if value is None else round(float(value), 1)


def followups_on_time(scope: Scope, year: int, tree: OrgTree) -> Table:
    """chef_uppfoljning (the enhetschef's follow-up) of the year's deviations: done by the deadline,
    late (done after it, or still open past it), and not yet due."""
    now = clock.now()
    done = Task.completed_at.is_not(None)
    on_time = and_(done, or_(Task.due_at.is_(None), Task.completed_at <= Task.due_at))
    late = or_(and_(done, Task.completed_at > Task.due_at), and_(~done, Task.due_at < now))
    query = (select(Case.unit_id, _count_if(on_time).label("on_time"), _count_if(late).label("late"),
                    _count_if(and_(~done, or_(Task.due_at.is_(None), Task.due_at >= now))).label("pending"))
             .join(Case, Case.id == Task.case_id)
             .where(Task.task_id == "chef_uppfoljning", Task.state != "withdrawn", Case.type == "avvikelse",
                    in_year(year), scope.where(Case.unit_id))
             .group_by(Case.unit_id))
    found = {uid: (int(a), int(b), int(c)) for uid, a, b, c in db.session.execute(query)}

    def row_for(name, on, lt, pending):
        judged = on + lt
        return {"unit": name, "on_time": on, "late": lt, "pending": pending,
                "share": None if not judged else round(100.0 * on / judged, 1)}

    rows = [row_for(tree.name(uid), *found[uid]) for uid in sorted(found, key=tree.name)]
    total = row_for("Totalt", *(sum(v[i] for v in found.values()) for i in range(3)))
    return Table("uppfoljning_i_tid", f"Enhetschefens uppföljning i tid, avvikelser {year}",
                 [("unit", "Enhet"), ("on_time", "I tid"), ("late", "Försenade"), ("pending", "Ej förfallna"),
                  ("share", "Andel i tid (%)")], rows, total,
                 "Uppgiften Följ upp avvikelsen; försenad = klar efter sista dag eller fortfarande öppen efter den.")


def overdue_tasks(scope: Scope, tree: OrgTree) -> Table:
    """Open tasks past their deadline now, per unit of the case."""
    now = clock.now()
    query = (select(Case.unit_id, func.count().label("n"), func.min(Task.due_at).label("oldest"))
             .join(Case, Case.id == Task.case_id)
             .where(Task.state == "open", Task.due_at < now, scope.where(Case.unit_id))
             .group_by(Case.unit_id))
    rows = []
    for uid, n, oldest in db.session.execute(query):
        oldest = clock.to_local(oldest if not isinstance(oldest, str) else _parse_dt(oldest))
        rows.append({"unit": tree.name(uid), "verksamhet": tree.name(tree.verksamhet(uid)), "overdue": int(n),
                     "oldest": oldest.date().isoformat() if oldest else None})
    rows.sort(key=lambda r: (-r["overdue"], r["unit"]))
    return Table("forsenade_uppgifter", f"Öppna försenade uppgifter per enhet ({clock.today().isoformat()})",
                 [("unit", "Enhet"), ("verksamhet", "Verksamhetsområde"), ("overdue", "Försenade uppgifter"),
                  ("oldest", "Äldsta sista dag")], rows,
                 {"unit": "Totalt", "verksamhet": "", "overdue": sum(r["overdue"] for r in rows), "oldest": None})


def _parse_dt(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value)


def lex_sarah_cases(user, scope: Scope, year: int, tree: OrgTree) -> Table:
    """The year's lex Sarah cases with verksamhet, händelse, bedömning and anmälan. Only the short
    title and the decisive fields are read (JSON extraction in SQL), never the investigation text.
    The bedömning is shown to those with a part in the case (access.SENSITIVE_FIELDS)."""

    f = Case.fields
    query = (select(Case.id, Case.number, Case.unit_id, Case.occurred_on, Case.title, Case.category, Case.status,
                    Case.ivo_notified, f["assessment"].as_string(), f["notify_ivo"].as_boolean(),
                    f["sent_on"].as_string(), f["ivo_reference"].as_string())
             .where(Case.type == "avvikelse", Case.is_lex_sarah.is_(True), in_year(year), scope.where(Case.unit_id))
             .order_by(Case.occurred_on, Case.number))
    rows_in = db.session.execute(query).all()
    # Not the report scope: the nämnd secretary sees every unit's figures but has no part in the cases.
    visible = cases_with_part(user, [r[0] for r in rows_in])
    assessments, category_names = dict(ASSESSMENTS), dict(CATEGORIES)
    rows = []
    for cid, number, uid, occurred, title, category, status, notified, assessment, notify, sent_on, ref in rows_in:
        if cid not in visible:
            judged = "Visas för den som har del i ärendet"
        elif assessment:
            judged = assessments.get(assessment, assessment)
        else:
            judged = "Utredning pågår"
        if notified:
            reported = f"Anmäld till IVO {sent_on or ''}".strip() + (f" ({ref})" if ref else "")
        elif notify is False:
            reported = "Ej anmäld (beslut)"
        elif notify is True:
            reported = "Beslut om anmälan; ej skickad"
        else:
            reported = "Beslut ej fattat" if status != "avslutad" else "Ej anmäld"
        rows.append({"number": number, "verksamhet": tree.name(tree.verksamhet(uid)), "unit": tree.name(uid),
                     "occurred_on": occurred.isoformat() if occurred else None,
                     "event": f"{category_names.get(category, category or '')}: {title}".strip(": "),
                     "assessment": judged, "ivo": reported})
    return Table("lex_sarah", f"Lex Sarah-rapporter {year}",
                 [("number", "Ärende"), ("verksamhet", "Verksamhetsområde"), ("unit", "Enhet"),
                  ("occurred_on", "Inträffade"), ("event", "Händelse"), ("assessment", "Bedömning"),
                  ("ivo", "Anmälan till IVO")], rows)


def complaints(scope: Scope, year: int, tree: OrgTree) -> Table:
    """Synpunkter och klagomål per verksamhetsområde from the case columns: received, closed, open."""
    verksamhet = _verksamhet_expr(tree)
    query = (select(verksamhet.label("g"), func.count().label("n"),
                    _count_if(Case.status == "avslutad").label("closed"))
             .where(Case.type == "klagomal", in_year(year), scope.where(Case.unit_id)).group_by(verksamhet))
    found = {g: (int(n), int(closed)) for g, n, closed in db.session.execute(query)}
    groups = {tree.verksamhet(uid) for uid in tree.units if scope.covers(uid) and tree.units[uid][2] is not None}
    rows = []
    for g in sorted(groups | set(found), key=tree.name):
        n, closed = found.get(g, (0, 0))
        rows.append({"name": tree.name(g), "received": n, "closed": closed, "open": n - closed})
    total = {"name": "Totalt", **{k: sum(r[k] for r in rows) for k in ("received", "closed", "open")}}
    return Table("klagomal_verksamhet", f"Synpunkter och klagomål {year} per verksamhetsområde",
                 [("name", "Verksamhetsområde"), ("received", "Inkomna"), ("closed", "Avslutade"), ("open", "Pågående")],
                 rows, total)


def _labels(module: str, name: str) -> dict:
    import importlib

    try:
        return dict(getattr(importlib.import_module(module), name))
    except (ImportError, AttributeError):
        return {}


def complaints_by(scope: Scope, year: int, field_name: str) -> Table:
    """Synpunkter och klagomål counted by a registration or handling field (category, channel, kind),
    grouped in SQL on the JSON field."""
    spec = {
        "category": ("klagomal_kategori", "Kategori", "app.forms.klagomal", "COMPLAINT_CATEGORIES"),
        "channel": ("klagomal_kanal", "Hur de kom in", "app.forms.klagomal", "CHANNELS"),
        "kind": ("klagomal_typ", "Typ", "app.forms.klagomal", "KINDS"),
    }[field_name]
    key, heading, module, labels_name = spec
    labels = _labels(module, labels_name)
    value = Case.fields[field_name].as_string()
    if field_name == "category":
        value = func.coalesce(Case.category, value)
    query = (select(value.label("v"), func.count().label("n"))
             .where(Case.type == "klagomal", in_year(year), scope.where(Case.unit_id)).group_by(value))
    found = {v: int(n) for v, n in db.session.execute(query)}
    rows = [{"name": labels.get(v, v) if v else "Ej angivet", "count": n}
            for v, n in sorted(found.items(), key=lambda item: (-item[1], item[0] or "~"))]
    return Table(key, f"Synpunkter och klagomål {year} per {heading.lower()}", [("name", heading), ("count", "Antal")],
                 rows, {"name": "Totalt", "count": sum(found.values())})


def pdca_cycles(scope: Scope, year: int, tree: OrgTree) -> list[Table] | None:
    """PDCA cycles run in the year, from the turn records of the PDCA flow (None if it is not installed):
    per verksamhetsområde the cycles, the turns followed up, goals met, and how they ended."""
    try:
        from app.models import PdcaTurn
    except ImportError:
        return None
    start, end = clock.local_midnight(date(year, 1, 1)), clock.local_midnight(date(year + 1, 1, 1))
    in_year_turn = and_(PdcaTurn.started_at < end, or_(PdcaTurn.decided_at.is_(None), PdcaTurn.decided_at >= start))
    followed = and_(PdcaTurn.followed_up_at >= start, PdcaTurn.followed_up_at < end)
    decided = and_(PdcaTurn.decided_at >= start, PdcaTurn.decided_at < end)
    verksamhet = _verksamhet_expr(tree)
    query = (select(verksamhet.label("g"), func.count(func.distinct(PdcaTurn.case_id)).label("cycles"),
                    func.count(PdcaTurn.id).label("turns"),
                    _count_if(followed).label("followed"),
                    _count_if(and_(followed, PdcaTurn.goal_met.is_(True))).label("goal_met"),
                    _count_if(and_(decided, PdcaTurn.decision == "standardisera")).label("standardised"),
                    _count_if(and_(decided, PdcaTurn.decision == "ny_cykel")).label("new_turn"),
                    _count_if(and_(decided, PdcaTurn.decision == "avsluta")).label("ended"),
                    _count_if(PdcaTurn.overdue.is_(True)).label("overdue"))
             .join(Case, Case.id == PdcaTurn.case_id)
             .where(Case.type == "pdca", in_year_turn, scope.where(Case.unit_id)).group_by(verksamhet))
    keys = ("cycles", "turns", "followed", "goal_met", "standardised", "new_turn", "ended", "overdue")
    rows = [{"name": tree.name(row.g), **{k: int(getattr(row, k)) for k in keys}}
            for row in sorted(db.session.execute(query), key=lambda row: tree.name(row.g))]
    summary_table = Table(
        "pdca_verksamhet", f"Förbättringsarbeten (PDCA) {year} per verksamhetsområde",
        [("name", "Verksamhetsområde"), ("cycles", "Förbättringsarbeten"), ("turns", "Omgångar"),
         ("followed", "Uppföljda"), ("goal_met", "Målet nått"), ("standardised", "Blev rutin"),
         ("new_turn", "Ny omgång"), ("ended", "Avslutade"), ("overdue", "Försenad uppföljning")],
        rows, {"name": "Totalt", **{k: sum(r[k] for r in rows) for k in keys}},
        "Omgångar som pågick någon gång under året; uppföljning och beslut räknas det år de gjordes.")
    # The year's cycles one by one (a handful per unit): title, turns, last result and decision.
    last = (select(PdcaTurn.case_id, func.max(PdcaTurn.number).label("n"))
            .where(in_year_turn).group_by(PdcaTurn.case_id).subquery())
    listing = (select(Case.number, Case.unit_id, Case.title, Case.status, last.c.n, PdcaTurn.goal_met,
                      PdcaTurn.decision)
               .join(last, last.c.case_id == Case.id)
               .join(PdcaTurn, and_(PdcaTurn.case_id == Case.id, PdcaTurn.number == last.c.n))
               .where(Case.type == "pdca", scope.where(Case.unit_id)).order_by(Case.number).limit(500))
    decisions = _labels("app.forms.pdca", "DECISIONS")
    items = [{"number": number, "unit": tree.name(uid), "title": title, "turns": n,
              "goal_met": None if goal is None else ("Ja" if goal else "Nej"),
              "decision": decisions.get(decision, decision) if decision else ("Pågår" if status != "avslutad" else "–")}
             for number, uid, title, status, n, goal, decision in db.session.execute(listing)]
    list_table = Table("pdca_lista", f"Förbättringsarbeten (PDCA) {year}",
                       [("number", "Ärende"), ("unit", "Enhet"), ("title", "Förbättringsarbete"), ("turns", "Omgångar"),
                        ("goal_met", "Målet nått (senaste omgången)"), ("decision", "Beslut")], items)
    return [summary_table, list_table]


def pattern_signals(scope: Scope, year: int, tree: OrgTree) -> Table | None:
    """Repeated deviations or complaints of one kind in one unit (the pattern signal of the PDCA flow)
    raised in the year, per category and what was decided (None if the flow is not installed)."""
    try:
        from app.models import PatternSignal
    except ImportError:
        return None
    start, end = clock.local_midnight(date(year, 1, 1)), clock.local_midnight(date(year + 1, 1, 1))
    query = (select(PatternSignal.unit_id, PatternSignal.category, PatternSignal.decision, func.count().label("n"))
             .where(PatternSignal.created_at >= start, PatternSignal.created_at < end,
                    scope.where(PatternSignal.unit_id))
             .group_by(PatternSignal.unit_id, PatternSignal.category, PatternSignal.decision))
    categories_ = _labels("app.forms.klagomal", "COMPLAINT_CATEGORIES") or dict(categories())
    decisions = _labels("app.forms.pdca", "SIGNAL_DECISIONS")
    rows = [{"unit": tree.name(uid), "category": categories_.get(category, category),
             "decision": decisions.get(decision, decision) if decision else "Ej bedömd", "count": int(n)}
            for uid, category, decision, n in db.session.execute(query)]
    rows.sort(key=lambda r: (r["unit"], r["category"]))
    return Table("monstersignaler", f"Upprepade avvikelser och klagomål av samma slag {year} (mönstersignaler)",
                 [("unit", "Enhet"), ("category", "Kategori"), ("decision", "Bedömning"), ("count", "Antal")], rows,
                 {"unit": "Totalt", "category": "", "decision": "", "count": sum(r["count"] for r in rows)})


def statistics(user, year: int) -> dict:
    """Everything the statistics page shows, each as a Table (the charts are drawn from them)."""
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    return {
        "year": year, "scope": scope,
        "tables": {
            t.key: t for t in (
                month_by_category(scope, year),
                units_vs_last_year(scope, year, tree),
                lead_times(scope, year, tree),
                followups_on_time(scope, year, tree),
                overdue_tasks(scope, tree),
            )
        },
    }


def table_by_key(user, year: int, key: str) -> Table:
    """Any report table by its key (for CSV/XLSX export), computing only that table."""
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    producers = {
        "avvikelser_manad_kategori": lambda: month_by_category(scope, year),
        "avvikelser_enhet_jamforelse": lambda: units_vs_last_year(scope, year, tree),
        "ledtid": lambda: lead_times(scope, year, tree),
        "uppfoljning_i_tid": lambda: followups_on_time(scope, year, tree),
        "forsenade_uppgifter": lambda: overdue_tasks(scope, tree),
        "lex_sarah": lambda: lex_sarah_cases(user, scope, year, tree),
        "klagomal_verksamhet": lambda: complaints(scope, year, tree),
        "klagomal_kategori": lambda: complaints_by(scope, year, "category"),
        "klagomal_kanal": lambda: complaints_by(scope, year, "channel"),
        "klagomal_typ": lambda: complaints_by(scope, year, "kind"),
        "monstersignaler": lambda: pattern_signals(scope, year, tree),
    }
    if key in producers:
        return producers[key]()
    summary_keys = {f"sammanstallning_{g}": (g, 0) for g in GROUP_BY}
    summary_keys.update({"avvikelser_kategori": ("verksamhet", 1), "avvikelser_allvarlighet": ("verksamhet", 2)})
    if key in summary_keys:
        group_by, index = summary_keys[key]
        return summary_tables(summary(user, year, group_by))[index]
    from app.services import kvalitetsberattelse

    for table in kvalitetsberattelse.all_tables(user, year):
        if table.key == key:
            return table
    from app.services.errors import NotFound

    raise NotFound("Tabellen finns inte.")

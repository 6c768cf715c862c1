"""The statistics page's figures (/statistik): deviations per month and category, per unit against the
year before, lead times, the enhetschef's follow-ups in time and the overdue tasks now. Each is a
Table, computed in SQL; the page draws a chart from it and offers it as CSV and XLSX."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select

from app import clock
from app.extensions import db
from app.models import Case, Task
from app.services import categories
from app.services.access import supervises
from app.services.reports import kontroller, tillsyn
from app.services.reports.access import report_scope
from app.services.reports.counts import overview, per_tertial
from app.services.reports.scope import OrgTree, Scope, count_if, in_year, month_expr, verksamhet_expr
from app.services.reports.table import Table
from app.vocabulary import MONTHS


def month_by_category(scope: Scope, year: int) -> Table:
    month = month_expr()
    query = (select(month.label("m"), Case.category, func.count().label("n"))
             .where(Case.type == "avvikelse", in_year(year), scope.where(Case.unit_id))
             .group_by(month, Case.category))
    counts: dict[tuple[int, str], int] = {(int(m), c or ""): int(n) for m, c, n in db.session.execute(query)}
    known = categories.deviation_categories()
    cats = known + sorted({(c, categories.label(c)) for _, c in counts if c not in dict(known)})
    used = [(k, v) for k, v in cats if any(counts.get((m, k)) for m in range(1, 13))]
    rows: list[dict[str, Any]] = []
    for m in range(1, 13):
        row: dict[str, Any] = {"month": MONTHS[m - 1].capitalize()}
        row.update({k: counts.get((m, k), 0) for k, _ in used})
        row["total"] = sum(counts.get((m, k), 0) for k, _ in used)
        rows.append(row)
    total = {"month": "Totalt", **{k: sum(r[k] for r in rows) for k, _ in used}, "total": sum(r["total"] for r in rows)}
    return Table("avvikelser_manad_kategori", f"Avvikelser {year} per månad och kategori",
                 [("month", "Månad"), *used, ("total", "Totalt")], rows, total)


def units_vs_last_year(scope: Scope, year: int, tree: OrgTree) -> Table:
    this_year = case((Case.occurred_on >= date(year, 1, 1), 1), else_=0)
    query = (select(Case.unit_id, count_if(this_year == 1).label("now"), count_if(this_year == 0).label("before"))
             .where(Case.type == "avvikelse", Case.occurred_on >= date(year - 1, 1, 1),
                    Case.occurred_on < date(year + 1, 1, 1), scope.where(Case.unit_id))
             .group_by(Case.unit_id))
    found = {uid: (int(now), int(before)) for uid, now, before in db.session.execute(query)}
    keys = tree.leaves(scope) | set(found)
    rows: list[dict[str, Any]] = []
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
    closed = (select(verksamhet_expr(tree).label("g"), _days_between(Case.created_at, Case.closed_at).label("d"))
              .where(Case.type == "avvikelse", Case.closed_at.is_not(None), in_year(year), scope.where(Case.unit_id))
              .subquery())
    ranked = select(
        closed.c.g, closed.c.d,
        func.row_number().over(partition_by=closed.c.g, order_by=closed.c.d).label("rn"),
        func.count().over(partition_by=closed.c.g).label("n"),
        func.row_number().over(order_by=closed.c.d).label("all_rn"),
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
        return {"name": name, "closed": int(n_ or 0), "median": _round(median), "p90": _round(p90),
                "mean": _round(mean)}

    groups = tree.verksamheter(scope)
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
    query = (select(Case.unit_id, count_if(on_time).label("on_time"), count_if(late).label("late"),
                    count_if(and_(~done, or_(Task.due_at.is_(None), Task.due_at >= now))).label("pending"))
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
    rows: list[dict[str, Any]] = []
    for uid, n, oldest in db.session.execute(query):
        oldest = clock.to_local(oldest if not isinstance(oldest, str) else datetime.fromisoformat(oldest))
        rows.append({"unit": tree.name(uid), "verksamhet": tree.name(tree.verksamhet(uid)), "overdue": int(n),
                     "oldest": oldest.date().isoformat() if oldest else None})
    rows.sort(key=lambda r: (-r["overdue"], r["unit"]))
    return Table("forsenade_uppgifter", f"Öppna försenade uppgifter per enhet ({clock.today().isoformat()})",
                 [("unit", "Enhet"), ("verksamhet", "Verksamhetsområde"), ("overdue", "Försenade uppgifter"),
                  ("oldest", "Äldsta sista dag")], rows,
                 {"unit": "Totalt", "verksamhet": "", "overdue": sum(r["overdue"] for r in rows), "oldest": None})


def planned_controls(user, year: int) -> list[Table]:
    """The kontroller report's figures and, for those who see the supervision register, the tillsyn
    report's counts by authority and by decision (each scoped as its report)."""
    found = [kontroller.figures_table(user, year)]
    if supervises(user):
        found += tillsyn.tables(user, year)[1:]  # the counts; the register itself is the Tillsyn page
    return found


def statistics(user, year: int) -> dict:
    """Everything the statistics page shows, each as a Table (the charts are drawn from them)."""
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    return {
        "year": year, "scope": scope,
        "tables": {
            t.key: t for t in (
                overview(scope, year),
                per_tertial(scope, year),
                month_by_category(scope, year),
                units_vs_last_year(scope, year, tree),
                lead_times(scope, year, tree),
                followups_on_time(scope, year, tree),
                overdue_tasks(scope, tree),
                *planned_controls(user, year),
            )
        },
    }

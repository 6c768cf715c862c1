"""The summary (GET /api/v1/reports/summary): the year's headline counts per verksamhetsområde, enhet,
kategori or month, and the deviations per category and per severity. GROUP BY queries over the
denormalised case columns: at most one row per group comes back, no case is loaded to be counted.

Counted as the municipalities' own reports count them (apart, then added up): `avvikelser` are the
deviation reports that did not become lex Sarah reports, `lex_sarah` the lex Sarah reports, `klagomal`
synpunkter och klagomål, `rapporter` their sum; `ivo_anmalningar` (of the lex Sarah reports) is beside
them. `andelar` gives each kind's share of `rapporter` in per cent. A tertial (1–3: January–April,
May–August, September–December) narrows the year, as the tertial reports do."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, extract, func, select

from app.extensions import db
from app.models import Case
from app.models.roles import memoized
from app.services import categories
from app.services.errors import Invalid
from app.services.reports.access import report_scope
from app.services.reports.scope import GROUP_BY, OrgTree, Scope, count_if, in_year, month_expr, verksamhet_expr
from app.services.reports.table import Table
from app.vocabulary import MONTHS, NOT_ASSESSED, SEVERITIES

# lex_maria (the MAS's investigations of possible vårdskador) and lex_maria_anmalningar (notified to IVO)
# are beside the disjoint counts: a lex Maria case is also an avvikelse or a lex Sarah report.
COUNT_KEYS = ("avvikelser", "lex_sarah", "ivo_anmalningar", "klagomal", "lex_maria", "lex_maria_anmalningar")
DISJOINT_KEYS = ("avvikelser", "lex_sarah", "klagomal")  # they add up to `rapporter`
TERTIALS = {1: "Tertial 1 (januari–april)", 2: "Tertial 2 (maj–augusti)", 3: "Tertial 3 (september–december)"}
GROUP_HEADINGS = {"verksamhet": "Verksamhetsområde", "enhet": "Enhet", "kategori": "Kategori", "month": "Månad"}


def _counts():
    is_dev = Case.type == "avvikelse"
    return [
        count_if(and_(is_dev, Case.is_lex_sarah.is_not(True))).label("avvikelser"),
        count_if(and_(is_dev, Case.is_lex_sarah.is_(True))).label("lex_sarah"),
        count_if(and_(is_dev, Case.ivo_notified.is_(True))).label("ivo_anmalningar"),
        count_if(Case.type == "klagomal").label("klagomal"),
        count_if(and_(is_dev, Case.is_lex_maria.is_(True))).label("lex_maria"),
        count_if(and_(is_dev, Case.lex_maria_notified.is_(True))).label("lex_maria_anmalningar"),
    ]


def with_sum(counts: dict) -> dict:
    """The counts with `rapporter` (their sum) and `andelar` (each kind's share of it, in per cent)."""
    total = sum(counts[k] for k in DISJOINT_KEYS)
    shares = {k: (round(100 * counts[k] / total, 1) if total else None) for k in DISJOINT_KEYS}
    return {**counts, "rapporter": total, "andelar": shares}


def parse_tertial(value) -> int | None:
    if value in (None, ""):
        return None
    if str(value).strip() not in ("1", "2", "3"):
        raise Invalid("Ogiltigt tertial.", {"tertial": ["Ange tertial 1, 2 eller 3."]})
    return int(str(value).strip())


def in_period(year: int, tertial: int | None = None):
    """The year, or one of its tertials (four calendar months each)."""
    if tertial is None:
        return in_year(year)
    start = date(year, 4 * (tertial - 1) + 1, 1)
    end = date(year + 1, 1, 1) if tertial == 3 else date(year, 4 * tertial + 1, 1)
    return and_(Case.occurred_on >= start, Case.occurred_on < end)


def totals(scope: Scope, year: int, tertial: int | None = None) -> dict:
    """The year's (or tertial's) headline counts in one query, with their sum and shares. Inside `memo()`
    (a report being built: its sections ask for the same year several times) asked once, or not at all
    when `overview` or `per_tertial` counted the period already."""
    def count() -> dict:
        row = db.session.execute(select(*_counts()).where(
            Case.type.in_(("avvikelse", "klagomal")), in_period(year, tertial), scope.where(Case.unit_id))).one()
        return with_sum({k: int(getattr(row, k)) for k in COUNT_KEYS})

    return memoized(_totals_key(scope, year, tertial), count)


def _totals_key(scope: Scope, year: int, tertial: int | None) -> tuple:
    return "report_totals", None if scope.unit_ids is None else frozenset(scope.unit_ids), year, tertial


def _totals_by(scope: Scope, group, period) -> dict[int, dict]:
    """The headline counts of `period` per value of `group` (a year, a tertial), in one query."""
    rows = db.session.execute(select(group.label("g"), *_counts()).where(
        Case.type.in_(("avvikelse", "klagomal")), period, scope.where(Case.unit_id)).group_by(group))
    return {int(row.g): with_sum({k: int(getattr(row, k)) for k in COUNT_KEYS}) for row in rows}


def _seeded(scope: Scope, year: int, tertial: int | None, counts: dict | None) -> dict:
    """`counts` (zeros when the period has no case), kept for `totals` inside `memo()`."""
    value = counts if counts is not None else with_sum(dict.fromkeys(COUNT_KEYS, 0))
    return memoized(_totals_key(scope, year, tertial), lambda: value)


def overview(scope: Scope, year: int, years: int = 4) -> Table:
    """The headline counts of the last `years` years side by side (as the kvalitetsberättelser show them)."""
    rows = []
    first = year - years + 1
    counted = _totals_by(scope, extract("year", Case.occurred_on),
                         and_(Case.occurred_on >= date(first, 1, 1), Case.occurred_on < date(year + 1, 1, 1)))
    for y in range(first, year + 1):
        t = _seeded(scope, y, None, counted.get(y))
        rows.append({"year": str(y), **{k: t[k] for k in (*DISJOINT_KEYS, "rapporter", "ivo_anmalningar")},
                     **{f"andel_{k}": _percent(t["andelar"][k]) for k in DISJOINT_KEYS}})
    columns = [("year", "År"), ("avvikelser", "Avvikelser"), ("andel_avvikelser", "Andel"), ("lex_sarah", "Lex Sarah"),
               ("andel_lex_sarah", "Andel"), ("klagomal", "Synpunkter och klagomål"), ("andel_klagomal", "Andel"),
               ("rapporter", "Rapporter totalt"), ("ivo_anmalningar", "varav anmälda till IVO")]
    return Table("oversikt_fyra_ar", f"Rapporter {year - years + 1}–{year}", columns, rows)


def per_tertial(scope: Scope, year: int) -> Table:
    rows = []
    month = month_expr()
    counted = _totals_by(scope, case((month <= 4, 1), (month <= 8, 2), else_=3), in_year(year))
    for number, name in TERTIALS.items():
        t = _seeded(scope, year, number, counted.get(number))
        rows.append({"name": name, **{k: t[k] for k in (*DISJOINT_KEYS, "rapporter")},
                     **{f"andel_{k}": _percent(t["andelar"][k]) for k in DISJOINT_KEYS}})
    # Every case of the year is in one of its tertials: the year's counts are theirs added up.
    year_total = _seeded(scope, year, None, with_sum({k: sum(c[k] for c in counted.values()) for k in COUNT_KEYS}))
    columns = [("name", "Tertial"), ("avvikelser", "Avvikelser"), ("andel_avvikelser", "Andel"),
               ("lex_sarah", "Lex Sarah"), ("andel_lex_sarah", "Andel"), ("klagomal", "Synpunkter och klagomål"),
               ("andel_klagomal", "Andel"), ("rapporter", "Rapporter totalt")]
    total_row = {"name": f"Hela {year}", **{k: year_total[k] for k in (*DISJOINT_KEYS, "rapporter")},
                 **{f"andel_{k}": _percent(year_total["andelar"][k]) for k in DISJOINT_KEYS}}
    return Table("rapporter_tertial", f"Rapporter {year} per tertial", columns, rows, total_row)


def _percent(value) -> str:
    return "–" if value is None else f"{str(value).replace('.', ',')} %"


def summary(user, year: int, group_by: str = "verksamhet", tertial: int | None = None) -> dict:
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    if group_by == "verksamhet":
        key_expr = verksamhet_expr(tree)
    elif group_by == "enhet":
        key_expr = Case.unit_id
    elif group_by == "kategori":  # a klagomål gets its category when the unit handles it
        key_expr = func.coalesce(Case.category, Case.fields["category"].as_string())
    else:
        key_expr = month_expr()
    query = (select(key_expr.label("key"), *_counts())
             .where(Case.type.in_(("avvikelse", "klagomal")), in_period(year, tertial), scope.where(Case.unit_id))
             .group_by(key_expr))
    found = {row.key: {k: int(getattr(row, k)) for k in COUNT_KEYS} for row in db.session.execute(query)}
    groups = []
    for key, name in _group_keys(group_by, tree, scope, found):
        counts = found.get(key) or dict.fromkeys(COUNT_KEYS, 0)
        groups.append({"key": _public_key(group_by, key, tree, year), "name": name, **with_sum(counts)})
    total = with_sum({k: sum(g[k] for g in groups) for k in COUNT_KEYS})
    return {
        "year": year, "tertial": tertial, "group_by": group_by, "scope": scope.label, "groups": groups, "total": total,
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
        known, labels = categories.deviation_categories(), categories.category_labels()
        extra = [(k, labels.get(k, k) if k else "Utan kategori") for k in found if k not in dict(known)]
        return known + sorted(extra, key=lambda item: item[1])
    # verksamhet: the areas in scope (the förvaltning itself only if it has cases); enhet: the units.
    keys = (tree.verksamheter(scope) if group_by == "verksamhet" else tree.leaves(scope)) | set(found)
    return sorted(((k, tree.name(k)) for k in keys), key=lambda item: item[1])


def _by_column(column, labels: list[tuple[str, str]], unnamed: str, user, year: int, scope: Scope | None) -> dict:
    """The year's deviations counted by a case column: every known value (zeros too), then the others."""
    scope = scope or report_scope(user)
    query = (select(column, func.count().label("n"))
             .where(Case.type == "avvikelse", in_year(year), scope.where(Case.unit_id)).group_by(column))
    found = {key: n for key, n in db.session.execute(query)}
    rows = [{"key": key, "name": name, "avvikelser": int(found.get(key, 0))} for key, name in labels]
    rows += [{"key": key or "", "name": key or unnamed, "avvikelser": int(n)}
             for key, n in found.items() if key not in dict(labels)]
    return {"rows": rows, "total": sum(r["avvikelser"] for r in rows)}


def by_category(user, year: int, *, scope: Scope | None = None) -> dict:
    return _by_column(Case.category, categories.deviation_categories(), "Utan kategori", user, year, scope)


def by_severity(user, year: int, *, scope: Scope | None = None) -> dict:
    return _by_column(Case.severity, SEVERITIES, NOT_ASSESSED, user, year, scope)


def summary_tables(data: dict) -> list[Table]:
    heading = GROUP_HEADINGS[data["group_by"]]
    columns = [("name", heading), ("avvikelser", "Avvikelser (ej lex Sarah)"), ("lex_sarah", "Lex Sarah"),
               ("klagomal", "Synpunkter och klagomål"), ("rapporter", "Rapporter totalt"),
               ("ivo_anmalningar", "varav anmälda till IVO")]
    return [
        Table(f"sammanstallning_{data['group_by']}", f"Sammanställning {data['year']} per {heading.lower()}",
              columns, data["groups"], {"name": "Totalt", **data["total"]}),
        Table("avvikelser_kategori", f"Avvikelser {data['year']} per kategori",
              [("name", "Kategori"), ("avvikelser", "Avvikelser")], data["per_kategori"],
              {"name": "Totalt", "avvikelser": sum(r["avvikelser"] for r in data["per_kategori"])}),
        Table("avvikelser_allvarlighet", f"Avvikelser {data['year']} per allvarlighetsgrad",
              [("name", "Allvarlighetsgrad"), ("avvikelser", "Avvikelser")], data["per_allvarlighet"],
              {"name": "Totalt", "avvikelser": sum(r["avvikelser"] for r in data["per_allvarlighet"])}),
    ]


# The summary's tables by key (for the exports): the grouping and the index in summary_tables.
SUMMARY_TABLES = {f"sammanstallning_{g}": (g, 0) for g in GROUP_BY}
SUMMARY_TABLES.update({"avvikelser_kategori": ("verksamhet", 1), "avvikelser_allvarlighet": ("verksamhet", 2)})

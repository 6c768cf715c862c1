"""Mål och måluppfyllelse, and brukarundersökningar: GET /api/v1/reports/mal and
/reports/brukarundersokning, and the kvalitetsberättelse's tables on them.

An indicator is met when its value reaches the target (at least the target when higher is better, at
most when lower is better: the target itself counts as met). A goal is `uppfyllt` when every indicator
is met, `ej_matt` while no indicator has a value, `ej_uppfyllt` when no measured indicator is met, and
`delvis` otherwise (some met, or all measured ones met while some are not measured yet).

The value of a period is the one entered or imported for it (the förvaltning's total unless the goal
belongs to a unit); an indicator with a built-in `source` and no entered value gets the figure the
product computes from its own cases (BUILT_IN), over the reader's scope.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Case
from app.services import ej_verkstallt, goals
from app.services.reports.access import report_scope
from app.services.reports.counts import in_period
from app.services.reports.scope import OrgTree, Scope, count_if
from app.services.reports.statistics_page import followups_on_time
from app.services.reports.table import Table

STATUS_LABELS = {"uppfyllt": "Uppfyllt", "delvis": "Delvis uppfyllt", "ej_uppfyllt": "Ej uppfyllt",
                 "ej_matt": "Ej mätt"}
SURVEY_YEARS = 5  # the trend seed 001 shows


def period_key(year: int, tertial: int | None = None) -> str:
    return f"{year}T{tertial}" if tertial else str(year)


# --------------------------------------------------------------------------------------------------
# Built-in indicators: figures the product computes from its own cases.

def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _utebliven_insats(scope: Scope, tree: OrgTree, user, year: int, tertial: int | None) -> float | None:
    row = db.session.execute(select(count_if(Case.category == "utebliven_insats").label("part"),
                                    count_if(Case.id.is_not(None)).label("whole"))
                             .where(Case.type == "avvikelse", in_period(year, tertial),
                                    scope.where(Case.unit_id))).one()
    return _share(int(row.part), int(row.whole))


def _followups(scope: Scope, tree: OrgTree, user, year: int, tertial: int | None) -> float | None:
    total = followups_on_time(scope, year, tree).total or {}
    return total.get("share")


def _lex_sarah_in_time(scope: Scope, tree: OrgTree, user, year: int, tertial: int | None) -> float | None:
    target = timedelta(days=int(current_app.config["TARGET_LEX_SARAH_CASE_DAYS"]))
    rows = db.session.execute(select(Case.created_at, Case.closed_at).where(
        Case.type == "avvikelse", Case.is_lex_sarah.is_(True), Case.closed_at.is_not(None),
        in_period(year, tertial), scope.where(Case.unit_id))).all()
    return _share(sum(1 for created, closed in rows if closed is not None and closed - created <= target), len(rows))


def _ej_verkstallda_long(scope: Scope, tree: OrgTree, user, year: int, tertial: int | None) -> float | None:
    quarters = ej_verkstallt.year_overview(user, year)["quarters"]
    if tertial:  # the last quarter that ended within the tertial's months
        quarters = [q for q in quarters if int(q["quarter"][-1]) * 3 <= tertial * 4]
    return float(quarters[-1]["over_six_months"]) if quarters else None


Computer = Callable[[Scope, OrgTree, object, int, "int | None"], "float | None"]
BUILT_IN: dict[str, tuple[str, str, Computer]] = {
    "andel_utebliven_insats": ("Andel avvikelser som gäller utebliven insats", "%", _utebliven_insats),
    "uppfoljning_i_tid": ("Andel avvikelser som enhetschefen följt upp i tid", "%", _followups),
    "lex_sarah_i_tid": ("Andel lex Sarah-ärenden avslutade inom måltiden", "%", _lex_sarah_in_time),
    "ej_verkstallda_over_sex_manader": ("Ej verkställda beslut som väntat mer än sex månader", "st",
                                        _ej_verkstallda_long),
}


def built_in_labels() -> dict[str, str]:
    return {key: label for key, (label, _unit, _f) in BUILT_IN.items()}


def met(value: float | None, target: float | None, higher_is_better: bool) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target if higher_is_better else value <= target


def status(indicators: list[dict]) -> str:
    measured = [i["met"] for i in indicators if i["met"] is not None]
    if not measured:
        return "ej_matt"
    if len(measured) == len(indicators) and all(measured):
        return "uppfyllt"
    if not any(measured):
        return "ej_uppfyllt"
    return "delvis"


def goal_report(user, year: int, tertial: int | None = None) -> dict:
    """GET /api/v1/reports/mal: the year's goals with their indicators' value and the previous year's
    (the same tertial when one is asked for)."""
    found = goals.goals(user, year)
    now_key, before_key = period_key(year, tertial), period_key(year - 1, tertial)
    values = goals.values_for({i.code for g in found for i in g.indicators}, {now_key, before_key})
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    computed: dict[tuple[str, int], float | None] = {}

    def value(indicator, goal, period: str, y: int) -> tuple[float | None, bool]:
        stored = values.get((indicator.code, period, "T", goal.unit_code))
        if stored is not None or not indicator.source or indicator.source not in BUILT_IN:
            return stored, False
        if (indicator.source, y) not in computed:
            computed[(indicator.source, y)] = BUILT_IN[indicator.source][2](scope, tree, user, y, tertial)
        return computed[(indicator.source, y)], True

    result = []
    for goal in found:
        indicators = []
        for indicator in goal.indicators:
            current, is_computed = value(indicator, goal, now_key, year)
            previous, _ = value(indicator, goal, before_key, year - 1)
            indicators.append({"code": indicator.code, "name": indicator.name, "target": indicator.target,
                               "unit": indicator.unit, "higher_is_better": indicator.higher_is_better,
                               "source": indicator.source, "computed": is_computed, "value": current,
                               "previous": previous, "met": met(current, indicator.target,
                                                                indicator.higher_is_better)})
        result.append({"id": goal.id, "title": goal.title, "perspective": goal.perspective,
                       "unit": goal.unit_code or None, "status": status(indicators), "indicators": indicators})
    return {"year": year, "tertial": tertial, "period": now_key, "goals": result}


def _number(value) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", ",")


def _with_unit(value, unit: str) -> str:
    if value is None:
        return "–"
    return f"{_number(value)} {unit}".strip() if unit else _number(value)


def goal_tables(data: dict) -> list[Table]:
    """One table of every indicator, goal by goal, as seed 001 shows them: target, value (previous year)."""
    labels = goals.perspectives()
    rows = []
    for goal in data["goals"]:
        for indicator in goal["indicators"] or [{"name": "(ingen indikator)", "target": None, "unit": "",
                                                  "value": None, "previous": None, "met": None,
                                                  "higher_is_better": True}]:
            direction = "≥" if indicator["higher_is_better"] else "≤"
            rows.append({
                "perspective": labels.get(goal["perspective"], goal["perspective"]), "goal": goal["title"],
                "indicator": indicator["name"],
                "target": "–" if indicator["target"] is None else
                f"{direction} {_with_unit(indicator['target'], indicator['unit'])}",
                "value": _with_unit(indicator["value"], indicator["unit"]),
                "previous": _with_unit(indicator["previous"], indicator["unit"]),
                "met": {True: "Ja", False: "Nej", None: "Ej mätt"}[indicator["met"]],
                "status": STATUS_LABELS[goal["status"]],
            })
    year = data["year"]
    period = f"tertial {data['tertial']} " if data.get("tertial") else ""
    return [Table("mal_indikatorer", f"Mål och indikatorer {period}{year}",
                  [("perspective", "Perspektiv"), ("goal", "Mål"), ("indicator", "Indikator"), ("target", "Målvärde"),
                   ("value", str(year)), ("previous", str(year - 1)), ("met", "Nått"), ("status", "Måluppfyllelse")],
                  rows)]


# --------------------------------------------------------------------------------------------------
# Brukarundersökningar.

def survey_report(user, year: int) -> dict:
    """GET /api/v1/reports/brukarundersokning: each question of the year with the previous year beside
    it and the change in percentage points; per service how many questions improved, worsened or stayed
    (seed 001: "hemtjänst 11 of 14 questions improved"); and the five-year trend of each question."""
    first = year - SURVEY_YEARS + 1
    results = goals.survey_results(user, first, year)
    series: dict[tuple[str, str, str], dict[int, tuple[float, int | None]]] = {}
    for r in results:
        series.setdefault((r.service, r.unit_code, r.question), {})[r.year] = (r.share_positive, r.responses)
    items: list[dict] = []
    services: dict[tuple[str, str], dict] = {}
    trend: list[dict] = []
    for (service, unit, question), by_year in series.items():
        trend.append({"service": service, "unit": unit or None, "question": question,
                      "years": {str(y): by_year[y][0] if y in by_year else None for y in range(first, year + 1)}})
        if year not in by_year:
            continue
        share, responses = by_year[year]
        previous = by_year.get(year - 1, (None, None))[0]
        change = None if previous is None else round(share - previous, 1)
        items.append({"service": service, "unit": unit or None, "question": question, "share_positive": share,
                      "responses": responses, "previous": previous, "change": change})
        counts = services.setdefault((service, unit), {"service": service, "unit": unit or None, "questions": 0,
                                                       "improved": 0, "worsened": 0, "unchanged": 0,
                                                       "not_compared": 0, "responses": 0})
        counts["questions"] += 1
        counts["responses"] = max(counts["responses"], responses or 0)
        key = ("not_compared" if change is None else "improved" if change > 0 else "worsened" if change < 0
               else "unchanged")
        counts[key] += 1
    return {"year": year, "years": list(range(first, year + 1)), "items": items,
            "services": sorted(services.values(), key=lambda s: (s["service"], s["unit"] or "")), "trend": trend}


def unit_label(tree: OrgTree, code: str | None) -> str:
    """A survey's or value's unit by name; "" or None is the whole kommun."""
    if not code:
        return "Hela kommunen"
    return next((name for c, name, _parent in tree.units.values() if c == code), code)


def survey_tables(data: dict, tree: OrgTree) -> list[Table]:
    year = data["year"]

    def unit_name(code):
        return unit_label(tree, code)

    summary = Table("brukarundersokning_sammanfattning", f"Brukarundersökningar {year} jämfört med {year - 1}",
                    [("service", "Verksamhet"), ("unit", "Enhet"), ("questions", "Frågor"),
                     ("improved", "Förbättrade"), ("worsened", "Försämrade"), ("unchanged", "Oförändrade"),
                     ("not_compared", "Utan jämförelse")],
                    [{**s, "unit": unit_name(s["unit"])} for s in data["services"]])
    questions = Table("brukarundersokning_fragor", f"Andel positiva svar {year} ({year - 1})",
                      [("service", "Verksamhet"), ("unit", "Enhet"), ("question", "Fråga"),
                       ("share_positive", f"{year} (%)"), ("previous", f"{year - 1} (%)"),
                       ("change", "Förändring (procentenheter)"), ("responses", "Svar")],
                      [{**i, "unit": unit_name(i["unit"])} for i in data["items"]])
    years = [str(y) for y in data["years"]]
    trend = Table("brukarundersokning_trend", f"Andel positiva svar {years[0]}–{years[-1]} (%)",
                  [("service", "Verksamhet"), ("unit", "Enhet"), ("question", "Fråga"), *[(y, y) for y in years]],
                  [{"service": t["service"], "unit": unit_name(t["unit"]), "question": t["question"], **t["years"]}
                   for t in data["trend"]])
    return [summary, questions, trend]



def comparison_table(user, year: int) -> Table:
    """Öppna jämförelser and Kolada: every indicator value entered or imported for the year (the
    förvaltning's total), with the previous year's, named after the goals' indicators where one has the code."""
    rows = goals.year_values(user, year)
    names = goals.indicator_names({r["code"] for r in rows})
    return Table("oppna_jamforelser", f"Nyckeltal (Öppna jämförelser, Kolada) {year} ({year - 1})",
                 [("code", "Nyckeltal"), ("name", "Namn"), ("value", str(year)), ("previous", str(year - 1))],
                 [{**r, "name": names.get(r["code"], "–"), "value": _number(r["value"]),
                   "previous": _number(r["previous"])} for r in rows])

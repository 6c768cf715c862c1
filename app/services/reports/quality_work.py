"""The kvalitetsberättelse's tables on how the quality work itself went: routines standardised in PDCA
cycles (ledningssystemet och styrande dokument), staff's reports (personalens medverkan), risk- och
konsekvensanalyser, and the förbättringsplan of improvement work still running (plan för nästa år).
Aggregated in SQL within the report's scope, as the other report tables."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select

from app import clock
from app.extensions import db
from app.models import Case, PdcaTurn, User
from app.services.reports.scope import OrgTree, Scope, count_if, in_year, verksamhet_expr
from app.services.reports.table import Table


def _created_in(year: int):
    start, end = clock.local_midnight(date(year, 1, 1)), clock.local_midnight(date(year + 1, 1, 1))
    return and_(Case.created_at >= start, Case.created_at < end)


def standardised_routines(scope: Scope, year: int, tree: OrgTree) -> Table:
    """Routines made standard (decision `standardisera`) in PDCA cycles decided during the year."""
    start, end = clock.local_midnight(date(year, 1, 1)), clock.local_midnight(date(year + 1, 1, 1))
    query = (select(Case.number, Case.unit_id, Case.title, PdcaTurn.routine, PdcaTurn.decided_at)
             .join(Case, Case.id == PdcaTurn.case_id)
             .where(Case.type == "pdca", PdcaTurn.decision == "standardisera", PdcaTurn.decided_at >= start,
                    PdcaTurn.decided_at < end, scope.where(Case.unit_id))
             .order_by(PdcaTurn.decided_at).limit(500))
    rows = [{"number": number, "unit": tree.name(uid), "title": title, "routine": routine or "–",
             "decided_on": clock.to_local(decided).date().isoformat() if decided else "–"}
            for number, uid, title, routine, decided in db.session.execute(query)]
    return Table("rutiner_standardiserade", f"Rutiner som standardiserades {year} (PDCA)",
                 [("number", "Ärende"), ("unit", "Enhet"), ("title", "Förbättringsarbete"), ("routine", "Rutin"),
                  ("decided_on", "Beslutad")], rows)


def staff_reports(scope: Scope, year: int, tree: OrgTree) -> Table:
    """Avvikelser and lex Sarah reports per verksamhetsområde this year and the year before, and how
    many people reported them (personalens medverkan, SOSFS 2011:9 6 kap.)."""
    verksamhet = verksamhet_expr(tree)
    rows: list[dict[str, int | str]] = []
    found: dict[int, dict[str, int]] = {}
    for y, suffix in ((year, "current"), (year - 1, "previous")):
        query = (select(verksamhet.label("g"), func.count().label("n"),
                        func.count(func.distinct(Case.reporter_id)).label("people"),
                        count_if(Case.is_lex_sarah.is_(True)).label("lex_sarah"))
                 .where(Case.type == "avvikelse", in_year(y), scope.where(Case.unit_id)).group_by(verksamhet))
        for row in db.session.execute(query):
            entry = found.setdefault(row.g, {})
            entry[suffix], entry[f"people_{suffix}"] = int(row.n), int(row.people)
            entry[f"lex_sarah_{suffix}"] = int(row.lex_sarah)
    keys = ("previous", "current", "lex_sarah_current", "people_current")
    for uid in sorted(found, key=tree.name):
        rows.append({"name": tree.name(uid), **{k: found[uid].get(k, 0) for k in keys}})
    sums = {k: sum(found[uid].get(k, 0) for uid in found) for k in keys[:3]}
    people = {y: int(db.session.scalar(select(func.count(func.distinct(Case.reporter_id))).where(
        Case.type == "avvikelse", in_year(y), scope.where(Case.unit_id))) or 0) for y in (year, year - 1)}
    total = {"name": "Totalt", **sums, "people_current": people[year]}
    return Table("personalens_rapporter", f"Rapporter från personalen {year} jämfört med {year - 1}",
                 [("name", "Verksamhetsområde"), ("previous", f"Rapporter {year - 1}"),
                  ("current", f"Rapporter {year}"), ("lex_sarah_current", f"varav lex Sarah {year}"),
                  ("people_current", f"Personer som rapporterade {year}")],
                 rows, total, "Avvikelser och lex Sarah-rapporter; en person som rapporterat i flera verksamheter "
                 "räknas i var och en men en gång i totalen.")


def risk_analyses(scope: Scope, year: int, tree: OrgTree, years: int = 4) -> Table:
    """Risk- och konsekvensanalyser started per year (four years, as seed 001 compares 9 against 3)."""
    rows = []
    for y in range(year - years + 1, year + 1):
        row = db.session.execute(select(func.count().label("n"),
                                        count_if(Case.status == "avslutad").label("closed"))
                                 .where(Case.type == "riskanalys", _created_in(y), scope.where(Case.unit_id))).one()
        rows.append({"year": str(y), "started": int(row.n), "closed": int(row.closed)})
    return Table("riskanalyser_ar", f"Risk- och konsekvensanalyser {year - years + 1}–{year}",
                 [("year", "År"), ("started", "Påbörjade"), ("closed", "Avslutade")], rows)


def improvement_plan(scope: Scope, year: int, tree: OrgTree) -> Table:
    """The förbättringsplan (seed 001: Inriktning / Ansvarig / Följs upp): the improvement work still
    running, with the owner and follow-up date of its latest turn."""
    last = (select(PdcaTurn.case_id, func.max(PdcaTurn.number).label("n")).group_by(PdcaTurn.case_id).subquery())
    query = (select(Case.number, Case.unit_id, Case.title, User.name, PdcaTurn.check_on)
             .join(last, last.c.case_id == Case.id)
             .join(PdcaTurn, and_(PdcaTurn.case_id == Case.id, PdcaTurn.number == last.c.n))
             .outerjoin(User, User.id == PdcaTurn.owner_id)
             .where(Case.type == "pdca", Case.status != "avslutad", scope.where(Case.unit_id))
             .order_by(PdcaTurn.check_on, Case.number).limit(500))
    rows = [{"title": title, "unit": tree.name(uid), "owner": owner or "–",
             "check_on": check_on.isoformat() if check_on else "–", "number": number}
            for number, uid, title, owner, check_on in db.session.execute(query)]
    return Table("forbattringsplan", "Förbättringsplan: pågående förbättringsarbeten",
                 [("title", "Inriktning"), ("unit", "Enhet"), ("owner", "Ansvarig"), ("check_on", "Följs upp"),
                  ("number", "Ärende")], rows)

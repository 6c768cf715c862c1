"""The patientsäkerhetsberättelse's basic figures for the MAS (PSL 3 kap. 10 §): the year's health-care
deviations by category, the MAS's vårdskada assessments and the lex Maria notifications per
verksamhetsområde. Counted over the case columns (Case.health_care, is_lex_maria, lex_maria_notified)
and the assessment of the lex Maria record; no free text is read."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from app.extensions import db
from app.models import Case
from app.services import categories
from app.services.reports.access import report_scope
from app.services.reports.scope import OrgTree, Scope, count_if, in_year, verksamhet_expr
from app.services.reports.table import Table
from app.vocabulary import VARDSKADA_ASSESSMENTS

TABLE_KEYS = ("patientsakerhet_kategori", "patientsakerhet_vardskador", "lex_maria_verksamhet")


def _health_care(scope: Scope, year: int):
    return and_(Case.type == "avvikelse", Case.health_care.is_(True), in_year(year), scope.where(Case.unit_id))


def by_category(scope: Scope, year: int) -> Table:
    found = dict(db.session.execute(select(Case.category, func.count()).where(_health_care(scope, year))
                                    .group_by(Case.category)).all())
    labels = categories.category_labels()
    rows = [{"key": key or "", "name": labels.get(key, key) if key else "Utan kategori", "avvikelser": int(n)}
            for key, n in sorted(found.items(), key=lambda item: (-item[1], labels.get(item[0] or "", "")))]
    return Table("patientsakerhet_kategori", f"Avvikelser i hälso- och sjukvården {year} per kategori",
                 [("name", "Kategori"), ("avvikelser", "Avvikelser")], rows,
                 {"name": "Totalt", "avvikelser": sum(r["avvikelser"] for r in rows)})


def vardskador(scope: Scope, year: int) -> Table:
    """The MAS's assessments of the year's lex Maria investigations (open ones as "Utredning pågår")."""
    counts = dict.fromkeys([key for key, _ in VARDSKADA_ASSESSMENTS] + [""], 0)
    records = db.session.scalars(select(Case.fields).where(_health_care(scope, year), Case.is_lex_maria.is_(True)))
    for fields in records:
        assessment = ((fields or {}).get("lex_maria") or {}).get("assessment") or ""
        counts[assessment if assessment in counts else ""] += 1
    rows = [{"key": key, "name": name, "utredningar": counts[key]} for key, name in VARDSKADA_ASSESSMENTS]
    rows.append({"key": "", "name": "Utredning pågår", "utredningar": counts[""]})
    return Table("patientsakerhet_vardskador", f"MAS-utredningar {year} per bedömning (vårdskador)",
                 [("name", "Bedömning"), ("utredningar", "Utredningar")], rows,
                 {"name": "Totalt", "utredningar": sum(counts.values())})


def per_verksamhet(scope: Scope, year: int, tree: OrgTree) -> Table:
    key = verksamhet_expr(tree)
    query = (select(key.label("key"), func.count().label("avvikelser"),
                    count_if(Case.is_lex_maria.is_(True)).label("lex_maria"),
                    count_if(Case.lex_maria_notified.is_(True)).label("anmalda"))
             .where(_health_care(scope, year)).group_by(key))
    found = {row.key: row for row in db.session.execute(query)}
    keys = tree.verksamheter(scope) | set(found)
    rows: list[dict[str, Any]] = []
    for uid in sorted(keys, key=tree.name):
        row = found.get(uid)
        rows.append({"key": tree.code(uid), "name": tree.name(uid),
                     "avvikelser": int(row.avvikelser) if row else 0,
                     "lex_maria": int(row.lex_maria) if row else 0, "anmalda": int(row.anmalda) if row else 0})
    total = {"name": "Totalt", **{k: sum(r[k] for r in rows) for k in ("avvikelser", "lex_maria", "anmalda")}}
    return Table("lex_maria_verksamhet", f"Hälso- och sjukvård {year}: avvikelser och lex Maria per verksamhetsområde",
                 [("name", "Verksamhetsområde"), ("avvikelser", "Avvikelser i vården"),
                  ("lex_maria", "Utredda av MAS (lex Maria)"), ("anmalda", "varav anmälda till IVO")], rows, total)


def tables(user, year: int) -> list[Table]:
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    return [by_category(scope, year), vardskador(scope, year), per_verksamhet(scope, year, tree)]


def report(user, year: int) -> dict:
    """GET /api/v1/reports/patientsakerhet: the basic figures as tables (each also as CSV/XLSX)."""
    tree = OrgTree.load()
    scope = report_scope(user, tree)
    return {"year": year, "scope": scope.label, "tables": [t.as_json() for t in tables(user, year)]}

"""The tillsyn report's tables (the supervision register, app.services.tillsyn): the cases of the year
with their deadlines and decisions, and the counts by authority and outcome."""
from __future__ import annotations

from app.services import tillsyn
from app.services.reports.table import Table
from app.vocabulary import AUTHORITY_LABELS, TILLSYN_KIND_LABELS, TILLSYN_OUTCOME_LABELS


def report_tables(data: dict) -> list[Table]:
    year = data["year"]
    rows = [{
        "number": i["number"], "authority": AUTHORITY_LABELS.get(i["authority"], i["authority"]),
        "kind": TILLSYN_KIND_LABELS.get(i["kind"], i["kind"]), "unit": i["unit_name"], "opened_on": i["opened_on"],
        "subject": i["subject"], "reply": _deadline(i["reply_due_on"], i["reply_sent_on"]),
        "outcome": TILLSYN_OUTCOME_LABELS.get(i["outcome"], i["outcome"]) if i["outcome"] else "Pågår",
        "requirements": i["requirements"] or "", "report": _deadline(i["report_due_on"], i["report_sent_on"]),
    } for i in data["items"]]
    register = Table("tillsyn", f"Tillsyn och klagomål från myndigheter {year}",
                     [("number", "Ärende"), ("authority", "Myndighet"), ("kind", "Slag"), ("unit", "Enhet"),
                      ("opened_on", "Inkom"), ("subject", "Gäller"), ("reply", "Yttrande"), ("outcome", "Beslut"),
                      ("requirements", "Krav"), ("report", "Redovisning")], rows)
    counts = [{"name": AUTHORITY_LABELS.get(key, key), "count": count}
              for key, count in data["by_authority"].items() if count]
    by_authority = Table("tillsyn_myndighet", f"Tillsynsärenden per myndighet {year}",
                         [("name", "Myndighet"), ("count", "Ärenden")], counts,
                         total={"name": "Totalt", "count": data["total"]})
    outcomes = [{"name": TILLSYN_OUTCOME_LABELS.get(key, "Pågår (inget beslut än)"), "count": count}
                for key, count in data["by_outcome"].items() if count]
    by_outcome = Table("tillsyn_beslut", f"Tillsynsärenden per beslut {year}",
                       [("name", "Beslut"), ("count", "Ärenden")], outcomes,
                       total={"name": "Totalt", "count": data["total"]})
    return [register, by_authority, by_outcome]


def _deadline(due: str | None, sent: str | None) -> str:
    if not due:
        return "–"
    return f"Senast {due}; lämnat {sent}" if sent else f"Senast {due}; ej lämnat"


def tables(user, year: int) -> list[Table]:
    return report_tables(tillsyn.report(user, year))

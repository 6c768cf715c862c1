"""The kontroller report's tables (planned controls, app.services.kontrollplan): the points with their
results, and the action table in the columns the nämnd's reports use (Åtgärd / Ansvarig / Tidplan /
Uppföljning), for the page, the exports and the kvalitetsberättelse."""
from __future__ import annotations

from app.services import kontrollplan
from app.services.access import supervises
from app.services.reports.table import Table
from app.vocabulary import (
    KONTROLL_ACTION_LABELS,
    KONTROLL_KIND_LABELS,
    KONTROLL_RESULT_LABELS,
    POINT_STATES,
    SEVERITY_LABELS,
)


def tables(user, year: int, kind: str | None = None) -> list[Table]:
    return report_tables(kontrollplan.report(user, year, kind), kind)


# The kontroller report's headline figures (GET /api/v1/reports/kontroller), as the statistics page shows them.
FIGURES = [("planned", "Planerade"), ("done", "Genomförda"), ("done_on_time", "Varav i tid"),
           ("brister", "Med brister"), ("actions_open", "Öppna åtgärder"), ("overdue", "Försenade")]


def figures_table(user, year: int) -> Table:
    """The report's figures per kind of control, for the user's scope (the report's own): the nämnd's
    internkontroll only for those who see it (SUPERVISION_ROLES)."""
    kinds = ["egenkontroll"] + (["internkontroll"] if supervises(user) else [])
    rows = []
    for kind in kinds:
        data = kontrollplan.report(user, year, kind)
        rows.append({"kind": KONTROLL_KIND_LABELS[kind], **{key: data[key] for key, _ in FIGURES}})
    total = {"kind": "Totalt", **{key: sum(r[key] for r in rows) for key, _ in FIGURES}} if len(rows) > 1 else None
    return Table("kontroller", f"Planerade kontroller {year}", [("kind", "Slag"), *FIGURES], rows, total,
                 "Kontrollpunkter med sista dag under året. Punkterna och åtgärderna finns under Kontroller.")


def _risk(item: dict) -> str:
    if not item["risk_value"]:
        return ""
    return f"{SEVERITY_LABELS.get(item['severity'], item['severity'])} ({item['risk_value']})"


def _result(item: dict) -> str:
    if not item["result"]:
        return POINT_STATES[item["state"]]
    return KONTROLL_RESULT_LABELS.get(item["result"], item["result"])


def report_tables(data: dict, kind: str | None = None) -> list[Table]:
    """The points and the action table (the nämnd's columns: Åtgärd / Ansvarig / Tidplan / Uppföljning)."""
    suffix = f"_{kind}" if kind else ""
    label = KONTROLL_KIND_LABELS.get(kind or "", "Kontroller")
    year = data["year"]
    point_rows = [{
        "plan": i["plan"], "unit": i["unit_name"], "point": f"{i['number']}. {i['title']}", "method": i["method"] or "",
        "risk": _risk(i), "due_on": i["due_on"], "done_on": i["done_on"] or "", "result": _result(i),
        "finding": i["finding"] or ""} for i in data["items"]]
    points_table = Table(f"kontrollpunkter{suffix}", f"{label} {year}: kontrollpunkter och resultat",
                         [("plan", "Plan"), ("unit", "Enhet"), ("point", "Kontrollpunkt"), ("method", "Metod"),
                          ("risk", "Risk"), ("due_on", "Klart senast"), ("done_on", "Genomförd"),
                          ("result", "Resultat"), ("finding", "Iakttagelser")], point_rows)
    action_rows = []
    for i in data["items"]:
        if i["result"] != "brist":
            continue
        if i["action"] == "atgard":
            follow_up = f"Klar {i['action_done_on']}" + (f": {i['action_notes']}" if i["action_notes"] else "") \
                if i["action_done_on"] else "Pågår"
            who, when = i["action_responsible_name"] or "", i["action_due_on"] or ""
        elif i["action"] == "pdca":
            follow_up, who, when = f"Förbättringsarbete {i['pdca'] or ''}".strip(), "", ""
        else:
            follow_up, who, when = KONTROLL_ACTION_LABELS["ingen"], "", ""
        action_rows.append({"point": f"{i['number']}. {i['title']} ({i['plan']})", "finding": i["finding"] or "",
                            "action": i["action_text"] or "", "responsible": who, "due_on": when,
                            "follow_up": follow_up})
    actions_table = Table(f"kontroll_atgarder{suffix}", f"{label} {year}: åtgärder efter brister",
                          [("point", "Kontrollpunkt"), ("finding", "Brist"), ("action", "Åtgärd"),
                           ("responsible", "Ansvarig"), ("due_on", "Tidplan"), ("follow_up", "Uppföljning")],
                          action_rows, note="Vid ingen åtgärd står motiveringen under Åtgärd.")
    return [points_table, actions_table]

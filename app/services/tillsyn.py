"""The supervision register (bpmn/tillsyn.bpmn): supervisions and complaints from IVO, JO, IMY and other
authorities, their reply and report deadlines, decisions and requirements; and the `tillsyn` report.

A case is registered like any other (services.cases.create_case). Its start data and the decision
(tillsyn_beslut) are in the case's fields; the dates the reply and the report were sent are in the
completed task rows (both forms call it `sent_on`).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Case, Task
from app.services.access import scope_cases
from app.vocabulary import AUTHORITIES, TILLSYN_OUTCOMES

SENT_BY_TASK = {"tillsyn_yttrande": "reply_sent_on", "tillsyn_redovisning": "report_sent_on"}


def _cases(user, year: int | None) -> list[Case]:
    query = scope_cases(select(Case).where(Case.type == "tillsyn"), user)
    if year is not None:
        query = query.where(Case.occurred_on >= date(year, 1, 1), Case.occurred_on < date(year + 1, 1, 1))
    return list(db.session.scalars(query.order_by(Case.occurred_on.desc(), Case.id.desc()).limit(2000)))


def items(user, year: int | None = None) -> list[dict]:
    """The register: one dict per case the user sees (opened in `year`, or all)."""
    found = _cases(user, year)
    sent: dict[int, dict] = {}
    due: dict[int, Task] = {}
    if found:
        ids = [c.id for c in found]
        for row in db.session.scalars(select(Task).where(Task.case_id.in_(ids), Task.task_id.in_(SENT_BY_TASK))):
            if row.state == "completed":
                sent.setdefault(row.case_id, {})[SENT_BY_TASK[row.task_id]] = (row.data or {}).get("sent_on")
            elif row.state == "open":
                due[row.case_id] = row
    now = clock.now()
    result = []
    for case in found:
        fields = case.fields or {}
        waiting = due.get(case.id)
        result.append({
            "case_id": case.id, "number": case.number, "unit": case.unit.code, "unit_name": case.unit.name,
            "authority": fields.get("authority"), "kind": fields.get("kind"), "opened_on": fields.get("opened_on"),
            "subject": fields.get("subject"), "reference": fields.get("reference") or None,
            "reply_due_on": fields.get("reply_due_on"), "reply_sent_on": sent.get(case.id, {}).get("reply_sent_on"),
            "decided_on": fields.get("decided_on"), "outcome": fields.get("outcome"),
            "requirements": fields.get("requirements") or None, "report_due_on": fields.get("report_due_on"),
            "report_sent_on": sent.get(case.id, {}).get("report_sent_on"),
            "sarskild_avgift": bool(fields.get("sarskild_avgift")), "source_cases": fields.get("source_cases") or [],
            "status": case.status, "waiting_for": waiting.task_id if waiting else None,
            "overdue": bool(waiting and waiting.due_at and waiting.due_at < now),
        })
    return result


def report(user, year: int) -> dict:
    """GET /api/v1/reports/tillsyn: the cases opened in the year, by authority and by outcome
    (`pagaende` while no decision is registered)."""
    found = items(user, year)
    by_authority = {key: 0 for key, _ in AUTHORITIES}
    by_outcome = {key: 0 for key, _ in TILLSYN_OUTCOMES} | {"pagaende": 0}
    for item in found:
        by_authority[item["authority"]] = by_authority.get(item["authority"], 0) + 1
        outcome = item["outcome"] or "pagaende"
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
    return {"year": year, "total": len(found), "by_authority": by_authority, "by_outcome": by_outcome,
            "open": sum(1 for i in found if i["status"] != "avslutad"),
            "overdue": sum(1 for i in found if i["overdue"]), "items": found}

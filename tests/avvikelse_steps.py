"""Steps of the avvikelse / lex Sarah flow, driven through the public domain services (the same
ones the web pages and the API use). Shared by the flow, API, access, audit and concurrency tests."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, Task
from app.services import cases as case_service
from app.services import tasks as task_service

REPORT = {
    "unit": "HG", "occurred_on": None, "category": "lakemedel",
    "description": "Kvällsmedicinen gavs inte till boende i rum 12.",
    "immediate_actions": "Kontaktade sjuksköterskan; medicinen gavs 21.30.",
    "suspected_lex_sarah": False,
}


def chef_data(**overrides) -> dict:
    data = {"analysis": "Rutinen för signering följdes inte.", "actions": "Genomgång av rutinen på APT.",
            "classification": "avvikelse", "consequence": 2, "likelihood": 2,
            "follow_up_on": (clock.today() + timedelta(days=30)).isoformat(),
            "cause_areas": ["rutiner"]}
    return {**data, **overrides}


def sas_data(**overrides) -> dict:
    data = {"investigation": "Boende lämnades ensam i duschen i 20 minuter.", "causes": "Underbemanning kvällstid.",
            "actions": "Bemanningen ses över 2026-04-01.", "person_informed": True, "documented_in_personakt": True,
            "police_report": False, "assessment": "missforhallande", "assessment_motivation": "Risk för skada."}
    return {**data, **overrides}


IVO_BESLUT = {"notify_ivo": True, "motivation": "Allvarlig brist i omsorgen."}
ATGARD = {"actions_done": True, "notes": "Rutinen är genomgången med all personal."}


def ivo_anmalan_data() -> dict:
    return {"sent_on": clock.today().isoformat(), "ivo_reference": "IVO 3.1.1-12345/2026"}


def report(user, **overrides) -> Case:
    data = {**REPORT, "occurred_on": clock.today().isoformat(), **overrides}
    return case_service.create_case(user, "avvikelse", json_to_formdata(data), csrf=False)


def open_tasks(case) -> list[Task]:
    return db.session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "open").order_by(Task.id)).all()


def open_task(case, task_id: str) -> Task:
    rows = [t for t in open_tasks(case) if t.task_id == task_id]
    assert len(rows) == 1, f"expected one open {task_id}, open: {[t.task_id for t in open_tasks(case)]}"
    return rows[0]


def complete(user, case, task_id: str, data: dict) -> Task:
    return task_service.complete(user, open_task(case, task_id).id, json_to_formdata(data), csrf=False)


def task_ids(case) -> list[str]:
    return [t.task_id for t in open_tasks(case)]


def ever_created(case) -> list[str]:
    return db.session.scalars(select(Task.task_id).where(Task.case_id == case.id).order_by(Task.id)).all()


def lex_sarah_to_verification(user, case, *, notify_ivo: bool = True) -> None:
    """chef_uppfoljning (missförhållande) → sas_utredning → ivo_beslut → (ivo_anmalan) → atgardsuppfoljning."""
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande", consequence=3, likelihood=3))
    complete(user("sas"), case, "sas_utredning", sas_data())
    complete(user("chef"), case, "ivo_beslut", {**IVO_BESLUT, "notify_ivo": notify_ivo})
    if notify_ivo:
        complete(user("sas"), case, "ivo_anmalan", ivo_anmalan_data())
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)


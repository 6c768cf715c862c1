"""The pattern signal: N deviations or complaints of one category in one unit within D days give the
enhetschef one task (bpmn/monster.bpmn) to assess a systematic failure — once per pattern."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import complete, open_task, report, task_ids
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, CaseLink, PatternSignal, Task
from app.services import cases as case_service
from app.services import links as case_links
from app.services import tasks as task_service
from app.services.errors import Invalid


def signal_tasks() -> list[Task]:
    return db.session.scalars(select(Task).where(Task.task_id == "monster_bedomning").order_by(Task.id)).all()


def signal_cases() -> list[Case]:
    return db.session.scalars(select(Case).where(Case.type == "monster").order_by(Case.id)).all()


def linked(case) -> list[int]:
    return db.session.scalars(
        select(CaseLink.to_case_id).where(CaseLink.from_case_id == case.id).order_by(CaseLink.id)
    ).all()


def test_a_burst_fires_exactly_once(user, clock):
    anna, ec = user("anna"), user("ec_hg")
    burst = [report(anna, category="fall")]
    clock.advance(days=4)
    burst.append(report(anna, category="fall"))
    report(anna, category="lakemedel")  # another category does not count
    assert signal_tasks() == []
    clock.advance(days=6)
    burst.append(report(anna, category="fall"))  # the third within 30 days

    [task] = signal_tasks()
    [signal_case] = signal_cases()
    assert (task.role, task.unit.code) == ("enhetschef", "HG") and task in task_service.inbox(ec, "candidate")
    assert signal_case.number == "MON-2026-0001" and signal_case.unit.code == "HG" and signal_case.category == "fall"
    assert "3 ärenden på 30 dagar" in signal_case.title
    assert linked(signal_case) == [c.id for c in burst]
    assert signal_case.fields["cases"] == [c.number for c in burst]
    assert [c.number for c in case_links.links_of(ec, burst[0])["derived"]] == [signal_case.number]

    # More of the same while the signal is open join it; no second task.
    clock.advance(days=1)
    fourth = report(anna, category="fall")
    fifth = report(anna, category="fall")
    assert len(signal_tasks()) == 1 and len(signal_cases()) == 1
    assert linked(signal_case)[-2:] == [fourth.id, fifth.id]
    assert signal_case.fields["count"] == 5
    signal = db.session.scalar(select(PatternSignal))
    assert signal.state == "open" and signal.case_ids == [c.id for c in burst] + [fourth.id, fifth.id]


def test_scattered_reports_never_fire(user, clock):
    anna = user("anna")
    for _ in range(5):
        report(anna, category="fall")
        clock.advance(days=16)  # never three within 30 days
    assert signal_tasks() == [] and db.session.scalars(select(PatternSignal)).all() == []


def test_other_units_and_backdated_reports_do_not_count(user, clock):
    anna, bertil = user("anna"), user("bertil")
    report(anna, category="fall")
    report(bertil, unit="SR", category="fall")
    report(anna, category="fall", occurred_on=(app_clock.today() - timedelta(days=45)).isoformat())
    assert signal_tasks() == []


def test_assessment_without_action_needs_a_reason_and_a_fresh_burst_fires_again(user, clock):
    anna, ec = user("anna"), user("ec_hg")
    for _ in range(3):
        report(anna, category="fall")
    [signal_case] = signal_cases()
    with pytest.raises(Invalid) as err:
        complete(ec, signal_case, "monster_bedomning", {"decision": "ingen_atgard"})
    assert "motivation" in err.value.fields
    complete(ec, signal_case, "monster_bedomning",
             {"decision": "ingen_atgard", "motivation": "Tre olika boende, olika orsaker; ingen gemensam brist."})
    assert signal_case.status == "avslutad"
    signal = db.session.scalar(select(PatternSignal))
    assert (signal.state, signal.decision, signal.open_key) == ("assessed", "ingen_atgard", None)

    report(anna, category="fall")  # the assessed burst's cases never count again
    report(anna, category="fall")
    assert len(signal_tasks()) == 1
    report(anna, category="fall")  # a fresh burst of three
    assert len(signal_tasks()) == 2 and len(signal_cases()) == 2
    assert len(linked(signal_cases()[1])) == 3


def test_complaints_count_with_deviations_of_the_same_category(user):
    anna, ec = user("anna"), user("ec_hg")
    report(anna, category="bemotande")
    report(anna, category="bemotande")
    complaint = case_service.create_case(anna, "klagomal", json_to_formdata({
        "unit": "HG", "received_on": app_clock.today().isoformat(), "channel": "telefon",
        "description": "Otrevligt bemötande.", "anonymous": True}), csrf=False)
    assert signal_tasks() == []  # a complaint's category is known only when it is handled
    complete(ec, complaint, "klagomal_hantering", {"category": "bemotande", "response": "r", "actions": "a"})
    [signal_case] = signal_cases()
    assert complaint.id in linked(signal_case) and signal_case.category == "bemotande"


def test_the_signal_starts_a_pdca_cycle_linked_to_the_cases(user):
    anna, ec = user("anna"), user("ec_hg")
    burst = [report(anna, category="lakemedel") for _ in range(3)]
    [signal_case] = signal_cases()
    with pytest.raises(Invalid) as err:
        complete(ec, signal_case, "monster_bedomning", {"decision": "starta_pdca"})
    assert "goal" in err.value.fields
    complete(ec, signal_case, "monster_bedomning", {"decision": "starta_pdca", "title": "Läkemedel kvällstid",
                                                    "goal": "Inga missade doser."})
    assert signal_case.status == "avslutad"
    pdca = db.session.scalar(select(Case).where(Case.type == "pdca"))
    assert (pdca.title, pdca.unit.code, pdca.reporter_id) == ("Läkemedel kvällstid", "HG", ec.id)
    assert linked(pdca) == [signal_case.id] + [c.id for c in burst]
    assert task_ids(pdca) == ["planera"]
    for case in burst:
        assert pdca.number in [c.number for c in case_links.links_of(ec, case)["derived"]]


def test_the_signal_can_start_a_risk_analysis_that_feeds_a_pdca_cycle(user):
    anna, ec = user("anna"), user("ec_hg")
    for _ in range(3):
        report(anna, category="larm_telefoni")
    [signal_case] = signal_cases()
    complete(ec, signal_case, "monster_bedomning", {"decision": "starta_riskanalys",
                                                    "motivation": "Byte av larmleverantör planeras."})
    risk = db.session.scalar(select(Case).where(Case.type == "riskanalys"))
    assert risk.number == "RISK-2026-0001" and risk.fields["change"] == "Byte av larmleverantör planeras."
    assert signal_case.id in linked(risk)
    complete(ec, risk, "riskanalys", {
        "risks": "Larm når inte personalen under bytet.", "consequence": 4, "likelihood": 2,
        "actions": "Extra tillsyn nattetid under bytet.", "responsible": "anna",
        "follow_up_on": (app_clock.today() + timedelta(days=14)).isoformat()})
    assert (risk.severity, risk.risk_value) == ("hög", 8)  # the same DMN table as deviations
    follow_up = open_task(risk, "riskanalys_uppfoljning")
    assert follow_up.assignee_id == anna.id
    complete(anna, risk, "riskanalys_uppfoljning", {"actions_done": True, "notes": "Tillsyn genomförd.",
                                                    "start_pdca": True, "goal": "Inga larm utan svar."})
    assert risk.status == "avslutad"
    pdca = db.session.scalar(select(Case).where(Case.type == "pdca"))
    assert linked(pdca)[0] == risk.id and pdca.fields["goal"] == "Inga larm utan svar."

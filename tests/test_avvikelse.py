"""The avvikelse / lex Sarah flow end to end: real BPMN, real engine, real database, through the
domain services. Runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from helpers import (
    ATGARD,
    IVO_BESLUT,
    chef_data,
    complete,
    ever_created,
    ivo_anmalan_data,
    lex_sarah_to_verification,
    open_task,
    report,
    sas_data,
    task_ids,
)
from sqlalchemy import select

from app import engine
from app.extensions import db
from app.models import AuditEvent, OutboxMessage, ProcessInstance
from app.services import tasks as task_service
from app.services.errors import Invalid


def outbox(user):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)
    ).all()


def test_plain_avvikelse_is_followed_up_and_closed_with_feedback(user):
    anna, ec = user("anna"), user("ec_hg")
    case = report(anna)
    assert case.number == "AVV-2026-0001"
    assert (case.status, case.is_lex_sarah, case.unit.code) == ("pagaende", False, "HG")
    task = open_task(case, "chef_uppfoljning")
    assert (task.role, task.unit.code, task.assignee_id) == ("enhetschef", "HG", None)
    assert task in task_service.inbox(ec, "candidate")
    assert any("Ny uppgift" in m.subject for m in outbox(ec))

    complete(ec, case, "chef_uppfoljning", chef_data(classification="avvikelse", consequence=1, likelihood=2))
    assert task_ids(case) == ["atgardsuppfoljning"]
    assert (case.severity, case.risk_value, case.is_lex_sarah) == ("låg", 2, False)
    assert open_task(case, "atgardsuppfoljning").unit.code == "HG"

    complete(ec, case, "atgardsuppfoljning", ATGARD)
    assert case.status == "avslutad" and case.closed_at is not None
    assert task_ids(case) == []
    assert "sas_utredning" not in ever_created(case)
    assert case.fields["notes"] == ATGARD["notes"]
    feedback = [m for m in outbox(anna) if m.subject.startswith("Återkoppling")]
    assert len(feedback) == 1 and case.number in feedback[0].subject and feedback[0].recipient == anna.email
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    assert instance.status == "completed"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert actions.count("task_completed") == 2 and "case_closed" in actions and "reporter_notified" in actions


def test_lex_sarah_by_classification_goes_through_sas_chef_and_ivo(user):
    anna, ec, sas, chef = user("anna"), user("ec_hg"), user("sas"), user("chef")
    case = report(anna, category="bemotande")
    complete(ec, case, "chef_uppfoljning", chef_data(classification="missforhallande", consequence=3, likelihood=3))
    assert case.is_lex_sarah and case.severity == "hög"
    task = open_task(case, "sas_utredning")
    assert (task.role, task.unit.code) == ("sas", "SOC")  # nearest unit above HG with a SAS
    assert task in task_service.inbox(sas)

    complete(sas, case, "sas_utredning", sas_data(assessment="allvarligt_missforhallande"))
    task = open_task(case, "ivo_beslut")
    assert (task.role, task.unit.code) == ("socialchef", "SOC")
    assert task in task_service.inbox(chef)

    complete(chef, case, "ivo_beslut", IVO_BESLUT)
    assert task_ids(case) == ["ivo_anmalan"]
    complete(sas, case, "ivo_anmalan", ivo_anmalan_data())
    assert case.ivo_notified is True
    assert task_ids(case) == ["atgardsuppfoljning"]
    complete(ec, case, "atgardsuppfoljning", ATGARD)
    assert task_ids(case) == ["sas_verifiering"]
    complete(sas, case, "sas_verifiering", {"approved": True})
    assert case.status == "avslutad"
    assert case.fields["ivo_reference"] == "IVO 3.1.1-12345/2026"
    assert len([m for m in outbox(anna) if m.subject.startswith("Återkoppling")]) == 1


def test_lex_sarah_by_the_reporters_suspicion_even_if_the_chef_says_avvikelse(user):
    case = report(user("anna"), suspected_lex_sarah=True)
    assert case.is_lex_sarah
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="avvikelse"))
    assert task_ids(case) == ["sas_utredning"]
    assert case.is_lex_sarah


def test_sas_finds_no_missforhallande_and_the_ivo_decision_is_skipped(user):
    ec, sas = user("ec_hg"), user("sas")
    case = report(user("anna"))
    complete(ec, case, "chef_uppfoljning", chef_data(classification="risk_missforhallande"))
    complete(sas, case, "sas_utredning", sas_data(assessment="ej_missforhallande"))
    assert task_ids(case) == ["atgardsuppfoljning"]
    complete(ec, case, "atgardsuppfoljning", ATGARD)
    complete(sas, case, "sas_verifiering", {"approved": True})
    assert case.status == "avslutad"
    assert "ivo_beslut" not in ever_created(case) and "ivo_anmalan" not in ever_created(case)
    assert case.ivo_notified is False


def test_chef_decides_not_to_notify_ivo(user):
    case = report(user("anna"))
    lex_sarah_to_verification(user, case, notify_ivo=False)
    assert task_ids(case) == ["sas_verifiering"]
    assert "ivo_anmalan" not in ever_created(case)
    assert case.ivo_notified is False and case.fields["notify_ivo"] is False


def test_sas_rejects_the_verification_and_the_actions_go_back_to_the_chef(user):
    ec, sas = user("ec_hg"), user("sas")
    case = report(user("anna"))
    lex_sarah_to_verification(user, case)
    with pytest.raises(Invalid) as err:  # a rejection must say what is missing
        complete(sas, case, "sas_verifiering", {"approved": False})
    assert "comment" in err.value.fields
    complete(sas, case, "sas_verifiering", {"approved": False, "comment": "Rutinen saknar datum."})
    assert task_ids(case) == ["atgardsuppfoljning"]
    assert case.status == "pagaende"
    complete(ec, case, "atgardsuppfoljning", {"actions_done": True, "notes": "Datum tillagt."})
    complete(sas, case, "sas_verifiering", {"approved": True})
    assert case.status == "avslutad"
    assert ever_created(case).count("atgardsuppfoljning") == 2


@pytest.mark.parametrize(("consequence", "likelihood", "severity"), [
    (1, 2, "låg"), (2, 3, "medel"), (3, 3, "hög"), (4, 2, "hög"), (3, 4, "mycket hög"), (4, 4, "mycket hög"),
])
def test_severity_comes_from_the_dmn_table(user, consequence, likelihood, severity):
    case = report(user("anna"))
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(consequence=consequence, likelihood=likelihood))
    assert (case.severity, case.risk_value) == (severity, consequence * likelihood)


def test_chef_deadline_is_the_end_of_the_swedish_day_14_days_after_the_report(user, clock):
    # Reported 2026-03-02 09:00 Swedish time: due 2026-03-16 23:59:59 CET.
    case = report(user("anna"))
    assert open_task(case, "chef_uppfoljning").due_at == datetime(2026, 3, 16, 22, 59, 59, tzinfo=UTC)
    # Reported 2026-03-20 23:30 Swedish time (22:30 UTC): the Swedish date counts, and the deadline
    # 2026-04-03 falls in summer time (CEST, UTC+2).
    clock.set(datetime(2026, 3, 20, 22, 30, tzinfo=UTC))
    case = report(user("anna"))
    assert open_task(case, "chef_uppfoljning").due_at == datetime(2026, 4, 3, 21, 59, 59, tzinfo=UTC)


def test_chef_deadline_follows_the_configuration(app, user):
    app.config["DEADLINE_CHEF_UPPFOLJNING_DAYS"] = 7
    case = report(user("anna"))
    assert open_task(case, "chef_uppfoljning").due_at == datetime(2026, 3, 9, 22, 59, 59, tzinfo=UTC)


def test_each_instance_stays_on_the_diagram_version_it_started_on(app, user, tmp_path):
    ec = user("ec_hg")
    old = report(user("anna"))
    old_hash = engine.process_version("avvikelse").spec_hash
    # An administrator deploys a new version: the follow-up task gets a new name.
    new_dir = tmp_path / "bpmn"
    shutil.copytree(app.root_path + "/../bpmn", new_dir)
    diagram = new_dir / "avvikelse.bpmn"
    text = diagram.read_text(encoding="utf-8")
    assert 'name="Följ upp åtgärderna"' in text
    diagram.write_text(
        text.replace('name="Följ upp åtgärderna"', 'name="Följ upp åtgärderna (version 2)"'), encoding="utf-8"
    )
    app.config["BPMN_DIR"] = str(new_dir)
    new = report(user("anna"))
    new_hash = engine.process_version("avvikelse").spec_hash
    assert new_hash != old_hash

    instances = {i.case_id: i for i in db.session.scalars(select(ProcessInstance))}
    assert instances[old.id].spec_hash == old_hash
    assert instances[new.id].spec_hash == new_hash
    complete(ec, old, "chef_uppfoljning", chef_data())
    complete(ec, new, "chef_uppfoljning", chef_data())
    assert open_task(old, "atgardsuppfoljning").name == "Följ upp åtgärderna"
    assert open_task(new, "atgardsuppfoljning").name == "Följ upp åtgärderna (version 2)"


def test_a_late_follow_up_escalation_does_not_disturb_the_lex_sarah_path(user, clock):
    from app.services.timers import run_due

    case = report(user("anna"))
    clock.advance(days=15)  # past the chef's deadline: the verksamhetschef is asked to act
    assert run_due() >= 1
    escalation = open_task(case, "eskalering_uppfoljning")
    assert (escalation.role, escalation.unit.code) == ("verksamhetschef", "AOSB")
    complete(
        user("ec_hg"),
        case,
        "chef_uppfoljning",
        chef_data(classification="missforhallande", consequence=3, likelihood=4),
    )
    assert set(task_ids(case)) == {"eskalering_uppfoljning", "sas_utredning"}
    complete(user("vc_ao"), case, "eskalering_uppfoljning", {"measures": "Pratat med enhetschefen."})
    assert task_ids(case) == ["sas_utredning"]
    assert (case.is_lex_sarah, case.severity, case.fields["classification"]) == (True, "mycket hög", "missforhallande")
    complete(user("sas"), case, "sas_utredning", sas_data(assessment="ej_missforhallande"))
    assert task_ids(case) == ["atgardsuppfoljning"]
    assert case.is_lex_sarah and case.severity == "mycket hög"
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    complete(user("sas"), case, "sas_verifiering", {"approved": True})
    assert case.status == "avslutad"
    assert (case.is_lex_sarah, case.severity, case.fields["assessment"]) == (True, "mycket hög", "ej_missforhallande")
    assert case.fields["measures"] == "Pratat med enhetschefen."
